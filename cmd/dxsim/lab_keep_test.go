package main

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
)

// fakeLab is a reconcile that answers from a script, one answer a call, and
// then nothing to do.
type fakeLab struct {
	mu      sync.Mutex
	answers []fakeAnswer
	calls   int
	called  chan struct{} // a send per call
}

type fakeAnswer struct {
	drift []sim.Drift
	err   error
}

func newFakeLab(answers ...fakeAnswer) *fakeLab {
	return &fakeLab{answers: answers, called: make(chan struct{}, 100)}
}

func (f *fakeLab) reconcile(context.Context) ([]sim.Drift, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.called <- struct{}{}
	if len(f.answers) == 0 {
		return nil, nil
	}
	a := f.answers[0]
	f.answers = f.answers[1:]
	return a.drift, a.err
}

func (f *fakeLab) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// waitCalls waits for n more reconciles; the limit is a bound on a hang.
func (f *fakeLab) waitCalls(t *testing.T, n int) {
	t.Helper()
	for range n {
		select {
		case <-f.called:
		case <-time.After(10 * time.Second):
			require.FailNow(t, "no reconcile")
		}
	}
}

// runKeeper runs k until the test ends, and checks it then returns.
func runKeeper(t *testing.T, k *labKeeper, events <-chan sim.Event) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		k.run(ctx, events)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			assert.Fail(t, "the keeper did not stop with its context")
		}
	})
}

var keepAt = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

func TestLabKeeperRepairsAfterDamage(t *testing.T) {
	t.Parallel()
	f := newFakeLab(fakeAnswer{drift: []sim.Drift{{ObjectID: "dxcon-lab00002", Problem: "missing", Action: "created"}}})
	out := &lockedBuffer{}
	k := &labKeeper{reconcile: f.reconcile, out: out, now: func() time.Time { return keepAt }, settle: 50 * time.Millisecond, every: time.Hour}
	events := make(chan sim.Event)
	runKeeper(t, k, events)

	// Carrier coming back and LACP are no damage.
	events <- sim.Event{Kind: sim.EventLink, ConnectionID: "dxcon-lab00001", Up: true}
	events <- sim.Event{Kind: sim.EventLACP, ConnectionID: "dxcon-lab00001", LAGID: "dxlag-lab00001"}
	events <- sim.Event{Kind: sim.EventLAG, LAGID: "dxlag-lab00001", Up: true}
	time.Sleep(200 * time.Millisecond)
	assert.Zero(t, f.count(), "reconciled with nothing lost")

	// Both ends of a port going is one repair.
	events <- sim.Event{Kind: sim.EventLink, Side: sim.SideAWS, ConnectionID: "dxcon-lab00002"}
	events <- sim.Event{Kind: sim.EventLink, Side: sim.SideCustomer, ConnectionID: "dxcon-lab00002"}
	f.waitCalls(t, 1)
	require.Eventually(t, func() bool { return out.String() != "" }, 10*time.Second, 10*time.Millisecond, "repair not printed")
	assert.Equal(t, "03:04:05.000 repair   dxcon-lab00002: found missing; created\n", out.String())

	// A LAG losing carrier is damage too.
	events <- sim.Event{Kind: sim.EventLAG, LAGID: "dxlag-lab00001"}
	f.waitCalls(t, 1)
}

func TestLabKeeperRepairsPeriodically(t *testing.T) {
	t.Parallel()
	f := newFakeLab()
	k := &labKeeper{reconcile: f.reconcile, out: &lockedBuffer{}, now: time.Now, settle: time.Hour, every: 10 * time.Millisecond}
	// With the events closed (the data plane closing) it carries on.
	events := make(chan sim.Event)
	close(events)
	runKeeper(t, k, events)
	f.waitCalls(t, 3)
}

func TestLabKeeperPrintsALastingFailureOnce(t *testing.T) {
	t.Parallel()
	boom := fakeAnswer{err: errors.New("reconcile: boom")}
	f := newFakeLab(boom, boom, boom, fakeAnswer{}, boom)
	out := &lockedBuffer{}
	k := &labKeeper{reconcile: f.reconcile, out: out, now: func() time.Time { return keepAt }, settle: time.Hour, every: 10 * time.Millisecond}
	runKeeper(t, k, nil)
	f.waitCalls(t, 6)
	line := "03:04:05.000 repair   failed: reconcile: boom (trying again in 10ms)\n"
	assert.Equal(t, line+line, out.String(), "a failure printed once while it lasts, and again once it comes back")
}
