package api_test

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	dx "github.com/aws/aws-sdk-go-v2/service/directconnect"
	"github.com/aws/aws-sdk-go-v2/service/directconnect/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/api"
)

// privateVIF creates a private VIF with IPv4 addresses Amazon assigns, and
// returns it.
func (e *env) privateVIF(vlan int32) *dx.CreatePrivateVirtualInterfaceOutput {
	e.t.Helper()
	v, err := e.dx.CreatePrivateVirtualInterface(ctx, &dx.CreatePrivateVirtualInterfaceInput{ConnectionId: aws.String(e.conn("10Gbps", "")),
		NewPrivateVirtualInterface: &types.NewPrivateVirtualInterface{VirtualInterfaceName: aws.String("priv"), Vlan: vlan, Asn: 65000,
			VirtualGatewayId: aws.String(vgw1)}})
	require.NoError(e.t, err)
	return v
}

func (e *env) vif(id string) types.VirtualInterface {
	e.t.Helper()
	out, err := e.dx.DescribeVirtualInterfaces(ctx, &dx.DescribeVirtualInterfacesInput{VirtualInterfaceId: aws.String(id)})
	require.NoError(e.t, err)
	require.Len(e.t, out.VirtualInterfaces, 1)
	return out.VirtualInterfaces[0]
}

func peerOf(v types.VirtualInterface, family types.AddressFamily) *types.BGPPeer {
	for i, p := range v.BgpPeers {
		if p.AddressFamily == family {
			return &v.BgpPeers[i]
		}
	}
	return nil
}

