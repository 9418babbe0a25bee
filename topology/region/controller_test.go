package region

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/bus"
	"github.com/dxsim/dxsim/topology"
	"github.com/dxsim/dxsim/topology/observe"
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
	rt := f.routing
	rt.VIFs = append([]sim.RoutedVIF(nil), rt.VIFs...) // as the service's, a copy each time
	return rt, nil
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

func (f *fakes) RegionNamespace(region string) string { return "rg-" + region }

func (f *fakes) Namespaces(device string) (string, string) { return "dx-" + device, "cr-" + device }

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

// TestTargets: a connection's VIFs, and those that just left it for a LAG,
// are probed from the customer's network to their address space's first
// IPv4 address.
func TestTargets(t *testing.T) {
	defer goleak.VerifyNone(t)
	rt := twoVIFs()
	rt.VIFs[0].Parent, rt.VIFs[1].Parent = "dxcon-1", "dxcon-2"
	rt.Networks[0].CIDRs = []string{"2600:1f18::/56", "10.16.0.0/16"}
	f := &fakes{changes: make(chan sim.StateChange, 16), routing: rt}
	c := New(Config{Source: f, Learner: f, DataPlane: f, Repair: time.Hour})
	defer c.Close()
	require.Eventually(t, func() bool { return len(f.sets()) == 1 }, 5*time.Second, time.Millisecond)
	nets := func(vif string) (netip.Prefix, bool) {
		return netip.MustParsePrefix("100.64.5.0/24"), vif == "dxvif-00000001"
	}
	targets := c.Targets(nets)
	assert.Equal(t, []observe.RoutedTarget{{VIFID: "dxvif-00000001", FromNS: "cr-d1", ToNS: "rg-us-east-1",
		From: netip.MustParseAddr("100.64.5.1"), To: netip.MustParseAddr("10.16.0.1")}}, targets("dxcon-1"))
	assert.Empty(t, targets("dxcon-2"), "not dxsim's customer router: nothing to probe from")

	// The VIF moves with its connection to a LAG: still the connection's.
	f.mu.Lock()
	f.routing.VIFs[0].Parent = "dxlag-1"
	f.mu.Unlock()
	f.changes <- sim.StateChange{}
	require.Eventually(t, func() bool { return len(targets("dxlag-1")) == 1 }, 5*time.Second, time.Millisecond)
	assert.Len(t, targets("dxcon-1"), 1, "the connection it just left")
}
