package topology

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology/backend"
	"github.com/dxsim/dxsim/topology/kernel"
)

// defaultLab is the default lab on one device: a LAG of two
// connections with minimum links 1, and a standalone connection with a
// private VIF.
var defaultLab = sim.Snapshot{
	LAGs: []sim.LAGSpec{{LAGID: "dxlag-lab00001", DeviceID: "dev1", MinLinks: 1}},
	Ports: []sim.PortSpec{
		{ConnectionID: "dxcon-lab00001", DeviceID: "dev1", LAGID: "dxlag-lab00001"},
		{ConnectionID: "dxcon-lab00002", DeviceID: "dev1", LAGID: "dxlag-lab00001"},
		{ConnectionID: "dxcon-lab00003", DeviceID: "dev1"},
	},
	VLANs: []sim.VLANSpec{{
		ID: "dxvif-lab00001", ParentID: "dxcon-lab00003", VLAN: 101,
		AmazonAddress: "169.254.10.1/30", CustomerAddress: "169.254.10.2/30",
	}},
}

func build(t *testing.T, d *DataPlane, s sim.Snapshot) {
	t.Helper()
	ctx := context.Background()
	for _, l := range s.LAGs {
		require.NoError(t, d.CreateLAG(ctx, l))
	}
	for _, p := range s.Ports {
		require.NoError(t, d.CreatePort(ctx, p))
	}
	for _, v := range s.VLANs {
		require.NoError(t, d.CreateVLAN(ctx, v))
	}
}

// waitConverged waits until a member is collecting and distributing on both
// sides.
func waitConverged(t *testing.T, ev *recorder, lagID, conn string) {
	t.Helper()
	for _, side := range []sim.Side{sim.SideAWS, sim.SideCustomer} {
		ev.wait(t, conn+" collecting+distributing on the "+side.String()+" side", func(e sim.Event) bool {
			return e.Kind == sim.EventLACP && e.Side == side && e.ConnectionID == conn && e.LAGID == lagID && e.CollectingDistributing()
		})
	}
}

// testDefaultLabAssociate builds the default lab, associates the standalone
// connection into the LAG, moves its VIF with it, and waits for LACP to
// converge both ways; it runs on either backend.
func testDefaultLabAssociate(t *testing.T, d *DataPlane) {
	ctx := context.Background()
	ev := record(t, d)
	build(t, d, defaultLab)
	lagID := "dxlag-lab00001"
	waitConverged(t, ev, lagID, "dxcon-lab00001")
	waitConverged(t, ev, lagID, "dxcon-lab00002")

	st, err := d.MovePort(ctx, sim.Move{ConnectionID: "dxcon-lab00003", To: lagID})
	require.NoError(t, err)
	require.False(t, st.Down.IsZero(), "steps out of order: %+v", st)
	require.False(t, st.Changed.Before(st.Down), "steps out of order: %+v", st)
	require.False(t, st.Up.Before(st.Changed), "steps out of order: %+v", st)
	require.NoError(t, d.MoveVLAN(ctx, "dxvif-lab00001", lagID))
	waitConverged(t, ev, lagID, "dxcon-lab00003")

	s, err := d.Status(ctx)
	require.NoError(t, err)
	require.Len(t, s.LAGs, 1, "LAG status %+v, want three members on each side", s.LAGs)
	require.Len(t, s.LAGs[0].AWS.Members, 3, "LAG status %+v, want three members on each side", s.LAGs)
	require.Len(t, s.LAGs[0].Customer.Members, 3, "LAG status %+v, want three members on each side", s.LAGs)
	require.Len(t, s.VLANs, 1, "VLAN status %+v, want the VIF on the LAG", s.VLANs)
	require.Equal(t, lagID, s.VLANs[0].Parent, "VLAN status %+v, want the VIF on the LAG", s.VLANs)
	// Reconcile against the state as it now stands finds nothing to do.
	now := defaultLab
	now.Ports = []sim.PortSpec{defaultLab.Ports[0], defaultLab.Ports[1],
		{ConnectionID: "dxcon-lab00003", DeviceID: "dev1", LAGID: lagID}}
	now.VLANs = []sim.VLANSpec{defaultLab.VLANs[0]}
	now.VLANs[0].ParentID = lagID
	drift, err := d.Reconcile(ctx, now)
	require.NoError(t, err)
	require.Empty(t, drift, "reconcile after associate")
}

func TestUserspaceDefaultLabAssociateConverges(t *testing.T) {
	d := openTest(t, nil)
	testDefaultLabAssociate(t, d)
}

