package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/dxsim/dxsim/sim/lab"
	"github.com/dxsim/dxsim/topology"
	"github.com/dxsim/dxsim/topology/labctl"
)

const (
	// labAskTimeout bounds asking a running lab up for its status: reading
	// a large lab takes a while, a hung process should not hang the caller.
	labAskTimeout = 30 * time.Second
	// labStopTimeout bounds waiting for a running lab up to close its data
	// plane: hundreds of userspace LAGs take seconds.
	labStopTimeout = 60 * time.Second
)

func labSocket(l *lab.Lab) (*labctl.Client, error) {
	path, err := labctl.SocketPath(labctl.DefaultDir, l.Prefix)
	if err != nil {
		return nil, fmt.Errorf("lab %s: %w", l.Name, err)
	}
	return labctl.NewClient(path), nil
}

// serveLab claims the lab's socket and answers on it with what dp sees and,
// when src is not nil, the BGP sessions it has.
func serveLab(ctx context.Context, l *lab.Lab, dp *topology.DataPlane, src *lab.Source, log *slog.Logger) (*labctl.Server, error) {
	c, err := labSocket(l)
	if err != nil {
		return nil, err
	}
	backend, why := dp.Backend()
	status := func(ctx context.Context) (labctl.Report, error) {
		st, err := dp.Status(ctx)
		rep := labctl.Report{Lab: l.Name, Backend: backend, Why: why, Status: st}
		if src != nil {
			rep.BGP = src.Sessions()
		}
		return rep, err
	}
	srv, err := labctl.Listen(ctx, c.Path(), status, log)
	var running *labctl.RunningError
	if errors.As(err, &running) {
		return nil, fmt.Errorf("lab %s: %w; not starting a second engine on its links (interrupt that one first)", l.Name, err)
	}
	if err != nil {
		return nil, fmt.Errorf("lab %s: %w", l.Name, err)
	}
	return srv, nil
}

func labStatus(ctx context.Context, out, stderr io.Writer, f labFlags) error {
	l, err := f.lab()
	if err != nil {
		return err
	}
	c, err := labSocket(l)
	if err != nil {
		return err
	}
	actx, cancel := context.WithTimeout(ctx, labAskTimeout)
	rep, err := c.Status(actx)
	cancel()
	if err == nil {
		note := fmt.Sprintf("status from the running `dxsim lab up`, pid %d (%s)", rep.PID, c.Path())
		printLabStatus(out, l, labView{backend: rep.Backend, why: rep.Why, note: note, st: rep.Status, bgp: rep.BGP, bgpRunning: true})
		return nil
	}
	if !errors.Is(err, labctl.ErrNotRunning) {
		fmt.Fprintf(stderr, "lab %s: asking the running `dxsim lab up`: %v; reading the kernel instead\n", l.Name, err)
	}
	dp, err := openLab(ctx, l, f.dataplane, labLogger(stderr))
	if err != nil {
		return err
	}
	defer dp.Close()
	st, err := dp.Status(ctx)
	if err != nil {
		return err
	}
	backend, why := dp.Backend()
	note := ""
	switch {
	case backend == "userspace" && (len(l.Snapshot.LAGs) > 0 || len(l.Snapshot.VLANs) > 0):
		note = "no `dxsim lab up` is running for this lab, so its userspace LAGs and VIFs are not there (they live in the process that makes them)"
	case len(l.BGP) > 0:
		note = "no `dxsim lab up` is running for this lab, so its BGP is not (the speakers live in the process that starts them)"
	}
	printLabStatus(out, l, labView{backend: backend, why: why, note: note, st: st})
	return nil
}

func labDown(ctx context.Context, out, stderr io.Writer, f labFlags) error {
	l, err := f.lab()
	if err != nil {
		return err
	}
	c, err := labSocket(l)
	if err != nil {
		return err
	}
	stopErr := stopLabUp(ctx, out, stderr, l, c)
	n, err := topology.TeardownPrefix(l.Prefix)
	if err != nil {
		return errors.Join(stopErr, err)
	}
	if cps, err := labctl.CheckpointsFor(labctl.DefaultDir, l.Prefix); err == nil {
		stopErr = errors.Join(stopErr, cps.RemoveAll())
	}
	fmt.Fprintf(out, "lab %s: deleted %d namespaces (%s-…)\n", l.Name, n, l.Prefix)
	return stopErr
}

// stopLabUp asks the lab's running lab up, if any, to stop, and waits for it
// to have closed its data plane. An error means one may still run; the
// namespaces are deleted regardless, which is what down is for.
func stopLabUp(ctx context.Context, out, stderr io.Writer, l *lab.Lab, c *labctl.Client) error {
	actx, cancel := context.WithTimeout(ctx, labAskTimeout)
	pid, err := c.Stop(actx)
	cancel()
	if errors.Is(err, labctl.ErrNotRunning) {
		removeStaleSocket(ctx, out, stderr, l, c)
		return nil
	}
	if err != nil {
		fmt.Fprintf(stderr, "lab %s: asking the running `dxsim lab up` to stop: %v; deleting the namespaces anyway\n", l.Name, err)
		return nil
	}
	wctx, cancel := context.WithTimeout(ctx, labStopTimeout)
	defer cancel()
	if err := c.WaitGone(wctx, 100*time.Millisecond); err != nil {
		return fmt.Errorf("lab %s: the running `dxsim lab up` (pid %d) was asked to stop but has not: %w", l.Name, pid, err)
	}
	fmt.Fprintf(out, "lab %s: stopped the running `dxsim lab up` (pid %d)\n", l.Name, pid)
	return nil
}

// removeStaleSocket removes the socket a killed lab up left (nothing
// listens on it), and says so. Failing to is no reason not to go on.
func removeStaleSocket(ctx context.Context, out, stderr io.Writer, l *lab.Lab, c *labctl.Client) {
	removed, err := labctl.RemoveStale(ctx, c.Path())
	if err != nil {
		fmt.Fprintf(stderr, "lab %s: %v\n", l.Name, err)
		return
	}
	if removed {
		fmt.Fprintf(out, "lab %s: removed %s, left by a `dxsim lab up` that did not stop cleanly (nothing listened on it)\n", l.Name, c.Path())
	}
}
