package bgp_test

import (
	"context"
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

// TestControllerRunsBothFamilies: a VIF's IPv6 peer (CreateBGPPeer) is a
// second session on the same VLAN, beside the IPv4 one: each carries its
// own family's prefixes both ways, the customer router installs the VPC's
// IPv6 CIDR, and deleting the peer closes its session only.
func TestControllerRunsBothFamilies(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	l := newLab(t, ctx, bgp.CustomerBuiltin)
	svc := l.svc
	const acct = "123456789012"
	c, err := svc.CreateConnection(ctx, acct, sim.CreateConnectionInput{Location: "EqDC2", Bandwidth: "10Gbps", Name: "c"})
	require.NoError(t, err)
	vgw := sim.DefaultCatalogue().VirtualGatewaysIn("us-east-1")[0]
	var v6CIDR netip.Prefix
	for _, s := range vgw.VPCCIDRs {
		if p := netip.MustParsePrefix(s); p.Addr().Is6() {
			v6CIDR = p
		}
	}
	require.True(t, v6CIDR.IsValid(), "the catalogue's VPC has an IPv6 CIDR: %v", vgw.VPCCIDRs)
	v, err := svc.CreateVirtualInterface(ctx, acct, sim.CreateVIFInput{Type: sim.VIFPrivate, ConnectionID: c.ID, Name: "p", VLAN: 101, ASN: 65000, VirtualGatewayID: vgw.ID})
	require.NoError(t, err)
	v, err = svc.CreateBGPPeer(ctx, acct, v.ID, sim.NewBGPPeerInput{ASN: 65000, AddressFamily: sim.FamilyIPv6})
	require.NoError(t, err)
	peers := v.BGPPeers()
	require.Len(t, peers, 2)
	four, six := peers[0].ID, peers[1].ID

	up := func(peerID string) bool {
		for _, s := range svc.BGPSessions() {
			if s.PeerID == peerID {
				return s.Up() && s.Prefixes == 1
			}
		}
		return false
	}
	require.Eventually(t, func() bool { return up(four) && up(six) }, 2*time.Minute, 50*time.Millisecond,
		"both sessions established, each with the customer's network of its family: %+v", svc.BGPSessions())

	_, custNS := l.dp.Namespaces(c.Device)
	ns, err := netns.GetFromName(custNS)
	require.NoError(t, err)
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	require.NoError(t, err)
	defer h.Close()
	require.Eventually(t, func() bool {
		routes, err := h.RouteList(nil, netlink.FAMILY_V6)
		require.NoError(t, err)
		for _, r := range routes {
			if r.Dst != nil && r.Dst.String() == v6CIDR.String() && r.Protocol == 186 {
				return true
			}
		}
		return false
	}, 30*time.Second, 50*time.Millisecond, "the customer router installs the VPC's IPv6 CIDR")
	vs, err := svc.VirtualInterfaces(acct, "", v.ID)
	require.NoError(t, err)
	for _, p := range vs[0].BGPPeers() {
		assert.Equal(t, "up", vs[0].BGPStatus(p), "peer %s (%s)", p.ID, p.AddressFamily)
	}

	reports := svc.SubscribeBGP(10_000)
	defer reports.Close()
	_, err = svc.DeleteBGPPeer(ctx, acct, v.ID, sim.DeleteBGPPeerInput{PeerID: six})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		for _, s := range svc.BGPSessions() {
			if s.PeerID == six {
				return false
			}
		}
		return true
	}, 30*time.Second, 50*time.Millisecond, "the deleted peer's session is closed and forgotten: %+v", svc.BGPSessions())
	assert.True(t, up(four), "the IPv4 session stays: %+v", svc.BGPSessions())
	for {
		select {
		case r := <-reports.C():
			assert.False(t, r.PeerID == four && !r.Up(), "the IPv4 session flapped as the IPv6 peer went: %+v", r)
			continue
		default:
		}
		break
	}
}
