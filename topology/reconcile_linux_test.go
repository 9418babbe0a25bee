package topology

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
	require.NoError(t, err)
	require.Len(t, drift, 4, "first reconcile: want the four ports created")

	// Hand edits: a port taken down, a port deleted, a stray veth, and a
	// namespace for a device the state does not have.
	aws := handleIn(t, d.names.ns(roleDevice, "dev1"))
	l, err := aws.LinkByName("dxcon-rec00001")
	require.NoError(t, err)
	require.NoError(t, aws.LinkSetDown(l))
	l, _ = aws.LinkByName("dxcon-rec00002")
	require.NoError(t, aws.LinkDel(l))
	require.NoError(t, aws.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "dxcon-stray001"}, PeerName: "stray-peer"}))
	stray, err := openOrCreateNS(d.names.ns(roleDevice, "dev9"))
	require.NoError(t, err)
	stray.close()

	drift, err = d.Reconcile(ctx, portsOnly)
	require.NoError(t, err)
	want := []sim.Drift{
		{ObjectID: d.names.ns(roleRouter, "dev9"), Problem: "unexpected namespace", Action: "deleted"},
		{ObjectID: d.names.ns(roleDevice, "dev9"), Problem: "unexpected namespace", Action: "deleted"},
		{ObjectID: "dxcon-rec00001", Problem: "down", Action: "brought up"},
		{ObjectID: "dxcon-rec00002", Problem: "missing", Action: "created"},
		{ObjectID: "dxcon-stray001", Problem: "unexpected", Action: "deleted"},
		{ObjectID: "stray-peer", Problem: "unexpected", Action: "deleted"},
	}
	sortDrift(want)
	require.Equal(t, want, drift, "drift")
	for _, name := range []string{"dxcon-rec00001", "dxcon-rec00002"} {
		l, err := aws.LinkByName(name)
		if assert.NoError(t, err, "%s after reconcile", name) {
			assert.True(t, up(l), "%s down after reconcile", name)
		}
	}
	left, _ := listNS(d.names.ns(roleDevice, "dev9"))
	assert.Empty(t, left, "unexpected namespace still there")

	drift, err = d.Reconcile(ctx, portsOnly)
	require.NoError(t, err)
	require.Empty(t, drift, "second reconcile: want none")
}

func TestRestartFindsWhatAnEarlierRunMade(t *testing.T) {
	prefix := testPrefix()
	ctx := context.Background()
	first := openTestPrefix(t, prefix, "userspace", nil)
	_, err := first.Reconcile(ctx, portsOnly)
	require.NoError(t, err)
	require.NoError(t, first.Close())
	second := openTestPrefix(t, prefix, "userspace", nil)
	require.NoError(t, second.DeletePort(ctx, "dxcon-rec00004"))
	h := handleIn(t, second.names.ns(roleDevice, "dev2"))
	_, err = h.LinkByName("dxcon-rec00004")
	require.Error(t, err, "a restarted data plane did not delete a port an earlier run made")
	rest := sim.Snapshot{Ports: portsOnly.Ports[:3]}
	drift, err := second.Reconcile(ctx, rest)
	require.NoError(t, err)
	// dev2 has no objects left in the state, so its namespaces go.
	want := []sim.Drift{
		{ObjectID: second.names.ns(roleRouter, "dev2"), Problem: "unexpected namespace", Action: "deleted"},
		{ObjectID: second.names.ns(roleDevice, "dev2"), Problem: "unexpected namespace", Action: "deleted"},
	}
	sortDrift(want)
	require.Equal(t, want, drift, "drift after restart")
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
	require.NoError(t, err)
	addrs, err := aws.AddrList(vif, netlink.FAMILY_V4)
	require.NoError(t, err, "VIF addresses")
	require.Len(t, addrs, 1, "VIF addresses")
	require.NoError(t, aws.AddrDel(vif, &addrs[0]))
	// Take a member out of the LAG behind the data plane's back.
	_, err = d.MovePort(ctx, sim.Move{ConnectionID: "dxcon-lab00002", From: "dxlag-lab00001"})
	require.NoError(t, err)
	drift, err := d.Reconcile(ctx, defaultLab)
	require.NoError(t, err)
	want := []sim.Drift{
		{ObjectID: "dxcon-lab00002", Problem: `member of "" (customer side ""), want "dxlag-lab00001"`, Action: "re-enslaved"},
		{ObjectID: "dxvif-lab00001", Problem: "addresses differ", Action: "set"},
	}
	require.Equal(t, want, drift, "drift")
	addrs, _ = aws.AddrList(vif, netlink.FAMILY_V4)
	require.Len(t, addrs, 1, "VIF addresses after reconcile")
	require.Equal(t, "169.254.10.1/30", addrs[0].IPNet.String(), "VIF address after reconcile")
	drift, err = d.Reconcile(ctx, defaultLab)
	require.NoError(t, err, "second reconcile")
	require.Empty(t, drift, "second reconcile")
}