// TestUserspaceLACPEventsWithoutPolling checks that the engine's own events
// reach Events: with the poll an hour apart, convergence is still reported.
func TestUserspaceLACPEventsWithoutPolling(t *testing.T) {
	d := openTestPrefix(t, testPrefix(), "userspace", nil, func(o *Options) { o.PollInterval = time.Hour })
	ev := record(t, d)
	build(t, d, defaultLab)
	waitConverged(t, ev, "dxlag-lab00001", "dxcon-lab00001")
	waitConverged(t, ev, "dxlag-lab00001", "dxcon-lab00002")
}

// failingAdd is a backend whose LAGs exist only in memory and whose
// AddMembers fails: for checking what a failed step leaves behind.
type failingAdd struct {
	kernel.Backend
	mu   sync.Mutex // both sides' calls may run at once
	lags map[string]bool
}

// LAGs reports none: they exist only in f.lags.
func (f *failingAdd) LAGs(context.Context, *backend.NS) ([]backend.LAGStatus, error) { return nil, nil }

func (f *failingAdd) CreateLAG(_ context.Context, ns *backend.NS, c backend.LAGConfig) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lags[ns.Name+"/"+c.Name] = true
	return nil
}

func (f *failingAdd) AddMembers(context.Context, *backend.NS, []backend.Membership) (int, error) {
	return 0, errors.New("injected failure")
}

func TestFailedEnslaveRemovesHalfMadePort(t *testing.T) {
	d := openTest(t, &failingAdd{lags: map[string]bool{}})
	ctx := context.Background()
	require.NoError(t, d.CreateLAG(ctx, sim.LAGSpec{LAGID: "dxlag-aaaa0001", DeviceID: "dev1"}))
	err := d.CreatePort(ctx, sim.PortSpec{ConnectionID: "dxcon-aaaa0001", DeviceID: "dev1", LAGID: "dxlag-aaaa0001"})
	require.Error(t, err, "CreatePort into a LAG whose enslave fails succeeded")
	for _, r := range []role{roleDevice, roleRouter} {
		h := handleIn(t, d.names.ns(r, "dev1"))
		_, err := h.LinkByName("dxcon-aaaa0001")
		assert.Error(t, err, "half-made port left in the %s namespace", r)
	}
}

func TestFailedAttachLeavesPortStandaloneAndUp(t *testing.T) {
	d := openTest(t, &failingAdd{lags: map[string]bool{}})
	ctx := context.Background()
	require.NoError(t, d.CreateLAG(ctx, sim.LAGSpec{LAGID: "dxlag-aaaa0001", DeviceID: "dev1"}))
	require.NoError(t, d.CreatePort(ctx, sim.PortSpec{ConnectionID: "dxcon-aaaa0001", DeviceID: "dev1"}))
	_, err := d.MovePort(ctx, sim.Move{ConnectionID: "dxcon-aaaa0001", To: "dxlag-aaaa0001"})
	require.Error(t, err, "attach succeeded")
	for _, r := range []role{roleDevice, roleRouter} {
		h := handleIn(t, d.names.ns(r, "dev1"))
		l, err := h.LinkByName("dxcon-aaaa0001")
		require.NoError(t, err)
		assert.True(t, up(l), "%s end left down after a failed attach", r)
	}
	assert.Empty(t, d.ports["dxcon-aaaa0001"].lag, "port recorded as a member of a LAG after a failed attach")
}

// up reports an interface administratively up.
func up(l netlink.Link) bool { return l.Attrs().RawFlags&1 != 0 }

func TestReconcileRemovesMembersItCouldNotEnslave(t *testing.T) {
	d := openTest(t, &failingAdd{lags: map[string]bool{}})
	_, err := d.Reconcile(context.Background(), sim.Snapshot{
		LAGs: []sim.LAGSpec{{LAGID: "dxlag-aaaa0001", DeviceID: "dev1"}},
		Ports: []sim.PortSpec{
			{ConnectionID: "dxcon-aaaa0001", DeviceID: "dev1", LAGID: "dxlag-aaaa0001"},
			{ConnectionID: "dxcon-aaaa0002", DeviceID: "dev1", LAGID: "dxlag-aaaa0001"},
			{ConnectionID: "dxcon-aaaa0003", DeviceID: "dev1"},
		},
	})
	require.Error(t, err, "reconcile succeeded though no member can be enslaved")
	h := handleIn(t, d.names.ns(roleDevice, "dev1"))
	for _, id := range []string{"dxcon-aaaa0001", "dxcon-aaaa0002"} {
		_, err := h.LinkByName(id)
		assert.Error(t, err, "%s left behind after its enslave failed", id)
	}
	l, err := h.LinkByName("dxcon-aaaa0003")
	if assert.NoError(t, err, "the standalone port") {
		assert.True(t, up(l), "the standalone port is down")
	}
}
