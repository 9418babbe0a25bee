package bgp

import (
	"net/netip"
	"testing"

	"github.com/osrg/gobgp/v4/pkg/apiutil"
	"github.com/osrg/gobgp/v4/pkg/packet/bgp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCustomerNetworkAndMetrics: a customer router has one network for all
// its VIFs, another router another; each VIF of a router has its own
// metric, in range, the same when asked again; the network goes with the
// router's last VIF.
func TestCustomerNetworkAndMetrics(t *testing.T) {
	c := &Controller{custs: map[string]*customerNS{}}
	a, b := c.customerNS("dxsim-cr-one"), c.customerNS("dxsim-cr-two")
	assert.Same(t, a, c.customerNS("dxsim-cr-one"))
	assert.NotEqual(t, a.net, b.net)
	for _, n := range []netip.Prefix{a.net, b.net} {
		assert.True(t, customerSpace.Contains(n.Addr()) && n.Bits() == 24, "%s is a /24 of %s", n, customerSpace)
		assert.True(t, customerSpace6.Contains(customerNet6(n).Addr()), "%s", customerNet6(n))
	}
	seen := map[uint32]bool{}
	for i := range 500 {
		m := a.metric(string(rune('a'+i%26)) + string(rune('a'+i/26)))
		assert.False(t, seen[m], "metric %d given twice", m)
		assert.True(t, m >= minMetric && m <= maxMetric, "metric %d", m)
		seen[m] = true
	}
	first := a.metric("aa")
	assert.Equal(t, first, a.metric("aa"), "a VIF keeps its metric")
	for id := range a.metrics {
		c.forgetCustomerVIF("dxsim-cr-one", id)
	}
	assert.NotContains(t, c.custs, "dxsim-cr-one", "the network goes with the last VIF")
	assert.Contains(t, c.custs, "dxsim-cr-two")
}

// TestPathOf: a path from a neighbour as Event.Routes tells it, its AS path
// counted as best-path selection counts it (a sequence's ASNs, a set as
// one).
func TestPathOf(t *testing.T) {
	prefix := netip.MustParsePrefix("192.0.2.0/24")
	nlri, err := bgp.NewIPAddrPrefix(prefix)
	require.NoError(t, err)
	nh, err := bgp.NewPathAttributeNextHop(netip.MustParseAddr("169.254.10.2"))
	require.NoError(t, err)
	asPath := bgp.NewPathAttributeAsPath([]bgp.AsPathParamInterface{
		bgp.NewAs4PathParam(bgp.BGP_ASPATH_ATTR_TYPE_SEQ, []uint32{65000, 65000, 65001}),
		bgp.NewAs4PathParam(bgp.BGP_ASPATH_ATTR_TYPE_SET, []uint32{65002, 65003}),
	})
	p := &apiutil.Path{Family: bgp.RF_IPv4_UC, Nlri: nlri, PeerAddress: netip.MustParseAddr("169.254.10.2"),
		Attrs: []bgp.PathAttributeInterface{bgp.NewPathAttributeOrigin(0), nh, asPath, bgp.NewPathAttributeCommunities([]uint32{7224<<16 | 7100})}}
	got, ok := pathOf(p)
	require.True(t, ok)
	assert.Equal(t, Path{Prefix: prefix, NextHop: netip.MustParseAddr("169.254.10.2"), Communities: []uint32{7224<<16 | 7100}, ASPathLen: 4}, got)

	p.Attrs = []bgp.PathAttributeInterface{bgp.NewPathAttributeOrigin(0)}
	_, ok = pathOf(p)
	assert.False(t, ok, "no next hop")
}

// TestMetricsFollowVIFIDs: the lower a VIF's ID, the lower its metric, so
// the customer router prefers the VIF Amazon sends back by.
func TestMetricsFollowVIFIDs(t *testing.T) {
	a := &customerNS{metrics: map[string]uint32{}}
	ids := []string{"dxvif-zz000001", "dxvif-0a000001", "dxvif-m1000001", "dxvif-0a000002"}
	for _, id := range ids {
		a.metric(id)
	}
	assert.Less(t, a.metric("dxvif-0a000001"), a.metric("dxvif-0a000002"), "a clash: the next free, above")
	assert.Less(t, a.metric("dxvif-0a000002"), a.metric("dxvif-m1000001"))
	assert.Less(t, a.metric("dxvif-m1000001"), a.metric("dxvif-zz000001"))
}
