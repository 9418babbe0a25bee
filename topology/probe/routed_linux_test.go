package probe

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"

	"github.com/dxsim/dxsim/topology/netnstest"
)

// TestRoutedProbeAcrossABounce: the routed probe's echoes cross a routed
// link between a customer's network and a VPC's address; the link going
// down and up is the outage it reports, and nothing is lost after.
func TestRoutedProbeAcrossABounce(t *testing.T) {
	netnstest.RequireRoot(t)
	crNS, cr := netnstest.NewNS(t)
	vpcNS, vpc := netnstest.NewNS(t)
	require.NoError(t, cr.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "rcr"}, PeerName: "rvpc", PeerNamespace: netlink.NsFd(int(vpcNS))}))
	from, to := netip.MustParseAddr("100.64.5.1"), netip.MustParseAddr("10.16.0.1")
	for _, x := range []struct {
		h          *netlink.Handle
		link, addr string
		local      netip.Addr
		remote     string
	}{{cr, "rcr", "192.0.2.1/30", from, "10.16.0.0/16"}, {vpc, "rvpc", "192.0.2.2/30", to, "100.64.5.0/24"}} {
		l, err := x.h.LinkByName(x.link)
		require.NoError(t, err)
		a, err := netlink.ParseAddr(x.addr)
		require.NoError(t, err)
		require.NoError(t, x.h.AddrAdd(l, a))
		require.NoError(t, x.h.LinkSetUp(l))
		lo, err := x.h.LinkByName("lo")
		require.NoError(t, err)
		require.NoError(t, x.h.LinkSetUp(lo))
		require.NoError(t, x.h.AddrAdd(lo, &netlink.Addr{IPNet: &net.IPNet{IP: x.local.AsSlice(), Mask: net.CIDRMask(32, 32)}}))
		_, dst, _ := net.ParseCIDR(x.remote)
		require.NoError(t, x.h.RouteAdd(&netlink.Route{Dst: dst, LinkIndex: l.Attrs().Index}))
	}
	// It starts with no route to the VPC yet (as it may: a session reset
	// by the operation it measures), and counts from when there is one.
	_, dst, _ := net.ParseCIDR("10.16.0.0/16")
	crLink, err := cr.LinkByName("rcr")
	require.NoError(t, err)
	require.NoError(t, cr.RouteDel(&netlink.Route{Dst: dst, LinkIndex: crLink.Attrs().Index}))
	p, err := StartRouted(RoutedConfig{FromNS: crNS, From: from, ToNS: vpcNS, To: to})
	require.NoError(t, err, "no route yet")
	time.Sleep(20 * time.Millisecond)
	require.NoError(t, cr.RouteAdd(&netlink.Route{Dst: dst, LinkIndex: crLink.Attrs().Index}))
	defer p.Stop()
	waitRouted(t, p, time.Time{})
	l, _ := vpc.LinkByName("rvpc")
	require.NoError(t, vpc.LinkSetDown(l))
	for from := p.Sent(); p.Sent() < from+50; {
		time.Sleep(5 * time.Millisecond)
	}
	up := time.Now()
	require.NoError(t, vpc.LinkSetUp(l))
	require.NoError(t, vpc.RouteAdd(&netlink.Route{Dst: &net.IPNet{IP: net.IPv4(100, 64, 5, 0), Mask: net.CIDRMask(24, 32)}, LinkIndex: l.Attrs().Index}))
	waitRouted(t, p, up)
	r := p.Stop()
	assert.GreaterOrEqual(t, r.Outage.Lost, 50, "outage datagrams, want at least the 50 sent while down: %+v", r.Outage)
	assert.False(t, r.Restored().Before(up), "restored at %v, before the link came up at %v", r.Restored(), up)
	assert.Zero(t, r.Ignored, "malformed echoes")
	assert.NotZero(t, r.Received)
}

// waitRouted waits for an echo received after after.
func waitRouted(t *testing.T, p *Routed, after time.Time) {
	t.Helper()
	require.Eventually(t, func() bool {
		a, ok := p.Last()
		return ok && a.At.After(after)
	}, 10*time.Second, 5*time.Millisecond, "an echo after %v", after)
}
