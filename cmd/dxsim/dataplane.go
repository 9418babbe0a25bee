package main

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"

	"github.com/dxsim/dxsim/topology"
)

// openDataPlane opens the data plane that --dataplane names. "none" means no
// data plane: the control plane moves states on its provisioning schedule.
// For auto, kernel and userspace, topology.Open logs which backend it chose
// and why; asking for kernel where bonding or 8021q is missing fails with an
// error that names the module. The data plane's namespaces are named with
// prefix (DefaultPrefix when empty) and recorded in own (the state's record), so that it adopts and
// deletes only those it made, never another serve's or a lab's. cps (the state's store of
// checkpoints) lets a userspace data plane's LAGs and VIFs outlive the process: the next
// serve adopts them and resumes their LACP.
func openDataPlane(ctx context.Context, mode, prefix, timers string, own topology.Ownership, cps topology.Checkpoints, log *slog.Logger) (*topology.DataPlane, error) {
	if prefix == "" {
		prefix = topology.DefaultPrefix
	}
	if err := checkServePrefix(prefix); err != nil {
		return nil, err
	}
	switch mode {
	case "none":
		if timers != "" && timers != topology.TimersLinux {
			return nil, fmt.Errorf("--lacp-timers %s: --dataplane none has no LAGs to time", timers)
		}
		return nil, nil
	case "auto", "kernel", "userspace":
		dp, err := topology.Open(ctx, topology.Options{Backend: mode, Prefix: prefix, LACPTimers: timers, Ownership: own, Checkpoints: cps, Logger: log})
		if err != nil {
			return nil, fmt.Errorf("--dataplane %s: %w", mode, err)
		}
		return dp, nil
	}
	return nil, fmt.Errorf("unknown --dataplane %q: want auto, kernel, userspace or none", mode)
}

// servePrefixRE is a serve's namespace prefix: "dxsim", then letters or
// digits, then optionally more '-'-separated parts. It never starts
// "dxsim-": that is the form of a lab's prefix ("dxsim-<lab>") and the
// demo's ("dxsim-demo"), so a serve's namespaces and theirs are disjoint.
var servePrefixRE = regexp.MustCompile(`^dxsim[a-z0-9]*(-[a-z0-9]+)*$`)

const maxServePrefix = 32

// checkServePrefix refuses a --prefix whose namespaces could be taken for a
// lab's, the demo's or another serve's.
func checkServePrefix(p string) error {
	switch {
	case strings.HasPrefix(p, topology.DefaultPrefix+"-"):
		return fmt.Errorf(`--prefix %q: "dxsim-<name>" is how lab <name>'s namespaces (and the demo's, dxsim-demo) are named; `+
			`a serve's prefix is "dxsim" then letters or digits, e.g. %q`, p, topology.DefaultPrefix+strings.ReplaceAll(strings.TrimPrefix(p, topology.DefaultPrefix+"-"), "-", ""))
	case len(p) > maxServePrefix || !servePrefixRE.MatchString(p):
		return fmt.Errorf(`--prefix %q: want "dxsim" then letters or digits (a-z, 0-9), optionally "-" and more, at most %d characters, e.g. "dxsim2"`, p, maxServePrefix)
	}
	for _, part := range strings.Split(p, "-")[1:] {
		if part == "dx" || part == "cr" {
			return fmt.Errorf(`--prefix %q: a %q part would make its namespaces ("%s-dx-<device>") look like those of a serve with a shorter prefix`, p, part, p)
		}
	}
	return nil
}
