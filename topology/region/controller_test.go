package region

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/bus"
	"github.com/dxsim/dxsim/topology"
)

type fakes struct {
	mu      sync.Mutex
	routing sim.Routing
	paths   []Path
	set     []topology.RegionSpec
	changes chan sim.StateChange
	learned bus.Bus[string]
}

func (f *fakes) Routing() (sim.Routing, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.routing, nil
}

func (f *fakes) Subscribe(int) (<-chan sim.StateChange, func()) { return f.changes, func() {} }

func (f *fakes) Paths() []Path {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Path(nil), f.paths...)
}

func (f *fakes) SubscribePaths(limit int) *bus.Sub[string] { return f.learned.Subscribe(limit) }

func (f *fakes) SetRegion(_ context.Context, s topology.RegionSpec) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.set = append(f.set, s)
	return nil
}

func (f *fakes) sets() []topology.RegionSpec {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]topology.RegionSpec(nil), f.set...)
}

// TestControllerFollowsBGP: nothing is made before a VIF is routed; a
// learned path is set at once, and so is its withdrawal, each a move of the
// return path; the routing is set again at every repair tick.
func TestControllerFollowsBGP(t *testing.T) {
	defer goleak.VerifyNone(t)
	f := &fakes{changes: make(chan sim.StateChange, 16)}
	c := New(Config{Source: f, Learner: f, DataPlane: f, Repair: time.Hour})
	moves := c.SubscribeMoves(100)
	time.Sleep(20 * time.Millisecond)
	assert.Empty(t, f.sets(), "no routed VIF: no Region")

	f.mu.Lock()
	f.routing = twoVIFs()
	f.paths = []Path{path("dxvif-00000002", 1)}
	f.mu.Unlock()
	f.learned.Publish("dxvif-00000002")
	require.Eventually(t, func() bool { return len(f.sets()) == 1 }, 5*time.Second, time.Millisecond)
	assert.Equal(t, "dxvif-00000002", f.sets()[0].Returns[0].VIFID)
	m := <-moves.C()
	assert.Equal(t, Move{Time: m.Time, Network: "vgw-a", Prefix: customer, To: "dxvif-00000002"}, m)

	// The first VIF learns it too: the tie goes to the lower ID.
	f.mu.Lock()
	f.paths = append(f.paths, path("dxvif-00000001", 1))
	f.mu.Unlock()
	f.learned.Publish("dxvif-00000001")
	m = <-moves.C()
	assert.Equal(t, "dxvif-00000002", m.From)
	assert.Equal(t, "dxvif-00000001", m.To)

	// Its session goes down: back to the other at once.
	f.mu.Lock()
	f.paths = f.paths[:1]
	f.mu.Unlock()
	f.learned.Publish("dxvif-00000001")
	m = <-moves.C()
	assert.Equal(t, "dxvif-00000002", m.To)

	// Nothing changed: nothing set.
	n := len(f.sets())
	f.changes <- sim.StateChange{}
	time.Sleep(20 * time.Millisecond)
	assert.Len(t, f.sets(), n, "an unchanged plan is not set again")
	spec, ok := c.Spec()
	require.True(t, ok)
	assert.Equal(t, f.sets()[n-1], spec)
	moves.Close()
	require.NoError(t, c.Close())
}

func TestControllerRepairs(t *testing.T) {
	defer goleak.VerifyNone(t)
	f := &fakes{changes: make(chan sim.StateChange, 16), routing: twoVIFs()}
	c := New(Config{Source: f, Learner: f, DataPlane: f, Repair: 10 * time.Millisecond})
	require.Eventually(t, func() bool { return len(f.sets()) >= 3 }, 5*time.Second, time.Millisecond, "set again at each tick")
	require.NoError(t, c.Close())
}
