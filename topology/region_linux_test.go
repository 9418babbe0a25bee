package topology

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// TestRegionRoutesTrafficToItsVPC: a customer network reaches a VPC's
// address in the Region over its VIF, device and backbone, and the reply
// comes back the way the Region's return route says; another VPC of the
// Region, not in the VIF's reach, is unreachable; a rule deleted by hand is
// put back, and a second SetRegion changes nothing.
func TestRegionRoutesTrafficToItsVPC(t *testing.T) {
	d := openTest(t, nil)
	ctx := context.Background()
	build(t, d, defaultLab)
	const vif = "dxvif-lab00001"
	custNS := d.names.ns(roleRouter, "dev1")
	cust := handleIn(t, custNS)
	lo, err := cust.LinkByName("lo")
	require.NoError(t, err)
	require.NoError(t, cust.LinkSetUp(lo))
	custNet := netip.MustParsePrefix("100.64.5.0/24")
	require.NoError(t, cust.AddrAdd(lo, &netlink.Addr{IPNet: prefixNet(netip.MustParsePrefix("100.64.5.1/24"))}))
	vifLink, err := cust.LinkByName(vif)
	require.NoError(t, err)
	for _, vpc := range []string{"10.16.0.0/16", "10.17.0.0/16"} {
		// The customer's router sends both VPCs' traffic to Amazon.
		require.NoError(t, cust.RouteAdd(&netlink.Route{Dst: prefixNet(netip.MustParsePrefix(vpc)), Gw: net.ParseIP("169.254.10.1"), LinkIndex: vifLink.Attrs().Index}))
	}

	spec := RegionSpec{
		Name: "us-east-1",
		Networks: []RegionNetwork{
			{ID: "vgw-1", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.16.0.0/16")}},
			{ID: "vgw-2", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.17.0.0/16")}},
		},
		VIFs: []RoutedVIF{{VIFID: vif, Device: "dev1", Reach: []netip.Prefix{netip.MustParsePrefix("10.16.0.0/16")}}},
		Returns: []ReturnRoute{{Network: "vgw-1", Prefix: custNet, VIFID: vif, Device: "dev1",
			NextHop: netip.MustParseAddr("169.254.10.2")}},
	}
	require.NoError(t, d.SetRegion(ctx, spec))
	regionNS := d.RegionNamespace("us-east-1")
	require.NoError(t, dialFrom(t, custNS, "100.64.5.1", regionNS, "10.16.0.1", 10*time.Second), "the VPC from the customer's network")
	assert.Error(t, dialFrom(t, custNS, "100.64.5.1", regionNS, "10.17.0.1", time.Second), "a VPC the VIF does not reach")

	// A rule removed by hand is put back.
	aws := handleIn(t, d.names.ns(roleDevice, "dev1"))
	rules, err := aws.RuleList(netlink.FAMILY_V4)
	require.NoError(t, err)
	removed := false
	for i := range rules {
		if ourTable(rules[i].Table) && rules[i].IifName == vif {
			require.NoError(t, aws.RuleDel(&rules[i]))
			removed = true
		}
	}
	require.True(t, removed, "the VIF's rule: %+v", rules)
	require.Error(t, dialFrom(t, custNS, "100.64.5.1", regionNS, "10.16.0.1", time.Second), "without the VIF's rule")
	require.NoError(t, d.SetRegion(ctx, spec))
	require.NoError(t, dialFrom(t, custNS, "100.64.5.1", regionNS, "10.16.0.1", 10*time.Second), "repaired")

	// Nothing to change the second time: the same rules and routes, not
	// one removed and put back.
	before, changes := ourRouting(t, aws), regionChanges.Load()
	require.NoError(t, d.SetRegion(ctx, spec))
	assert.Equal(t, before, ourRouting(t, aws))
	assert.Equal(t, changes, regionChanges.Load(), "rules and routes changed by a SetRegion with nothing to change")

	// The return route gone: the reply has no way back.
	spec.Returns = nil
	require.NoError(t, d.SetRegion(ctx, spec))
	assert.Error(t, dialFrom(t, custNS, "100.64.5.1", regionNS, "10.16.0.1", time.Second), "no return route")
}

// ourRouting lists the rules and routes of dxsim's tables in a namespace.
func ourRouting(t *testing.T, h *netlink.Handle) []string {
	t.Helper()
	var out []string
	rules, err := h.RuleList(netlink.FAMILY_ALL)
	require.NoError(t, err)
	for i := range rules {
		if ourTable(rules[i].Table) {
			out = append(out, ruleKey(&rules[i]))
		}
	}
	routes, err := h.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
	require.NoError(t, err)
	for i := range routes {
		if ourTable(routes[i].Table) {
			out = append(out, routeKey(&routes[i]))
		}
	}
	return out
}