func TestBGPPeers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	created := e.privateVIF(101)
	id := aws.ToString(created.VirtualInterfaceId)
	require.Len(t, created.BgpPeers, 1, "a new VIF has the peer it was created with")
	first := created.BgpPeers[0]
	assert.Equal(t, "dxpeer-"+strings.TrimPrefix(id, "dxvif-"), aws.ToString(first.BgpPeerId))
	assert.Equal(t, types.BGPPeerStatePending, first.BgpPeerState, "the first peer waits for its VIF")
	e.clock.Advance(testSchedule.Confirm)

	out, err := e.dx.CreateBGPPeer(ctx, &dx.CreateBGPPeerInput{VirtualInterfaceId: aws.String(id),
		NewBGPPeer: &types.NewBGPPeer{AddressFamily: types.AddressFamilyIPv6, Asn: 65000}})
	require.NoError(t, err)
	v6 := peerOf(*out.VirtualInterface, types.AddressFamilyIPv6)
	require.NotNil(t, v6, "CreateBGPPeer: the IPv6 peer")
	assert.Regexp(t, `^dxpeer-[a-z0-9]{8}$`, aws.ToString(v6.BgpPeerId))
	assert.Equal(t, types.BGPPeerStatePending, v6.BgpPeerState)
	assert.Equal(t, types.BGPStatusDown, v6.BgpStatus)
	assert.Regexp(t, `^0x[A-Za-z0-9]{24}$`, aws.ToString(v6.AuthKey), "a generated key")
	amazon, customer := netip.MustParsePrefix(aws.ToString(v6.AmazonAddress)), netip.MustParsePrefix(aws.ToString(v6.CustomerAddress))
	assert.True(t, netip.MustParsePrefix("2600:1f1e:dc00::/40").Contains(amazon.Addr()), "from Amazon's space: %s", amazon)
	assert.Equal(t, 125, amazon.Bits())
	assert.Equal(t, amazon.Masked(), customer.Masked(), "one /125")
	assert.Equal(t, types.BGPPeerStateAvailable, peerOf(*out.VirtualInterface, types.AddressFamilyIPv4).BgpPeerState)

	e.clock.Advance(testSchedule.Confirm)
	got := peerOf(e.vif(id), types.AddressFamilyIPv6)
	assert.Equal(t, types.BGPPeerStateAvailable, got.BgpPeerState, "pending → available")
	assert.Equal(t, types.BGPStatusUp, got.BgpStatus)

	before := describeAll(t, e)
	refusals := []struct {
		name, want string
		call       func() error
	}{
		{"a second IPv6 peer", "at most one BGP peer per address family", func() error {
			_, err := e.dx.CreateBGPPeer(ctx, &dx.CreateBGPPeerInput{VirtualInterfaceId: aws.String(id), NewBGPPeer: &types.NewBGPPeer{AddressFamily: types.AddressFamilyIPv6, Asn: 65000}})
			return err
		}},
		{"a second IPv4 peer", "at most one BGP peer per address family", func() error {
			_, err := e.dx.CreateBGPPeer(ctx, &dx.CreateBGPPeerInput{VirtualInterfaceId: aws.String(id), NewBGPPeer: &types.NewBGPPeer{AddressFamily: types.AddressFamilyIPv4, Asn: 65000}})
			return err
		}},
		{"no address family", "addressFamily is required", func() error {
			_, err := e.dx.CreateBGPPeer(ctx, &dx.CreateBGPPeerInput{VirtualInterfaceId: aws.String(id), NewBGPPeer: &types.NewBGPPeer{Asn: 65000}})
			return err
		}},
		{"an unknown VIF", "Could not find Virtual Interface", func() error {
			_, err := e.dx.CreateBGPPeer(ctx, &dx.CreateBGPPeerInput{VirtualInterfaceId: aws.String("dxvif-zzzzzzzz"), NewBGPPeer: &types.NewBGPPeer{AddressFamily: types.AddressFamilyIPv6, Asn: 65000}})
			return err
		}},
		{"delete naming nothing", "Specify bgpPeerId, or asn and customerAddress", func() error {
			_, err := e.dx.DeleteBGPPeer(ctx, &dx.DeleteBGPPeerInput{VirtualInterfaceId: aws.String(id)})
			return err
		}},
		{"delete an unknown peer", "Could not find BGP peer dxpeer-zzzzzzzz", func() error {
			_, err := e.dx.DeleteBGPPeer(ctx, &dx.DeleteBGPPeerInput{VirtualInterfaceId: aws.String(id), BgpPeerId: aws.String("dxpeer-zzzzzzzz")})
			return err
		}},
	}
	for _, r := range refusals {
		err := r.call()
		assert.Equal(t, "DirectConnectClientException", apiCode(err), "%s: %v", r.name, err)
		assert.Contains(t, apiMessage(err), r.want, r.name)
	}
	assert.Equal(t, before, describeAll(t, e), "refusals change nothing")

	del, err := e.dx.DeleteBGPPeer(ctx, &dx.DeleteBGPPeerInput{VirtualInterfaceId: aws.String(id), Asn: 65000, CustomerAddress: v6.CustomerAddress})
	require.NoError(t, err, "DeleteBGPPeer by asn and customerAddress")
	assert.Equal(t, types.BGPPeerStateDeleting, peerOf(*del.VirtualInterface, types.AddressFamilyIPv6).BgpPeerState)
	_, err = e.dx.DeleteBGPPeer(ctx, &dx.DeleteBGPPeerInput{VirtualInterfaceId: aws.String(id), BgpPeerId: first.BgpPeerId})
	assert.Contains(t, apiMessage(err), "is the last BGP peer", "the last live peer stays: %v", err)
	e.clock.Advance(sim.DefaultSchedule().Deleting)
	assert.Equal(t, types.BGPPeerStateDeleted, peerOf(e.vif(id), types.AddressFamilyIPv6).BgpPeerState, "deleting → deleted")
	e.clock.Advance(sim.DefaultSchedule().Retain)
	assert.Len(t, e.vif(id).BgpPeers, 1, "a deleted peer is described for a while")

	// The family is free again; an IPv6 peer given addresses is refused.
	_, err = e.dx.CreateBGPPeer(ctx, &dx.CreateBGPPeerInput{VirtualInterfaceId: aws.String(id), NewBGPPeer: &types.NewBGPPeer{AddressFamily: types.AddressFamilyIPv6,
		Asn: 65000, AmazonAddress: aws.String("2001:db8::1/125"), CustomerAddress: aws.String("2001:db8::2/125")}})
	assert.Contains(t, apiMessage(err), "assigned by Amazon", "IPv6 addresses are Amazon's: %v", err)
	_, err = e.dx.CreateBGPPeer(ctx, &dx.CreateBGPPeerInput{VirtualInterfaceId: aws.String(id), NewBGPPeer: &types.NewBGPPeer{AddressFamily: types.AddressFamilyIPv6, Asn: 65000, AuthKey: aws.String("s3cret-key")}})
	require.NoError(t, err, "an IPv6 peer again")
	assert.Equal(t, "s3cret-key", aws.ToString(peerOf(e.vif(id), types.AddressFamilyIPv6).AuthKey), "the key given")
}

