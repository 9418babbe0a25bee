package topology

import (
	"context"
	"reflect"
	"testing"

	"github.com/vishvananda/netlink"

	"github.com/dxsim/dxsim/sim"
)

var portsOnly = sim.Snapshot{Ports: []sim.PortSpec{
	{ConnectionID: "dxcon-rec00001", DeviceID: "dev1"},
	{ConnectionID: "dxcon-rec00002", DeviceID: "dev1"},
	{ConnectionID: "dxcon-rec00003", DeviceID: "dev1"},
	{ConnectionID: "dxcon-rec00004", DeviceID: "dev2"},
}}

func TestReconcileRepairsHandEditsAndIsIdempotent(t *testing.T) {
	d := openTest(t, nil)
	ctx := context.Background()
	// Reconcile from nothing builds everything.
	drift, err := d.Reconcile(ctx, portsOnly)
	if err != nil {
		t.Fatal(err)
	}
	if len(drift) != 4 {
		t.Fatalf("first reconcile: %+v, want the four ports created", drift)
	}

	// Hand edits: a port taken down, a port deleted, a stray veth, and a
	// namespace for a device the state does not have.
	aws := handleIn(t, d.names.ns(roleDevice, "dev1"))
	l, err := aws.LinkByName("dxcon-rec00001")
	if err != nil {
		t.Fatal(err)
	}
	if err := aws.LinkSetDown(l); err != nil {
		t.Fatal(err)
	}
	l, _ = aws.LinkByName("dxcon-rec00002")
	if err := aws.LinkDel(l); err != nil {
		t.Fatal(err)
	}
	if err := aws.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "dxcon-stray001"}, PeerName: "stray-peer"}); err != nil {
		t.Fatal(err)
	}
	stray, err := openOrCreateNS(d.names.ns(roleDevice, "dev9"))
	if err != nil {
		t.Fatal(err)
	}
	stray.close()

	drift, err = d.Reconcile(ctx, portsOnly)
	if err != nil {
		t.Fatal(err)
	}
	want := []sim.Drift{
		{ObjectID: d.names.ns(roleRouter, "dev9"), Problem: "unexpected namespace", Action: "deleted"},
		{ObjectID: d.names.ns(roleDevice, "dev9"), Problem: "unexpected namespace", Action: "deleted"},
		{ObjectID: "dxcon-rec00001", Problem: "down", Action: "brought up"},
		{ObjectID: "dxcon-rec00002", Problem: "missing", Action: "created"},
		{ObjectID: "dxcon-stray001", Problem: "unexpected", Action: "deleted"},
		{ObjectID: "stray-peer", Problem: "unexpected", Action: "deleted"},
	}
	sortDrift(want)
	if !reflect.DeepEqual(drift, want) {
		t.Fatalf("drift:\n got %+v\nwant %+v", drift, want)
	}
	for _, name := range []string{"dxcon-rec00001", "dxcon-rec00002"} {
		l, err := aws.LinkByName(name)
		if err != nil || !up(l) {
			t.Errorf("%s after reconcile: %v, up=%v", name, err, err == nil && up(l))
		}
	}
	if left, _ := listNS(d.names.ns(roleDevice, "dev9")); len(left) != 0 {
		t.Errorf("unexpected namespace still there: %v", left)
	}

	drift, err = d.Reconcile(ctx, portsOnly)
	if err != nil {
		t.Fatal(err)
	}
	if len(drift) != 0 {
		t.Fatalf("second reconcile: %+v, want none", drift)
	}
}

func TestRestartFindsWhatAnEarlierRunMade(t *testing.T) {
	prefix := testPrefix()
	ctx := context.Background()
	first := openTestPrefix(t, prefix, "userspace", nil)
	if _, err := first.Reconcile(ctx, portsOnly); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	second := openTestPrefix(t, prefix, "userspace", nil)
	if err := second.DeletePort(ctx, "dxcon-rec00004"); err != nil {
		t.Fatal(err)
	}
	h := handleIn(t, second.names.ns(roleDevice, "dev2"))
	if _, err := h.LinkByName("dxcon-rec00004"); err == nil {
		t.Fatal("a restarted data plane did not delete a port an earlier run made")
	}
	rest := sim.Snapshot{Ports: portsOnly.Ports[:3]}
	drift, err := second.Reconcile(ctx, rest)
	if err != nil {
		t.Fatal(err)
	}
	// dev2 has no objects left in the state, so its namespaces go.
	want := []sim.Drift{
		{ObjectID: second.names.ns(roleRouter, "dev2"), Problem: "unexpected namespace", Action: "deleted"},
		{ObjectID: second.names.ns(roleDevice, "dev2"), Problem: "unexpected namespace", Action: "deleted"},
	}
	sortDrift(want)
	if !reflect.DeepEqual(drift, want) {
		t.Fatalf("drift after restart:\n got %+v\nwant %+v", drift, want)
	}
}

func sortDrift(ds []sim.Drift) {
	for i := 1; i < len(ds); i++ {
		for j := i; j > 0 && ds[j].ObjectID < ds[j-1].ObjectID; j-- {
			ds[j], ds[j-1] = ds[j-1], ds[j]
		}
	}
}

func TestReconcileRestoresVIFAddressAndMembership(t *testing.T) {
	d := openTest(t, nil)
	ctx := context.Background()
	build(t, d, defaultLab)
	aws := handleIn(t, d.names.ns(roleDevice, "dev1"))
	vif, err := aws.LinkByName("dxvif-lab00001")
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := aws.AddrList(vif, netlink.FAMILY_V4)
	if err != nil || len(addrs) != 1 {
		t.Fatalf("VIF addresses %v, %v", addrs, err)
	}
	if err := aws.AddrDel(vif, &addrs[0]); err != nil {
		t.Fatal(err)
	}
	// Take a member out of the LAG behind the data plane's back.
	if _, err := d.MovePort(ctx, sim.Move{ConnectionID: "dxcon-lab00002", From: "dxlag-lab00001"}); err != nil {
		t.Fatal(err)
	}
	drift, err := d.Reconcile(ctx, defaultLab)
	if err != nil {
		t.Fatal(err)
	}
	want := []sim.Drift{
		{ObjectID: "dxcon-lab00002", Problem: `member of "" (customer side ""), want "dxlag-lab00001"`, Action: "re-enslaved"},
		{ObjectID: "dxvif-lab00001", Problem: "addresses differ", Action: "set"},
	}
	if !reflect.DeepEqual(drift, want) {
		t.Fatalf("drift:\n got %+v\nwant %+v", drift, want)
	}
	addrs, _ = aws.AddrList(vif, netlink.FAMILY_V4)
	if len(addrs) != 1 || addrs[0].IPNet.String() != "169.254.10.1/30" {
		t.Fatalf("VIF addresses after reconcile: %v", addrs)
	}
	if drift, err := d.Reconcile(ctx, defaultLab); err != nil || len(drift) != 0 {
		t.Fatalf("second reconcile: %+v, %v", drift, err)
	}
}
