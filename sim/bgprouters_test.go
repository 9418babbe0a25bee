package sim_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/simtest"
)

func routerOf(t *testing.T, s *sim.Service, vifID string) (sim.BGPRouter, bool) {
	t.Helper()
	rs, err := s.BGPRouters()
	require.NoError(t, err)
	for _, r := range rs {
		if r.VIFID == vifID {
			return r, true
		}
	}
	return sim.BGPRouter{}, false
}

// TestBGPRouters: what the Amazon side runs for each kind of VIF: its ASN,
// its one peer with AWS's prefix limit, and what it advertises; a failover
// test holds the session down.
func TestBGPRouters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, clock := newService(t, nil)
	c, err := s.CreateConnection(ctx, acct, sim.CreateConnectionInput{Location: "EqDC2", Bandwidth: "10Gbps", Name: "c"})
	require.NoError(t, err)
	vgw := sim.DefaultCatalogue().VirtualGatewaysIn("us-east-1")[0]

	priv, err := s.CreateVirtualInterface(ctx, acct, sim.CreateVIFInput{Type: sim.VIFPrivate, ConnectionID: c.ID, Name: "p", VLAN: 101, ASN: 65000, VirtualGatewayID: vgw.ID})
	require.NoError(t, err)
	r, ok := routerOf(t, s, priv.ID)
	require.True(t, ok, "a private VIF has a router")
	assert.Equal(t, int64(64512), r.AmazonASN)
	assert.Equal(t, c.Device, r.Device)
	require.Len(t, r.Peers, 1)
	p := r.Peers[0]
	assert.Equal(t, priv.AmazonAddress, p.AmazonAddress)
	assert.Equal(t, priv.CustomerAddress, p.CustomerAddress)
	assert.Equal(t, int64(65000), p.ASN)
	assert.Equal(t, priv.AuthKey, p.AuthKey)
	assert.Equal(t, sim.MaxPrefixesPrivate, p.MaxPrefixes)
	assert.False(t, p.Down)
	var announced []string
	for _, a := range r.Announce {
		announced = append(announced, a.Prefix)
	}
	assert.Equal(t, vgw.VPCCIDRs, announced, "the VPC's CIDRs")

	pub, err := s.CreateVirtualInterface(ctx, acct, sim.CreateVIFInput{Type: sim.VIFPublic, ConnectionID: c.ID, Name: "pub", VLAN: 102, ASN: 65001,
		AmazonAddress: "203.0.113.1/30", CustomerAddress: "203.0.113.2/30", RouteFilterPrefixes: []string{"198.51.100.0/24"}})
	require.NoError(t, err)
	r, ok = routerOf(t, s, pub.ID)
	require.True(t, ok)
	assert.Equal(t, sim.MaxPrefixesPublic, r.Peers[0].MaxPrefixes)
	require.NotEmpty(t, r.Announce)
	assert.Contains(t, r.Announce[0].Communities, "7224:8100", "Amazon's prefixes of the Region")

	asn := int64(64600)
	g, err := s.CreateDirectConnectGateway(ctx, acct, sim.CreateGatewayInput{Name: "gw", AmazonSideASN: &asn})
	require.NoError(t, err)
	_, err = s.CreateDirectConnectGatewayAssociation(ctx, acct, sim.CreateAssociationInput{GatewayID: g.ID, AssociatedID: "tgw-0123456789abcdef0", Prefixes: []string{"10.200.0.0/16"}})
	require.NoError(t, err)
	tr, err := s.CreateVirtualInterface(ctx, acct, sim.CreateVIFInput{Type: sim.VIFTransit, ConnectionID: c.ID, Name: "t", VLAN: 103, ASN: 65002, DirectConnectGatewayID: g.ID})
	require.NoError(t, err)
	clock.Advance(10 * time.Second)
	r, ok = routerOf(t, s, tr.ID)
	require.True(t, ok)
	assert.Equal(t, asn, r.AmazonASN, "the Direct Connect gateway's ASN")
	assert.Equal(t, asn, tr.AmazonSideASN, "the VIF reports its gateway's ASN, as its BGP runs it")
	require.Len(t, r.Announce, 1)
	assert.Equal(t, "10.200.0.0/16", r.Announce[0].Prefix, "the transit gateway association's allowed prefixes")

	_, err = s.StartFailoverTest(ctx, acct, priv.ID, nil, 0)
	require.NoError(t, err)
	r, _ = routerOf(t, s, priv.ID)
	assert.True(t, r.Peers[0].Down, "a failover test holds the session down")
	_, err = s.StopFailoverTest(ctx, acct, priv.ID)
	require.NoError(t, err)
	r, _ = routerOf(t, s, priv.ID)
	assert.False(t, r.Peers[0].Down, "stopped: released")

	_, err = s.DeleteVirtualInterface(ctx, acct, priv.ID)
	require.NoError(t, err)
	_, ok = routerOf(t, s, priv.ID)
	assert.False(t, ok, "a deleted VIF's sessions close")
}

