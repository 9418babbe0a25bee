package topology

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology/netnstest"
)

func openKernel(t *testing.T) *DataPlane {
	t.Helper()
	netnstest.RequireBondingAndVLAN(t)
	return openTestPrefix(t, testPrefix(), "kernel", nil)
}

func TestKernelDefaultLabAssociateConverges(t *testing.T) {
	d := openKernel(t)
	name, _ := d.Backend()
	require.Equal(t, "kernel", name, "backend")
	testDefaultLabAssociate(t, d)

	lagID := "dxlag-lab00001"
	for _, r := range []role{roleDevice, roleRouter} {
		h := handleIn(t, d.names.ns(r, "dev1"))
		l, err := h.LinkByName(lagID)
		require.NoError(t, err)
		require.IsType(t, &netlink.Bond{}, l, "%s: %s is a %s, want a bond", r, lagID, l.Type())
		b := l.(*netlink.Bond)
		assert.Equal(t, netlink.BOND_MODE_802_3AD, b.Mode, "%s bond mode", r)
		assert.Equal(t, netlink.BOND_LACP_RATE_FAST, b.LacpRate, "%s bond lacp_rate", r)
		assert.Equal(t, 100, b.Miimon, "%s bond miimon", r)
		assert.Equal(t, 1, b.MinLinks, "%s bond min_links", r)
		assert.Equal(t, systemMAC(r, "dev1").String(), b.HardwareAddr.String(), "%s bond MAC, want the device's system MAC", r)
		for _, c := range []string{"dxcon-lab00001", "dxcon-lab00002", "dxcon-lab00003"} {
			m, err := h.LinkByName(c)
			require.NoError(t, err)
			assert.Equal(t, b.Index, m.Attrs().MasterIndex, "%s: %s is not enslaved to %s", r, c, lagID)
		}
		v, err := h.LinkByName("dxvif-lab00001")
		require.NoError(t, err)
		if assert.IsType(t, &netlink.Vlan{}, v, "%s: VIF is %+v, want VLAN 101 on the bond", r, v.Attrs()) {
			vl := v.(*netlink.Vlan)
			assert.Equal(t, 101, vl.VlanId, "%s: VIF is %+v, want VLAN 101 on the bond", r, v.Attrs())
			assert.Equal(t, b.Index, vl.ParentIndex, "%s: VIF is %+v, want VLAN 101 on the bond", r, v.Attrs())
		}
		addrs, err := h.AddrList(v, netlink.FAMILY_V4)
		require.NoError(t, err, "%s: VIF addresses", r)
		require.Len(t, addrs, 1, "%s: VIF addresses", r)
		want := "169.254.10.1/30"
		if r == roleRouter {
			want = "169.254.10.2/30"
		}
		assert.Equal(t, want, addrs[0].IPNet.String(), "%s: VIF address after the move", r)
	}
}

func TestKernelMinLinksTogglesCarrier(t *testing.T) {
	d := openKernel(t)
	ev := record(t, d)
	ctx := context.Background()
	lagID := "dxlag-min00001"
	build(t, d, sim.Snapshot{
		LAGs: []sim.LAGSpec{{LAGID: lagID, DeviceID: "dev1", MinLinks: 1}},
		Ports: []sim.PortSpec{
			{ConnectionID: "dxcon-min00001", DeviceID: "dev1", LAGID: lagID},
			{ConnectionID: "dxcon-min00002", DeviceID: "dev1", LAGID: lagID},
		},
	})
	waitConverged(t, ev, lagID, "dxcon-min00001")
	waitConverged(t, ev, lagID, "dxcon-min00002")
	lagEvent := func(up bool) func(sim.Event) bool {
		return func(e sim.Event) bool {
			return e.Kind == sim.EventLAG && e.Side == sim.SideAWS && e.LAGID == lagID && e.Up == up
		}
	}
	ev.wait(t, "LAG up", lagEvent(true))
	require.NoError(t, d.SetMinLinks(ctx, lagID, 3))
	ev.wait(t, "LAG down with min links 3 of 2", lagEvent(false))
	s, err := d.Status(ctx)
	require.NoError(t, err)
	require.False(t, s.LAGs[0].AWS.Up, "status %+v, want the bond without carrier, min links 3", s.LAGs[0].AWS)
	require.Equal(t, 3, s.LAGs[0].AWS.MinLinks, "status %+v, want the bond without carrier, min links 3", s.LAGs[0].AWS)
	// Counted before the change: the carrier can come back, and its event
	// arrive, before SetMinLinks returns.
	n := len(ev.snapshot())
	require.NoError(t, d.SetMinLinks(ctx, lagID, 2))
	ev.waitAfter(t, n, "LAG up again with min links 2", lagEvent(true))
}

func TestKernelDetachReleasesBothSides(t *testing.T) {
	d := openKernel(t)
	ctx := context.Background()
	lagID := "dxlag-det00001"
	build(t, d, sim.Snapshot{
		LAGs:  []sim.LAGSpec{{LAGID: lagID, DeviceID: "dev1"}},
		Ports: []sim.PortSpec{{ConnectionID: "dxcon-det00001", DeviceID: "dev1", LAGID: lagID}},
	})
	st, err := d.MovePort(ctx, sim.Move{ConnectionID: "dxcon-det00001", From: lagID})
	require.NoError(t, err)
	require.False(t, st.Changed.Before(st.Down), "steps out of order: %+v", st)
	require.False(t, st.Up.Before(st.Changed), "steps out of order: %+v", st)
	for _, r := range []role{roleDevice, roleRouter} {
		h := handleIn(t, d.names.ns(r, "dev1"))
		m, err := h.LinkByName("dxcon-det00001")
		require.NoError(t, err)
		assert.Zero(t, m.Attrs().MasterIndex, "%s: master after detach, want none", r)
		assert.True(t, up(m), "%s: down after detach", r)
	}
	// A hand-made enslavement is drift that reconcile undoes.
	h := handleIn(t, d.names.ns(roleRouter, "dev1"))
	m, _ := h.LinkByName("dxcon-det00001")
	b, _ := h.LinkByName(lagID)
	_ = h.LinkSetDown(m)
	require.NoError(t, h.LinkSetMasterByIndex(m, b.Attrs().Index))
	drift, err := d.Reconcile(ctx, sim.Snapshot{
		LAGs:  []sim.LAGSpec{{LAGID: lagID, DeviceID: "dev1"}},
		Ports: []sim.PortSpec{{ConnectionID: "dxcon-det00001", DeviceID: "dev1"}},
	})
	require.NoError(t, err)
	require.NotEmpty(t, drift, "want the customer side's enslavement found")
	require.Equal(t, "dxcon-det00001", drift[0].ObjectID, "drift %+v, want the customer side's enslavement found", drift)
	m, _ = h.LinkByName("dxcon-det00001")
	assert.Zero(t, m.Attrs().MasterIndex, "after reconcile the customer end has a master")
	assert.True(t, up(m), "after reconcile the customer end is down")
}
