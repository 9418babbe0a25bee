package topology

import (
	"context"
	"testing"

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
	if name, _ := d.Backend(); name != "kernel" {
		t.Fatalf("backend %s", name)
	}
	testDefaultLabAssociate(t, d)

	lagID := "dxlag-lab00001"
	for _, r := range []role{roleDevice, roleRouter} {
		h := handleIn(t, d.names.ns(r, "dev1"))
		l, err := h.LinkByName(lagID)
		if err != nil {
			t.Fatal(err)
		}
		b, ok := l.(*netlink.Bond)
		if !ok {
			t.Fatalf("%s: %s is a %s, want a bond", r, lagID, l.Type())
		}
		if b.Mode != netlink.BOND_MODE_802_3AD || b.LacpRate != netlink.BOND_LACP_RATE_FAST || b.Miimon != 100 || b.MinLinks != 1 {
			t.Errorf("%s bond: mode %v lacp_rate %v miimon %d min_links %d; want 802.3ad fast 100 1", r, b.Mode, b.LacpRate, b.Miimon, b.MinLinks)
		}
		if got, want := b.HardwareAddr.String(), systemMAC(r, "dev1").String(); got != want {
			t.Errorf("%s bond MAC %s, want the device's system MAC %s", r, got, want)
		}
		for _, c := range []string{"dxcon-lab00001", "dxcon-lab00002", "dxcon-lab00003"} {
			m, err := h.LinkByName(c)
			if err != nil {
				t.Fatal(err)
			}
			if m.Attrs().MasterIndex != b.Index {
				t.Errorf("%s: %s is not enslaved to %s", r, c, lagID)
			}
		}
		v, err := h.LinkByName("dxvif-lab00001")
		if err != nil {
			t.Fatal(err)
		}
		if vl, ok := v.(*netlink.Vlan); !ok || vl.VlanId != 101 || vl.ParentIndex != b.Index {
			t.Errorf("%s: VIF is %+v, want VLAN 101 on the bond", r, v.Attrs())
		}
		addrs, err := h.AddrList(v, netlink.FAMILY_V4)
		if err != nil || len(addrs) != 1 {
			t.Fatalf("%s: VIF addresses %v, %v", r, addrs, err)
		}
		want := "169.254.10.1/30"
		if r == roleRouter {
			want = "169.254.10.2/30"
		}
		if addrs[0].IPNet.String() != want {
			t.Errorf("%s: VIF address %s after the move, want %s", r, addrs[0].IPNet, want)
		}
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
	if err := d.SetMinLinks(ctx, lagID, 3); err != nil {
		t.Fatal(err)
	}
	ev.wait(t, "LAG down with min links 3 of 2", lagEvent(false))
	s, err := d.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.LAGs[0].AWS.Up || s.LAGs[0].AWS.MinLinks != 3 {
		t.Fatalf("status %+v, want the bond without carrier, min links 3", s.LAGs[0].AWS)
	}
	// Counted before the change: the carrier can come back, and its event
	// arrive, before SetMinLinks returns.
	n := len(ev.snapshot())
	if err := d.SetMinLinks(ctx, lagID, 2); err != nil {
		t.Fatal(err)
	}
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
	if err != nil {
		t.Fatal(err)
	}
	if st.Changed.Before(st.Down) || st.Up.Before(st.Changed) {
		t.Fatalf("steps out of order: %+v", st)
	}
	for _, r := range []role{roleDevice, roleRouter} {
		h := handleIn(t, d.names.ns(r, "dev1"))
		m, err := h.LinkByName("dxcon-det00001")
		if err != nil {
			t.Fatal(err)
		}
		if m.Attrs().MasterIndex != 0 || !up(m) {
			t.Errorf("%s: after detach master %d up %v; want none, up", r, m.Attrs().MasterIndex, up(m))
		}
	}
	// A hand-made enslavement is drift that reconcile undoes.
	h := handleIn(t, d.names.ns(roleRouter, "dev1"))
	m, _ := h.LinkByName("dxcon-det00001")
	b, _ := h.LinkByName(lagID)
	_ = h.LinkSetDown(m)
	if err := h.LinkSetMasterByIndex(m, b.Attrs().Index); err != nil {
		t.Fatal(err)
	}
	drift, err := d.Reconcile(ctx, sim.Snapshot{
		LAGs:  []sim.LAGSpec{{LAGID: lagID, DeviceID: "dev1"}},
		Ports: []sim.PortSpec{{ConnectionID: "dxcon-det00001", DeviceID: "dev1"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(drift) == 0 || drift[0].ObjectID != "dxcon-det00001" {
		t.Fatalf("drift %+v, want the customer side's enslavement found", drift)
	}
	m, _ = h.LinkByName("dxcon-det00001")
	if m.Attrs().MasterIndex != 0 || !up(m) {
		t.Errorf("after reconcile the customer end has master %d, up %v", m.Attrs().MasterIndex, up(m))
	}
}