// TestBGPSessionsShowInDescribes: a peer's bgpStatus follows the session
// the data plane reports, and an available VIF whose session is down is
// described as down; forgotten, it reads as the schedule says again.
func TestBGPSessionsShowInDescribes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, clock := newService(t, nil)
	c, err := s.CreateConnection(ctx, acct, sim.CreateConnectionInput{Location: "EqDC2", Bandwidth: "10Gbps", Name: "c"})
	require.NoError(t, err)
	v, err := s.CreateVirtualInterface(ctx, acct, sim.CreateVIFInput{Type: sim.VIFPrivate, ConnectionID: c.ID, Name: "p", VLAN: 101, ASN: 65000, VirtualGatewayID: "vgw-0123456789abcdef0"})
	require.NoError(t, err)
	clock.Advance(10 * time.Second)
	describe := func() *sim.VIF {
		vs, err := s.VirtualInterfaces(acct, "", v.ID)
		require.NoError(t, err)
		require.Len(t, vs, 1)
		return vs[0]
	}
	got := describe()
	peer := got.BGPPeers()[0]
	assert.Equal(t, sim.StateAvailable, got.State)
	assert.Equal(t, "up", got.BGPStatus(peer), "no session reported: the schedule's")

	sub := s.SubscribeBGP(10)
	defer sub.Close()
	s.SetBGPSession(sim.BGPSession{VIFID: v.ID, PeerID: peer.ID, State: "active", Time: clock.Now()})
	got = describe()
	assert.Equal(t, sim.StateDown, got.State, "its only session down: the VIF is down")
	assert.Equal(t, "down", got.BGPStatus(got.BGPPeers()[0]))
	e := <-sub.C()
	assert.Equal(t, peer.ID, e.PeerID, "subscribers hear of it")

	s.SetBGPSession(sim.BGPSession{VIFID: v.ID, PeerID: peer.ID, State: "established", Prefixes: 3, Time: clock.Now()})
	got = describe()
	assert.Equal(t, sim.StateAvailable, got.State)
	assert.Equal(t, "up", got.BGPStatus(got.BGPPeers()[0]))
	assert.Len(t, s.BGPSessions(), 1)

	s.SetBGPSession(sim.BGPSession{VIFID: v.ID, PeerID: peer.ID, State: "idle", Time: clock.Now()})
	s.ForgetBGPSession(peer.ID)
	assert.Equal(t, sim.StateAvailable, describe().State, "forgotten: the schedule's again")
}

// TestDualStackVIF: a VIF's second peer (IPv6) is a second pair of
// addresses on its VLAN and a second session; deleting it takes both away.
func TestDualStackVIF(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := simtest.NewClock()
	dp := simtest.NewDataPlane(clock, 256)
	s, err := sim.New(sim.Config{Clock: clock, DataPlane: dp})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	c, err := s.CreateConnection(ctx, acct, sim.CreateConnectionInput{Location: "EqDC2", Bandwidth: "10Gbps", Name: "c"})
	require.NoError(t, err)
	vgw := sim.DefaultCatalogue().VirtualGatewaysIn("us-east-1")[0]
	v, err := s.CreateVirtualInterface(ctx, acct, sim.CreateVIFInput{Type: sim.VIFPrivate, ConnectionID: c.ID, Name: "p", VLAN: 101, ASN: 65000, VirtualGatewayID: vgw.ID})
	require.NoError(t, err)
	vlan := func() sim.VLANSpec {
		spec, ok := dp.VLAN(v.ID)
		require.True(t, ok, "the VIF's VLAN")
		return spec
	}
	assert.Equal(t, []string{v.AmazonAddress}, vlan().Amazon(), "one peer, one address")

	v6, err := s.CreateBGPPeer(ctx, acct, v.ID, sim.NewBGPPeerInput{ASN: 65000, AddressFamily: sim.FamilyIPv6})
	require.NoError(t, err)
	peers := v6.BGPPeers()
	require.Len(t, peers, 2)
	six := peers[1]
	assert.Equal(t, []string{v.AmazonAddress, six.AmazonAddress}, vlan().Amazon(), "the IPv6 peer's address beside the IPv4 one")
	assert.Equal(t, []string{v.CustomerAddress, six.CustomerAddress}, vlan().Customer())
	r, ok := routerOf(t, s, v.ID)
	require.True(t, ok)
	require.Len(t, r.Peers, 2, "a session per peer")
	assert.Equal(t, six.AmazonAddress, r.Peers[1].AmazonAddress)
	assert.Equal(t, sim.FamilyIPv6, r.Peers[1].Family)

	_, err = s.DeleteBGPPeer(ctx, acct, v.ID, sim.DeleteBGPPeerInput{PeerID: six.ID})
	require.NoError(t, err)
	assert.Equal(t, []string{v.AmazonAddress}, vlan().Amazon(), "the deleted peer's address is gone")
	r, _ = routerOf(t, s, v.ID)
	assert.Len(t, r.Peers, 1, "and its session")
}
