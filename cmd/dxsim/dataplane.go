package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/dxsim/dxsim/sim"
)

// openDataPlane opens the data plane that --dataplane names. "none" means no
// data plane: the control plane moves states on its provisioning schedule.
func openDataPlane(ctx context.Context, mode string, log *slog.Logger) (sim.DataPlane, error) {
	switch mode {
	case "none":
		return nil, nil
	case "auto", "kernel", "userspace":
		return nil, fmt.Errorf("--dataplane %s: this build has no netlink data plane yet; use --dataplane none", mode)
	}
	return nil, fmt.Errorf("unknown --dataplane %q: want auto, kernel, userspace or none", mode)
}