// TestBGPPeerIPv4Assigned: an IPv4 peer added to an IPv6 VIF gets a /30 of
// 169.254.0.0/16 no other peer uses.
func TestBGPPeerIPv4Assigned(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	v, err := e.dx.CreatePrivateVirtualInterface(ctx, &dx.CreatePrivateVirtualInterfaceInput{ConnectionId: aws.String(e.conn("10Gbps", "")),
		NewPrivateVirtualInterface: &types.NewPrivateVirtualInterface{VirtualInterfaceName: aws.String("v6"), Vlan: 7, Asn: 65000,
			AddressFamily: types.AddressFamilyIPv6, VirtualGatewayId: aws.String(vgw1)}})
	require.NoError(t, err)
	other := e.privateVIF(8)
	out, err := e.dx.CreateBGPPeer(ctx, &dx.CreateBGPPeerInput{VirtualInterfaceId: v.VirtualInterfaceId,
		NewBGPPeer: &types.NewBGPPeer{AddressFamily: types.AddressFamilyIPv4, AsnLong: aws.Int64(4200000000)}})
	require.NoError(t, err)
	p := peerOf(*out.VirtualInterface, types.AddressFamilyIPv4)
	require.NotNil(t, p)
	a := netip.MustParsePrefix(aws.ToString(p.AmazonAddress))
	assert.True(t, netip.MustParsePrefix("169.254.0.0/16").Contains(a.Addr()) && a.Bits() == 30, "a /30 of 169.254.0.0/16: %s", a)
	assert.NotEqual(t, aws.ToString(other.AmazonAddress), aws.ToString(p.AmazonAddress), "not another VIF's")
	assert.Equal(t, int64(4200000000), aws.ToInt64(p.AsnLong))
	assert.Equal(t, int32(0), p.Asn, "asn reports 0 when the ASN does not fit")
}

