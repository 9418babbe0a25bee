package bgp_test

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology/bgp"
)

// TestFailoverBetweenTwoVIFs: a customer router with two private VIFs (on
// two connections of one device) to one virtual gateway announces its one
// network on both; Amazon's side of each has learned it (Learned); the
// customer's table has the VPC's CIDR via both VIFs, each with its VIF's
// metric. A failover test on the first VIF takes its route out of the
// customer's table and its learned routes away at once, the second's stay;
// stopping the test brings them back.
//
// It runs alone, as TestControllerRunsTheVIFsBGP does.
func TestFailoverBetweenTwoVIFs(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	l := newLab(t, ctx, bgp.CustomerBuiltin)
	svc, ctrl := l.svc, l.ctrl
	const acct = "123456789012"
	vgw := sim.DefaultCatalogue().VirtualGatewaysIn("us-east-1")[0]
	var vpc netip.Prefix
	for _, s := range vgw.VPCCIDRs {
		if p := netip.MustParsePrefix(s); p.Addr().Is4() {
			vpc = p
			break
		}
	}
	require.True(t, vpc.IsValid(), "the catalogue's VPC has an IPv4 CIDR: %v", vgw.VPCCIDRs)
	var vifs []*sim.VIF
	var device string
	for i := range 2 {
		c, err := svc.CreateConnection(ctx, acct, sim.CreateConnectionInput{Location: "EqDC2", Bandwidth: "10Gbps", Name: fmt.Sprint("c", i)})
		require.NoError(t, err)
		if device == "" {
			device = c.Device
		}
		require.Equal(t, device, c.Device, "the account's second connection is on its first's device")
		v, err := svc.CreateVirtualInterface(ctx, acct, sim.CreateVIFInput{Type: sim.VIFPrivate, ConnectionID: c.ID, Name: fmt.Sprint("p", i),
			VLAN: 101 + i, ASN: 65000, VirtualGatewayID: vgw.ID})
		require.NoError(t, err)
		vifs = append(vifs, v)
	}
	first, second := vifs[0], vifs[1]
	learnedC := ctrl.SubscribeLearned(0)
	defer learnedC.Close()

	// What each side has, by VIF.
	gateway := map[string]netip.Addr{} // the VIF's Amazon address: the customer's next hop
	customerAddr := map[string]netip.Addr{}
	for _, v := range vifs {
		gateway[v.ID] = netip.MustParsePrefix(v.AmazonAddress).Addr()
		customerAddr[v.ID] = netip.MustParsePrefix(v.CustomerAddress).Addr()
	}
	customer := func() map[string]bgp.CustomerSession {
		out := map[string]bgp.CustomerSession{}
		for _, s := range ctrl.Customer() {
			out[s.VIFID] = s
		}
		return out
	}
	learned := func() map[string][]bgp.Learned {
		out := map[string][]bgp.Learned{}
		for _, r := range ctrl.Learned() {
			out[r.VIFID] = append(out[r.VIFID], r)
		}
		return out
	}
	_, custNS := l.dp.Namespaces(device)
	ns, err := netns.GetFromName(custNS)
	require.NoError(t, err)
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	require.NoError(t, err)
	defer h.Close()
	// vpcRoutes are the customer's routes to the VPC: the metric by gateway.
	vpcRoutes := func() map[netip.Addr]int {
		routes, err := h.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Protocol: 186}, netlink.RT_FILTER_PROTOCOL)
		require.NoError(t, err)
		out := map[netip.Addr]int{}
		for _, r := range routes {
			if r.Dst != nil && r.Dst.String() == vpc.String() {
				gw, _ := netip.AddrFromSlice(r.Gw)
				out[gw.Unmap()] = r.Priority
			}
		}
		return out
	}

	start := time.Now()
	require.Eventually(t, func() bool {
		cs := customer()
		return cs[first.ID].Established() && cs[first.ID].Accepted == 1 && cs[second.ID].Established() && cs[second.ID].Accepted == 1
	}, 2*time.Minute, 50*time.Millisecond, "both VIFs' sessions established with the VPC's CIDR: %+v", ctrl.Customer())
	cs := customer()
	network := cs[first.ID].Network
	assert.True(t, network.IsValid())
	assert.Equal(t, network, cs[second.ID].Network, "one network for the customer router, on both VIFs")
	assert.NotEqual(t, cs[first.ID].Metric, cs[second.ID].Metric, "each VIF its own metric")
	wantLearned := func(v *sim.VIF) []bgp.Learned {
		return []bgp.Learned{{VIFID: v.ID, PeerID: v.BGPPeers()[0].ID, Prefix: network, NextHop: customerAddr[v.ID], ASPathLen: 1}}
	}
	withoutTime := func(ls []bgp.Learned) []bgp.Learned {
		out := make([]bgp.Learned, 0, len(ls))
		for _, r := range ls {
			assert.False(t, r.Time.IsZero(), "a learned route's time: %+v", r)
			r.Time = time.Time{}
			out = append(out, r)
		}
		return out
	}
	require.Eventually(t, func() bool {
		got := learned()
		return assert.ObjectsAreEqual(wantLearned(first), withoutTime(got[first.ID])) &&
			assert.ObjectsAreEqual(wantLearned(second), withoutTime(got[second.ID]))
	}, 30*time.Second, 50*time.Millisecond, "Amazon's side of each VIF learned the customer's network: %+v", ctrl.Learned())
	both := map[netip.Addr]int{gateway[first.ID]: int(cs[first.ID].Metric), gateway[second.ID]: int(cs[second.ID].Metric)}
	require.Eventually(t, func() bool { return assert.ObjectsAreEqual(both, vpcRoutes()) }, 30*time.Second, 50*time.Millisecond,
		"the customer's table has the VPC via both VIFs, with their metrics: %v", vpcRoutes())
	t.Logf("two VIFs created → both learned and installed: %s", time.Since(start).Round(time.Millisecond))

	// A failover test on the first VIF: its route leaves the customer's
	// table and its learned routes go, the second VIF's stay.
	_, err = svc.StartFailoverTest(ctx, acct, first.ID, nil, 0)
	require.NoError(t, err)
	started := time.Now()
	onlySecond := map[netip.Addr]int{gateway[second.ID]: int(cs[second.ID].Metric)}
	require.Eventually(t, func() bool { return assert.ObjectsAreEqual(onlySecond, vpcRoutes()) }, 30*time.Second, 20*time.Millisecond,
		"only the second VIF's route in the customer's table: %v", vpcRoutes())
	require.Eventually(t, func() bool {
		got := learned()
		return len(got[first.ID]) == 0 && assert.ObjectsAreEqual(wantLearned(second), withoutTime(got[second.ID]))
	}, 30*time.Second, 20*time.Millisecond, "only the second VIF's learned routes: %+v", ctrl.Learned())
	t.Logf("failover test started → the first VIF's routes gone from both sides: %s", time.Since(started).Round(time.Millisecond))
	waitLearned(t, learnedC, first.ID)
	state, status := l.bgpStatus(t, first.ID)
	assert.Equal(t, sim.StateDown, state)
	assert.Equal(t, "down", status)
	_, status = l.bgpStatus(t, second.ID)
	assert.Equal(t, "up", status, "the second VIF's session is untouched")

	_, err = svc.StopFailoverTest(ctx, acct, first.ID)
	require.NoError(t, err)
	stopped := time.Now()
	require.Eventually(t, func() bool { return assert.ObjectsAreEqual(both, vpcRoutes()) }, time.Minute, 50*time.Millisecond,
		"both routes again once the test stops: %v", vpcRoutes())
	require.Eventually(t, func() bool {
		return assert.ObjectsAreEqual(wantLearned(first), withoutTime(learned()[first.ID]))
	}, 30*time.Second, 50*time.Millisecond, "the first VIF's learned routes back: %+v", ctrl.Learned())
	t.Logf("failover test stopped → the first VIF's routes back: %s", time.Since(stopped).Round(time.Millisecond))
}

// waitLearned waits for a change notice of vifID's learned routes.
func waitLearned(t *testing.T, sub interface{ C() <-chan string }, vifID string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case id, ok := <-sub.C():
			require.True(t, ok, "the notices ended")
			if id == vifID {
				return
			}
		case <-deadline:
			require.FailNow(t, "no notice of "+vifID+"'s learned routes")
		}
	}
}
