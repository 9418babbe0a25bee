package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology"
)

// openDataPlane opens the data plane that --dataplane names. "none" means no
// data plane: the control plane moves states on its provisioning schedule.
// For auto, kernel and userspace, topology.Open logs which backend it chose
// and why; asking for kernel where bonding or 8021q is missing fails with an
// error that names the module.
func openDataPlane(ctx context.Context, mode string, log *slog.Logger) (sim.DataPlane, error) {
	switch mode {
	case "none":
		return nil, nil
	case "auto", "kernel", "userspace":
		dp, err := topology.Open(ctx, topology.Options{Backend: mode, Logger: log})
		if err != nil {
			return nil, fmt.Errorf("--dataplane %s: %w", mode, err)
		}
		return dp, nil
	}
	return nil, fmt.Errorf("unknown --dataplane %q: want auto, kernel, userspace or none", mode)
}