func TestHostedVirtualInterfaces(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withSigV4(nil))
	alice, bob := client(e.srv.URL, "AKIDALICE", "alice-secret"), client(e.srv.URL, "AKIDBOB", "bob-secret")
	const bobAcct = "222222222222"
	c, err := alice.CreateConnection(ctx, &dx.CreateConnectionInput{Location: aws.String("EqDC2"), Bandwidth: aws.String("10Gbps"), ConnectionName: aws.String("partner")})
	require.NoError(t, err)
	conn := c.ConnectionId

	priv, err := alice.AllocatePrivateVirtualInterface(ctx, &dx.AllocatePrivateVirtualInterfaceInput{ConnectionId: conn, OwnerAccount: aws.String(bobAcct),
		NewPrivateVirtualInterfaceAllocation: &types.NewPrivateVirtualInterfaceAllocation{VirtualInterfaceName: aws.String("for-bob"), Vlan: 200, Asn: 65010}})
	require.NoError(t, err)
	id := priv.VirtualInterfaceId
	assert.Equal(t, types.VirtualInterfaceStateConfirming, priv.VirtualInterfaceState)
	assert.Equal(t, bobAcct, aws.ToString(priv.OwnerAccount), "owned by the account it was allocated for")
	assert.NotEmpty(t, aws.ToString(priv.AmazonAddress), "Amazon assigns the IPv4 addresses")
	for name, cl := range map[string]*dx.Client{"owner": bob, "allocator": alice} {
		vs, err := cl.DescribeVirtualInterfaces(ctx, &dx.DescribeVirtualInterfacesInput{VirtualInterfaceId: id})
		require.NoError(t, err, name)
		require.Len(t, vs.VirtualInterfaces, 1, "%s describes it", name)
	}

	type refusal struct {
		name, want string
		call       func() error
	}
	refusals := []refusal{
		{"a clashing VLAN", "VLAN 200 is already in use", func() error {
			_, err := alice.AllocatePrivateVirtualInterface(ctx, &dx.AllocatePrivateVirtualInterfaceInput{ConnectionId: conn, OwnerAccount: aws.String(bobAcct),
				NewPrivateVirtualInterfaceAllocation: &types.NewPrivateVirtualInterfaceAllocation{VirtualInterfaceName: aws.String("dup"), Vlan: 200, Asn: 65010}})
			return err
		}},
		{"someone else's connection", "Could not find Connection", func() error {
			_, err := bob.AllocatePrivateVirtualInterface(ctx, &dx.AllocatePrivateVirtualInterfaceInput{ConnectionId: conn, OwnerAccount: aws.String(bobAcct),
				NewPrivateVirtualInterfaceAllocation: &types.NewPrivateVirtualInterfaceAllocation{VirtualInterfaceName: aws.String("x"), Vlan: 201, Asn: 65010}})
			return err
		}},
		{"a malformed owner", "is not an AWS account ID", func() error {
			_, err := alice.AllocatePrivateVirtualInterface(ctx, &dx.AllocatePrivateVirtualInterfaceInput{ConnectionId: conn, OwnerAccount: aws.String("bob"),
				NewPrivateVirtualInterfaceAllocation: &types.NewPrivateVirtualInterfaceAllocation{VirtualInterfaceName: aws.String("x"), Vlan: 201, Asn: 65010}})
			return err
		}},
		{"confirmed by its allocator", "Could not find Virtual Interface", func() error {
			_, err := alice.ConfirmPrivateVirtualInterface(ctx, &dx.ConfirmPrivateVirtualInterfaceInput{VirtualInterfaceId: id, VirtualGatewayId: aws.String(vgw1)})
			return err
		}},
		{"confirmed as transit", "confirm it with ConfirmPrivateVirtualInterface", func() error {
			_, err := bob.ConfirmTransitVirtualInterface(ctx, &dx.ConfirmTransitVirtualInterfaceInput{VirtualInterfaceId: id, DirectConnectGatewayId: aws.String("5f294f92-bafb-4011-916d-9b0bEXAMPLE")})
			return err
		}},
		{"confirmed with no gateway", "exactly one of virtualGatewayId and directConnectGatewayId", func() error {
			_, err := bob.ConfirmPrivateVirtualInterface(ctx, &dx.ConfirmPrivateVirtualInterfaceInput{VirtualInterfaceId: id})
			return err
		}},
		{"confirmed with an unknown Direct Connect gateway", "does not exist", func() error {
			_, err := bob.ConfirmPrivateVirtualInterface(ctx, &dx.ConfirmPrivateVirtualInterfaceInput{VirtualInterfaceId: id, DirectConnectGatewayId: aws.String("5f294f92-bafb-4011-916d-9b0bEXAMPLE")})
			return err
		}},
	}
	render := func() string {
		var out string
		for _, cl := range []*dx.Client{alice, bob} {
			vs, err := cl.DescribeVirtualInterfaces(ctx, &dx.DescribeVirtualInterfacesInput{})
			require.NoError(t, err)
			out += fmtVIFs(vs.VirtualInterfaces) + "|"
		}
		return out
	}
	before := render()
	for _, r := range refusals {
		err := r.call()
		assert.Equal(t, "DirectConnectClientException", apiCode(err), "%s: %v", r.name, err)
		assert.Contains(t, apiMessage(err), r.want, r.name)
	}
	assert.Equal(t, before, render(), "refusals change nothing")

	conf, err := bob.ConfirmPrivateVirtualInterface(ctx, &dx.ConfirmPrivateVirtualInterfaceInput{VirtualInterfaceId: id, VirtualGatewayId: aws.String(vgw1)})
	require.NoError(t, err)
	assert.Equal(t, types.VirtualInterfaceStatePending, conf.VirtualInterfaceState)
	_, err = bob.ConfirmPrivateVirtualInterface(ctx, &dx.ConfirmPrivateVirtualInterfaceInput{VirtualInterfaceId: id, VirtualGatewayId: aws.String(vgw1)})
	assert.Contains(t, apiMessage(err), "only a virtual interface in state confirming", "confirmed twice: %v", err)
	e.clock.Advance(testSchedule.Confirm)
	vs, err := alice.DescribeVirtualInterfaces(ctx, &dx.DescribeVirtualInterfacesInput{VirtualInterfaceId: id})
	require.NoError(t, err)
	assert.Equal(t, types.VirtualInterfaceStateAvailable, vs.VirtualInterfaces[0].VirtualInterfaceState, "pending → available")
	assert.Equal(t, vgw1, aws.ToString(vs.VirtualInterfaces[0].VirtualGatewayId))

	// Transit: confirmed onto the owner's Direct Connect gateway.
	gw := gateway(t, bob, "bob-gw")
	tr, err := alice.AllocateTransitVirtualInterface(ctx, &dx.AllocateTransitVirtualInterfaceInput{ConnectionId: conn, OwnerAccount: aws.String(bobAcct),
		NewTransitVirtualInterfaceAllocation: &types.NewTransitVirtualInterfaceAllocation{VirtualInterfaceName: aws.String("tr"), Vlan: 300, Asn: 65010, Mtu: aws.Int32(8500)}})
	require.NoError(t, err)
	tid := tr.VirtualInterface.VirtualInterfaceId
	tc, err := bob.ConfirmTransitVirtualInterface(ctx, &dx.ConfirmTransitVirtualInterfaceInput{VirtualInterfaceId: tid, DirectConnectGatewayId: aws.String(gw)})
	require.NoError(t, err)
	assert.Equal(t, types.VirtualInterfaceStatePending, tc.VirtualInterfaceState)

	// Public: confirmed into verifying, as a created public VIF is.
	pub, err := alice.AllocatePublicVirtualInterface(ctx, &dx.AllocatePublicVirtualInterfaceInput{ConnectionId: conn, OwnerAccount: aws.String(bobAcct),
		NewPublicVirtualInterfaceAllocation: &types.NewPublicVirtualInterfaceAllocation{VirtualInterfaceName: aws.String("pub"), Vlan: 400, Asn: 65010,
			AmazonAddress: aws.String("203.0.113.1/30"), CustomerAddress: aws.String("203.0.113.2/30")}})
	require.NoError(t, err)
	pc, err := bob.ConfirmPublicVirtualInterface(ctx, &dx.ConfirmPublicVirtualInterfaceInput{VirtualInterfaceId: pub.VirtualInterfaceId})
	require.NoError(t, err)
	assert.Equal(t, types.VirtualInterfaceStateVerifying, pc.VirtualInterfaceState)
	state := func(id *string) types.VirtualInterfaceState {
		t.Helper()
		vs, err := alice.DescribeVirtualInterfaces(ctx, &dx.DescribeVirtualInterfacesInput{VirtualInterfaceId: id})
		require.NoError(t, err)
		require.Len(t, vs.VirtualInterfaces, 1)
		return vs.VirtualInterfaces[0].VirtualInterfaceState
	}
	e.clock.Advance(testSchedule.Confirm)
	assert.Equal(t, types.VirtualInterfaceStatePending, state(pub.VirtualInterfaceId), "verifying → pending: its prefixes taken as verified")
	e.clock.Advance(testSchedule.Confirm)
	assert.Equal(t, types.VirtualInterfaceStateAvailable, state(pub.VirtualInterfaceId), "pending → available")

	// Declined: its owner deletes it while confirming; it is rejected, and
	// kept (with its VLAN) until the allocating account deletes it.
	dec, err := alice.AllocatePrivateVirtualInterface(ctx, &dx.AllocatePrivateVirtualInterfaceInput{ConnectionId: conn, OwnerAccount: aws.String(bobAcct),
		NewPrivateVirtualInterfaceAllocation: &types.NewPrivateVirtualInterfaceAllocation{VirtualInterfaceName: aws.String("declined"), Vlan: 500, Asn: 65010}})
	require.NoError(t, err)
	del, err := bob.DeleteVirtualInterface(ctx, &dx.DeleteVirtualInterfaceInput{VirtualInterfaceId: dec.VirtualInterfaceId})
	require.NoError(t, err)
	assert.Equal(t, types.VirtualInterfaceStateRejected, del.VirtualInterfaceState)
	assert.Equal(t, types.VirtualInterfaceStateRejected, state(dec.VirtualInterfaceId), "both accounts see it rejected")
	_, err = bob.ConfirmPrivateVirtualInterface(ctx, &dx.ConfirmPrivateVirtualInterfaceInput{VirtualInterfaceId: dec.VirtualInterfaceId, VirtualGatewayId: aws.String(vgw1)})
	assert.Contains(t, apiMessage(err), "only a virtual interface in state confirming", "a rejected VIF cannot be confirmed: %v", err)
	_, err = alice.AllocatePrivateVirtualInterface(ctx, &dx.AllocatePrivateVirtualInterfaceInput{ConnectionId: conn, OwnerAccount: aws.String(bobAcct),
		NewPrivateVirtualInterfaceAllocation: &types.NewPrivateVirtualInterfaceAllocation{VirtualInterfaceName: aws.String("again"), Vlan: 500, Asn: 65010}})
	assert.Equal(t, "DirectConnectClientException", apiCode(err), "the rejected VIF still holds VLAN 500: %v", err)
	del, err = alice.DeleteVirtualInterface(ctx, &dx.DeleteVirtualInterfaceInput{VirtualInterfaceId: dec.VirtualInterfaceId})
	require.NoError(t, err)
	assert.Equal(t, types.VirtualInterfaceStateDeleting, del.VirtualInterfaceState, "its allocator deletes it")
}

