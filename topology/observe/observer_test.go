package observe

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netns"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/bus"
	"github.com/dxsim/dxsim/topology"
)

// fakeSource is a data plane that announces the moves a test makes.
type fakeSource struct {
	mu     sync.Mutex
	hooks  []topology.MoveHook
	events bus.Bus[sim.Event]
}

func (f *fakeSource) OnMove(h topology.MoveHook) func() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hooks = append(f.hooks, h)
	i := len(f.hooks) - 1
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.hooks[i] = nil
	}
}

func (f *fakeSource) SubscribeEvents(limit int) *bus.Sub[sim.Event] { return f.events.Subscribe(limit) }

// move announces m as a data plane does and finishes it with st.
func (f *fakeSource) move(m topology.Move, st sim.StepTimes, err error) {
	f.mu.Lock()
	hooks := append([]topology.MoveHook(nil), f.hooks...)
	f.mu.Unlock()
	for _, h := range hooks {
		if h == nil {
			continue
		}
		if done := h(m); done != nil {
			done(st, err)
		}
	}
}

var requested = time.Unix(1_700_000_000, 0).UTC()

func steps() sim.StepTimes {
	return sim.StepTimes{Down: requested.Add(time.Millisecond), Changed: requested.Add(2 * time.Millisecond), Up: requested.Add(3 * time.Millisecond)}
}

func newObserver(t *testing.T) (*Observer, *fakeSource) {
	t.Helper()
	src := &fakeSource{}
	obs := New(src, Config{PcapDir: t.TempDir()})
	t.Cleanup(func() { obs.Close() })
	return obs, src
}

// TestMovesThatAreNoOperationAreNotObserved: a LAG's members released as it
// is deleted, or ports put in place, are not interruptions to report.
func TestMovesThatAreNoOperationAreNotObserved(t *testing.T) {
	t.Parallel()
	obs, src := newObserver(t)
	src.move(topology.Move{Move: sim.Move{ConnectionID: "dxcon-aaaa0001", From: "dxlag-aaaa0001", Op: sim.OpNone, Requested: requested}}, steps(), nil)
	_, ok := obs.Report("dxcon-aaaa0001")
	assert.False(t, ok)
	_, err := obs.Wait(context.Background(), "dxcon-aaaa0001")
	var notObserved *NotObservedError
	require.ErrorAs(t, err, &notObserved)
	assert.Equal(t, "dxcon-aaaa0001", notObserved.ConnectionID)
}

// TestObserverReportsWhatItCouldNotObserve: an associate whose links cannot
// be observed (here: no namespace handles) still has a report, with the
// operation and request time the move carried, the data plane's steps, and
// why it was not observed; subscribers get it too.
func TestObserverReportsWhatItCouldNotObserve(t *testing.T) {
	t.Parallel()
	obs, src := newObserver(t)
	updates, stop := obs.Subscribe(0)
	defer stop()
	failed := errors.New("enslave refused")
	src.move(topology.Move{
		Move:   sim.Move{ConnectionID: "dxcon-aaaa0002", To: "dxlag-aaaa0001", Op: sim.OpAssociate, Requested: requested},
		Device: "EqDC2-abcd", AWS: netns.None(), Customer: netns.None(),
	}, steps(), failed)
	r, err := obs.Wait(context.Background(), "dxcon-aaaa0002")
	require.NoError(t, err)
	assert.Equal(t, sim.OpAssociate, r.Op)
	assert.Equal(t, "dxlag-aaaa0001", r.LAGID)
	assert.True(t, r.Requested.Equal(requested), "the request time is the one the move carried")
	assert.Contains(t, r.Err, "not observed")
	assert.Contains(t, r.Err, "enslave refused")
	down, ok := r.Milestone(sim.MilestoneDXPortDown)
	require.True(t, ok, "the data plane's steps are kept: %+v", r.Milestones)
	assert.InDelta(t, 1.0, down.TMS, 0.001)

	select {
	case u := <-updates:
		require.NotNil(t, u.Report)
		assert.Equal(t, "dxcon-aaaa0002", u.ConnectionID)
		assert.Equal(t, sim.OpAssociate, u.Op)
	case <-time.After(10 * time.Second):
		require.FailNow(t, "no update for the finished report")
	}
}

// TestDisassociateReportNamesTheLAGThePortWasIn: after a crash the control
// plane's From may be stale; the report names the LAG the data plane found
// the port in.
func TestDisassociateReportNamesTheLAGThePortWasIn(t *testing.T) {
	t.Parallel()
	obs, src := newObserver(t)
	src.move(topology.Move{
		Move:  sim.Move{ConnectionID: "dxcon-aaaa0003", From: "dxlag-aaaa0001", Op: sim.OpDisassociate, Requested: requested},
		Found: "dxlag-aaaa0002", AWS: netns.None(), Customer: netns.None(),
	}, steps(), nil)
	r, err := obs.Wait(context.Background(), "dxcon-aaaa0003")
	require.NoError(t, err)
	assert.Equal(t, sim.OpDisassociate, r.Op)
	assert.Equal(t, "dxlag-aaaa0002", r.LAGID)
	_, ok := r.Milestone(sim.MilestoneReleased)
	assert.True(t, ok)
}

// TestObserverClose: Close ends the subscriptions and stops listening to the
// data plane: a move after it is not observed.
func TestObserverClose(t *testing.T) {
	t.Parallel()
	src := &fakeSource{}
	obs := New(src, Config{})
	updates, _ := obs.Subscribe(1)
	require.Equal(t, 1, src.events.Subscribers(), "the observer listens to the data plane's events")
	require.NoError(t, obs.Close())
	_, open := <-updates
	assert.False(t, open, "an update after Close")
	assert.Equal(t, 0, src.events.Subscribers(), "the observer stopped listening")
	src.move(topology.Move{Move: sim.Move{ConnectionID: "dxcon-aaaa0004", To: "dxlag-aaaa0001", Op: sim.OpAssociate}}, steps(), nil)
	_, ok := obs.Report("dxcon-aaaa0004")
	assert.False(t, ok)
}
