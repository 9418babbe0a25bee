package topology

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/dxsim/dxsim/sim"
)

func TestPortIsVethBetweenDeviceAndRouter(t *testing.T) {
	d := openTest(t, nil)
	ev := record(t, d)
	ctx := context.Background()
	p := sim.PortSpec{ConnectionID: "dxcon-aaaa0001", DeviceID: "EqDC2-dev1"}
	if err := d.CreatePort(ctx, p); err != nil {
		t.Fatal(err)
	}
	// Idempotent: the same spec again changes nothing and does not fail.
	if err := d.CreatePort(ctx, p); err != nil {
		t.Fatalf("second CreatePort: %v", err)
	}
	aws := handleIn(t, d.names.ns(roleDevice, "EqDC2-dev1"))
	cust := handleIn(t, d.names.ns(roleRouter, "EqDC2-dev1"))
	for side, h := range map[string]*netlink.Handle{"aws": aws, "customer": cust} {
		l, err := h.LinkByName(p.ConnectionID)
		if err != nil {
			t.Fatalf("%s end: %v", side, err)
		}
		if l.Type() != "veth" {
			t.Errorf("%s end is a %s, want veth", side, l.Type())
		}
	}
	if _, err := netlink.LinkByName(p.ConnectionID); err == nil {
		t.Fatal("the port appeared in the host's namespace")
	}
	for _, side := range []sim.Side{sim.SideAWS, sim.SideCustomer} {
		ev.wait(t, side.String()+" link up", func(e sim.Event) bool {
			return e.Kind == sim.EventLink && e.Side == side && e.ConnectionID == p.ConnectionID && e.Up
		})
	}
	st, err := d.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Ports) != 1 || !st.Ports[0].AWSUp || !st.Ports[0].CustomerUp {
		t.Fatalf("status %+v, want one port up on both ends", st.Ports)
	}

	// Taking the customer end down is seen on the AWS end as lost carrier.
	l, _ := cust.LinkByName(p.ConnectionID)
	if err := cust.LinkSetDown(l); err != nil {
		t.Fatal(err)
	}
	ev.wait(t, "aws link down", func(e sim.Event) bool {
		return e.Kind == sim.EventLink && e.Side == sim.SideAWS && e.ConnectionID == p.ConnectionID && !e.Up
	})

	if err := d.DeletePort(ctx, p.ConnectionID); err != nil {
		t.Fatal(err)
	}
	if _, err := aws.LinkByName(p.ConnectionID); err == nil {
		t.Fatal("port still there after DeletePort")
	}
	if err := d.DeletePort(ctx, p.ConnectionID); err != nil {
		t.Fatalf("deleting a deleted port: %v", err)
	}
}

func TestPortOnAnotherDeviceIsRefused(t *testing.T) {
	d := openTest(t, nil)
	ctx := context.Background()
	if err := d.CreatePort(ctx, sim.PortSpec{ConnectionID: "dxcon-aaaa0001", DeviceID: "dev1"}); err != nil {
		t.Fatal(err)
	}
	if err := d.CreatePort(ctx, sim.PortSpec{ConnectionID: "dxcon-aaaa0001", DeviceID: "dev2"}); err == nil {
		t.Fatal("the same connection was made on a second device")
	}
	if err := d.CreatePort(ctx, sim.PortSpec{ConnectionID: "dxcon-much-too-long-for-ifnamsiz", DeviceID: "dev1"}); err == nil {
		t.Fatal("an ID longer than IFNAMSIZ was accepted")
	}
}

func TestTeardownRemovesOnlyItsOwnNamespaces(t *testing.T) {
	ctx := context.Background()
	d := openTest(t, nil)
	other := openTest(t, nil)
	for i, dp := range []*DataPlane{d, other} {
		if err := dp.CreatePort(ctx, sim.PortSpec{ConnectionID: "dxcon-aaaa0001", DeviceID: "dev1"}); err != nil {
			t.Fatalf("data plane %d: %v", i, err)
		}
	}
	if err := d.Teardown(ctx); err != nil {
		t.Fatal(err)
	}
	if left, _ := listNS(d.opts.Prefix + "-"); len(left) != 0 {
		t.Fatalf("left %v", left)
	}
	if left, _ := listNS(other.opts.Prefix + "-"); len(left) != 2 {
		t.Fatalf("the other lab's namespaces: %v, want its two", left)
	}
	// The torn-down data plane builds afresh.
	if err := d.CreatePort(ctx, sim.PortSpec{ConnectionID: "dxcon-aaaa0002", DeviceID: "dev1"}); err != nil {
		t.Fatalf("after teardown: %v", err)
	}
}

func TestAddVethsReportsEachPair(t *testing.T) {
	d := openTest(t, nil)
	ctx := context.Background()
	// One pair exists already: its request fails, the others' do not.
	if err := d.CreatePort(ctx, sim.PortSpec{ConnectionID: "dxcon-bat00002", DeviceID: "dev1"}); err != nil {
		t.Fatal(err)
	}
	dev := d.devices["dev1"]
	var names []string
	for i := range 150 { // more than one window
		names = append(names, fmt.Sprintf("dxcon-bat%05d", i))
	}
	errs := addVeths(d.log, dev.aws, dev.cust, names, true)
	for i, err := range errs {
		if (i == 2) != (err != nil) {
			t.Errorf("%s: %v", names[i], err)
		}
	}
	if !errors.Is(errs[2], unix.EEXIST) {
		t.Errorf("existing pair: %v, want EEXIST", errs[2])
	}
	cust := handleIn(t, d.names.ns(roleRouter, "dev1"))
	for _, name := range []string{names[0], names[149]} {
		l, err := cust.LinkByName(name)
		if err != nil || !up(l) {
			t.Errorf("customer end %s: %v, up %v", name, err, err == nil && up(l))
		}
	}
}