func fmtVIFs(vs []types.VirtualInterface) string {
	var b strings.Builder
	for _, v := range vs {
		fmt.Fprintf(&b, "%s=%s,%s,%d,%s;", aws.ToString(v.VirtualInterfaceId), v.VirtualInterfaceState, aws.ToString(v.OwnerAccount), v.Vlan, aws.ToString(v.VirtualGatewayId))
	}
	return b.String()
}

func TestUpdateVirtualInterfaceAttributes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.privateVIF(10).VirtualInterfaceId
	out, err := e.dx.UpdateVirtualInterfaceAttributes(ctx, &dx.UpdateVirtualInterfaceAttributesInput{VirtualInterfaceId: id,
		Mtu: aws.Int32(9001), EnableSiteLink: aws.Bool(true), VirtualInterfaceName: aws.String("renamed")})
	require.NoError(t, err)
	assert.Equal(t, int32(9001), aws.ToInt32(out.Mtu))
	assert.True(t, aws.ToBool(out.SiteLinkEnabled))
	assert.Equal(t, "renamed", aws.ToString(out.VirtualInterfaceName))
	assert.Equal(t, "renamed", aws.ToString(e.vif(aws.ToString(id)).VirtualInterfaceName), "kept")

	pub, err := e.dx.CreatePublicVirtualInterface(ctx, &dx.CreatePublicVirtualInterfaceInput{ConnectionId: aws.String(e.conn("10Gbps", "")),
		NewPublicVirtualInterface: &types.NewPublicVirtualInterface{VirtualInterfaceName: aws.String("pub"), Vlan: 11, Asn: 65001,
			AmazonAddress: aws.String("203.0.113.1/30"), CustomerAddress: aws.String("203.0.113.2/30")}})
	require.NoError(t, err)
	before := describeAll(t, e)
	for _, tc := range []struct {
		name, want string
		in         *dx.UpdateVirtualInterfaceAttributesInput
	}{
		{"jumbo frames of a transit VIF on a private one", "mtu 8500 is not supported on a private", &dx.UpdateVirtualInterfaceAttributesInput{VirtualInterfaceId: id, Mtu: aws.Int32(8500)}},
		{"jumbo frames on a public VIF", "mtu 9001 is not supported on a public", &dx.UpdateVirtualInterfaceAttributesInput{VirtualInterfaceId: pub.VirtualInterfaceId, Mtu: aws.Int32(9001)}},
		{"SiteLink on a public VIF", "SiteLink is not supported", &dx.UpdateVirtualInterfaceAttributesInput{VirtualInterfaceId: pub.VirtualInterfaceId, EnableSiteLink: aws.Bool(true)}},
		{"an unknown VIF", "Could not find Virtual Interface", &dx.UpdateVirtualInterfaceAttributesInput{VirtualInterfaceId: aws.String("dxvif-zzzzzzzz"), Mtu: aws.Int32(1500)}},
	} {
		_, err := e.dx.UpdateVirtualInterfaceAttributes(ctx, tc.in)
		assert.Equal(t, "DirectConnectClientException", apiCode(err), "%s: %v", tc.name, err)
		assert.Contains(t, apiMessage(err), tc.want, tc.name)
	}
	assert.Equal(t, before, describeAll(t, e), "refusals change nothing")
}

