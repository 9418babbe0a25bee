package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/dxsim/dxsim/sim"
)

const (
	// labRepairSettle is how long a lab up waits after a link goes down or
	// away before it repairs: a port deleted takes both its ends, a LAG
	// its members, and the burst is one repair.
	labRepairSettle = 500 * time.Millisecond
	// labRepairEvery is how often a lab up repairs with no event to go by:
	// a VLAN deleted, or a bond member released, reports no carrier lost.
	labRepairEvery = 5 * time.Second
)

// labKeeper keeps a running lab as its file says: it reconciles the data
// plane to the lab's snapshot a moment after a link goes down or away, and
// every so often regardless, and prints each repair. The repair is
// Reconcile's, with the lab's own snapshot: what the snapshot holds down on
// purpose stays down.
type labKeeper struct {
	reconcile func(context.Context) ([]sim.Drift, error)
	out       io.Writer
	now       func() time.Time
	settle    time.Duration
	every     time.Duration

	lastErr string // the last failure printed, so a lasting one is printed once
}

// damage says an event may mean something to repair: a port's or LAG's
// carrier lost, or its interface gone (reported as carrier lost).
func damage(e sim.Event) bool {
	return (e.Kind == sim.EventLink || e.Kind == sim.EventLAG) && !e.Up
}

// run repairs until ctx ends. events are the data plane's; run reads them
// until they close, and repairs on its interval after that.
func (k *labKeeper) run(ctx context.Context, events <-chan sim.Event) {
	tick := time.NewTicker(k.every)
	defer tick.Stop()
	settle := time.NewTimer(k.settle)
	settle.Stop()
	defer settle.Stop()
	settling := false
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			// The first loss arms the timer; those after it ride along,
			// so a flapping link cannot put the repair off for ever.
			if damage(e) && !settling {
				settle.Reset(k.settle)
				settling = true
			}
			continue
		case <-settle.C:
			settling = false
		case <-tick.C:
		}
		k.repair(ctx)
		tick.Reset(k.every)
	}
}

// repair reconciles once and prints what it found and did.
func (k *labKeeper) repair(ctx context.Context) {
	drift, err := k.reconcile(ctx)
	if ctx.Err() != nil {
		return // stopping: a reconcile cut short is no failure
	}
	ts := k.now().Format("15:04:05.000")
	for _, d := range drift {
		fmt.Fprintf(k.out, "%s repair   %s: found %s; %s\n", ts, d.ObjectID, d.Problem, d.Action)
	}
	switch {
	case err == nil:
		k.lastErr = ""
	case err.Error() != k.lastErr:
		k.lastErr = err.Error()
		fmt.Fprintf(k.out, "%s repair   failed: %v (trying again in %s)\n", ts, err, k.every)
	}
}