func TestDescribeVirtualGateways(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	out, err := e.dx.DescribeVirtualGateways(ctx, &dx.DescribeVirtualGatewaysInput{})
	require.NoError(t, err)
	require.Len(t, out.VirtualGateways, 3, "the catalogue's gateways in us-east-1")
	for _, g := range out.VirtualGateways {
		assert.Regexp(t, `^vgw-[0-9a-f]{17}$`, aws.ToString(g.VirtualGatewayId))
		assert.Equal(t, "available", aws.ToString(g.VirtualGatewayState))
	}
	assert.Equal(t, vgw1, aws.ToString(out.VirtualGateways[0].VirtualGatewayId))
}

func TestDescribeRouterConfiguration(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	v := e.privateVIF(101)
	id := v.VirtualInterfaceId
	e.clock.Advance(testSchedule.Confirm)
	_, err := e.dx.CreateBGPPeer(ctx, &dx.CreateBGPPeerInput{VirtualInterfaceId: id, NewBGPPeer: &types.NewBGPPeer{AddressFamily: types.AddressFamilyIPv6, Asn: 65000}})
	require.NoError(t, err)
	v6 := peerOf(e.vif(aws.ToString(id)), types.AddressFamilyIPv6)

	out, err := e.dx.DescribeRouterConfiguration(ctx, &dx.DescribeRouterConfigurationInput{VirtualInterfaceId: id, RouterTypeIdentifier: aws.String(sim.RouterFRR8)})
	require.NoError(t, err)
	require.NotNil(t, out.Router)
	assert.Equal(t, sim.RouterFRR8, aws.ToString(out.Router.RouterTypeIdentifier))
	assert.Equal(t, "FRRouting", aws.ToString(out.Router.Vendor))
	assert.Equal(t, aws.ToString(id), aws.ToString(out.VirtualInterfaceId))
	cfg := aws.ToString(out.CustomerRouterConfig)
	amazon := netip.MustParsePrefix(aws.ToString(v.AmazonAddress)).Addr()
	amazon6 := netip.MustParsePrefix(aws.ToString(v6.AmazonAddress)).Addr()
	for _, want := range []string{
		"interface eth0.101\n",
		" ip address " + aws.ToString(v.CustomerAddress) + "\n",
		" ipv6 address " + aws.ToString(v6.CustomerAddress) + "\n",
		"router bgp 65000\n",
		" neighbor " + amazon.String() + " remote-as 64512\n",
		" neighbor " + amazon.String() + " password " + aws.ToString(v.AuthKey) + "\n",
		" neighbor " + amazon6.String() + " password " + aws.ToString(v6.AuthKey) + "\n",
		" address-family ipv4 unicast\n  neighbor " + amazon.String() + " activate\n",
		" address-family ipv6 unicast\n  neighbor " + amazon6.String() + " activate\n",
	} {
		assert.Contains(t, cfg, want)
	}
	checkWithFRR(t, cfg)

	list, err := e.dx.DescribeRouterConfiguration(ctx, &dx.DescribeRouterConfigurationInput{VirtualInterfaceId: id})
	require.NoError(t, err)
	assert.Nil(t, list.Router, "no router type: a list of them")
	assert.Contains(t, aws.ToString(list.CustomerRouterConfig), sim.RouterFRR8)
	assert.Contains(t, aws.ToString(list.CustomerRouterConfig), sim.RouterGeneric)
	gen, err := e.dx.DescribeRouterConfiguration(ctx, &dx.DescribeRouterConfigurationInput{VirtualInterfaceId: id, RouterTypeIdentifier: aws.String(sim.RouterGeneric)})
	require.NoError(t, err)
	assert.Contains(t, aws.ToString(gen.CustomerRouterConfig), "BGP MD5 key: "+aws.ToString(v.AuthKey))

	_, err = e.dx.DescribeRouterConfiguration(ctx, &dx.DescribeRouterConfigurationInput{VirtualInterfaceId: id, RouterTypeIdentifier: aws.String("CiscoSystemsInc-2900SeriesRouters-IOS124")})
	assert.Contains(t, apiMessage(err), "is not one of the router types", "an unknown router type: %v", err)
	_, err = e.dx.DescribeRouterConfiguration(ctx, &dx.DescribeRouterConfigurationInput{VirtualInterfaceId: aws.String("dxvif-zzzzzzzz")})
	assert.Contains(t, apiMessage(err), "Could not find Virtual Interface", "an unknown VIF: %v", err)
}

// checkWithFRR has FRR's vtysh check the configuration, where FRR is installed.
func checkWithFRR(t *testing.T, cfg string) {
	t.Helper()
	vtysh, err := exec.LookPath("vtysh")
	if err != nil {
		t.Log("vtysh not found (Debian's frr is not installed): FRR's own check of the configuration is skipped")
		return
	}
	path := filepath.Join(t.TempDir(), "frr.conf")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	out, err := exec.Command(vtysh, "--dryrun", "-f", path).CombinedOutput()
	assert.NoError(t, err, "FRR refuses the configuration:\n%s\n%s", out, cfg)
}

func TestBgpFailoverTests(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	v := e.privateVIF(10)
	id := v.VirtualInterfaceId
	peer := v.BgpPeers[0].BgpPeerId
	_, err := e.dx.StartBgpFailoverTest(ctx, &dx.StartBgpFailoverTestInput{VirtualInterfaceId: id})
	assert.Contains(t, apiMessage(err), "a failover test needs it available", "a pending VIF: %v", err)
	e.clock.Advance(testSchedule.Confirm)

	start := e.clock.Now()
	st, err := e.dx.StartBgpFailoverTest(ctx, &dx.StartBgpFailoverTestInput{VirtualInterfaceId: id})
	require.NoError(t, err)
	test := st.VirtualInterfaceTest
	assert.Equal(t, "in-progress", aws.ToString(test.Status))
	assert.Equal(t, int32(180), aws.ToInt32(test.TestDurationInMinutes), "180 minutes by default")
	assert.Equal(t, []string{aws.ToString(peer)}, test.BgpPeers, "all peers by default")
	assert.Equal(t, api.DefaultAccount, aws.ToString(test.OwnerAccount))
	assert.WithinDuration(t, start, aws.ToTime(test.StartTime), time.Second)
	assert.Nil(t, test.EndTime)

	before := describeAll(t, e)
	for _, tc := range []struct {
		name, want string
		in         *dx.StartBgpFailoverTestInput
	}{
		{"a second test", "is already under failover test", &dx.StartBgpFailoverTestInput{VirtualInterfaceId: id}},
		{"too long", "testDurationInMinutes 4321 is not between 1 and 4320", &dx.StartBgpFailoverTestInput{VirtualInterfaceId: id, TestDurationInMinutes: aws.Int32(4321)}},
		{"an unknown VIF", "Could not find Virtual Interface", &dx.StartBgpFailoverTestInput{VirtualInterfaceId: aws.String("dxvif-zzzzzzzz")}},
	} {
		_, err := e.dx.StartBgpFailoverTest(ctx, tc.in)
		assert.Equal(t, "DirectConnectClientException", apiCode(err), "%s: %v", tc.name, err)
		assert.Contains(t, apiMessage(err), tc.want, tc.name)
	}
	assert.Equal(t, before, describeAll(t, e), "refusals change nothing")

	e.clock.Advance(time.Minute)
	stop, err := e.dx.StopBgpFailoverTest(ctx, &dx.StopBgpFailoverTestInput{VirtualInterfaceId: id})
	require.NoError(t, err)
	assert.Equal(t, "completed", aws.ToString(stop.VirtualInterfaceTest.Status))
	assert.Equal(t, start.Add(time.Minute).Unix(), aws.ToTime(stop.VirtualInterfaceTest.EndTime).Unix())
	_, err = e.dx.StopBgpFailoverTest(ctx, &dx.StopBgpFailoverTestInput{VirtualInterfaceId: id})
	assert.Contains(t, apiMessage(err), "has no failover test in progress", "stopped twice: %v", err)

	_, err = e.dx.StartBgpFailoverTest(ctx, &dx.StartBgpFailoverTestInput{VirtualInterfaceId: id, BgpPeers: []string{"dxpeer-zzzzzzzz"}})
	assert.Contains(t, apiMessage(err), "Could not find BGP peer dxpeer-zzzzzzzz", "an unknown peer: %v", err)
	short, err := e.dx.StartBgpFailoverTest(ctx, &dx.StartBgpFailoverTestInput{VirtualInterfaceId: id, BgpPeers: []string{aws.ToString(peer)}, TestDurationInMinutes: aws.Int32(5)})
	require.NoError(t, err)
	e.clock.Advance(5 * time.Minute)
	done, err := e.dx.ListVirtualInterfaceTestHistory(ctx, &dx.ListVirtualInterfaceTestHistoryInput{TestId: short.VirtualInterfaceTest.TestId})
	require.NoError(t, err)
	require.Len(t, done.VirtualInterfaceTestHistory, 1)
	assert.Equal(t, "completed", aws.ToString(done.VirtualInterfaceTestHistory[0].Status), "completes when its duration has passed")
	assert.Equal(t, aws.ToTime(short.VirtualInterfaceTest.StartTime).Add(5*time.Minute).Unix(), aws.ToTime(done.VirtualInterfaceTestHistory[0].EndTime).Unix(), "dated then")

	other := e.privateVIF(11)
	e.clock.Advance(testSchedule.Confirm)
	_, err = e.dx.StartBgpFailoverTest(ctx, &dx.StartBgpFailoverTestInput{VirtualInterfaceId: other.VirtualInterfaceId})
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		in   *dx.ListVirtualInterfaceTestHistoryInput
		want int
	}{
		{"all", &dx.ListVirtualInterfaceTestHistoryInput{}, 3},
		{"by VIF", &dx.ListVirtualInterfaceTestHistoryInput{VirtualInterfaceId: id}, 2},
		{"by status", &dx.ListVirtualInterfaceTestHistoryInput{Status: aws.String("in-progress")}, 1},
		{"by peer", &dx.ListVirtualInterfaceTestHistoryInput{BgpPeers: []string{aws.ToString(peer)}}, 2},
		{"by unknown test", &dx.ListVirtualInterfaceTestHistoryInput{TestId: aws.String("nope")}, 0},
	} {
		out, err := e.dx.ListVirtualInterfaceTestHistory(ctx, tc.in)
		require.NoError(t, err, tc.name)
		assert.Len(t, out.VirtualInterfaceTestHistory, tc.want, tc.name)
	}
	var seen []string
	var token *string
	for {
		out, err := e.dx.ListVirtualInterfaceTestHistory(ctx, &dx.ListVirtualInterfaceTestHistoryInput{MaxResults: aws.Int32(2), NextToken: token})
		require.NoError(t, err)
		for _, h := range out.VirtualInterfaceTestHistory {
			seen = append(seen, aws.ToString(h.TestId))
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	assert.Len(t, seen, 3, "paged two at a time")

	// A deleted VIF's running test completes with it.
	_, err = e.dx.DeleteVirtualInterface(ctx, &dx.DeleteVirtualInterfaceInput{VirtualInterfaceId: other.VirtualInterfaceId})
	require.NoError(t, err)
	running, err := e.dx.ListVirtualInterfaceTestHistory(ctx, &dx.ListVirtualInterfaceTestHistoryInput{Status: aws.String("in-progress")})
	require.NoError(t, err)
	assert.Empty(t, running.VirtualInterfaceTestHistory, "no test runs on a deleted VIF")
}
