package sim_test

import (
	"context"
	"net/netip"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
)

// TestVIFGetsWhatAmazonAssigns: a VIF created without a BGP key or (private
// and transit, IPv4) peer addresses gets them from Amazon: a generated key,
// and a /30 of 169.254.0.0/16 that no other VIF uses. It knows its device.
func TestVIFGetsWhatAmazonAssigns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, clock := newService(t, nil)
	c, err := s.CreateConnection(ctx, acct, sim.CreateConnectionInput{Location: "EqDC2", Bandwidth: "10Gbps", Name: "c"})
	require.NoError(t, err)
	gw, err := s.CreateDirectConnectGateway(ctx, acct, sim.CreateGatewayInput{Name: "gw"})
	require.NoError(t, err)
	clock.Advance(10 * time.Second)
	key := regexp.MustCompile(`^0x[A-Za-z0-9]{24}$`)
	seen := map[netip.Prefix]bool{}
	for i, typ := range []string{sim.VIFPrivate, sim.VIFTransit, sim.VIFPrivate} {
		in := sim.CreateVIFInput{Type: typ, ConnectionID: c.ID, Name: "v", VLAN: 100 + i, ASN: 65000}
		if typ == sim.VIFPrivate {
			in.VirtualGatewayID = "vgw-0123456789abcdef0"
		} else {
			in.DirectConnectGatewayID = gw.ID
		}
		v, err := s.CreateVirtualInterface(ctx, acct, in)
		require.NoError(t, err, typ)
		assert.Regexp(t, key, v.AuthKey, "a generated BGP key")
		assert.Equal(t, c.Device, v.Device, "the VIF's device is its connection's")
		a, err := netip.ParsePrefix(v.AmazonAddress)
		require.NoError(t, err, "amazonAddress %q", v.AmazonAddress)
		cu, err := netip.ParsePrefix(v.CustomerAddress)
		require.NoError(t, err, "customerAddress %q", v.CustomerAddress)
		assert.Equal(t, 30, a.Bits())
		assert.True(t, netip.MustParsePrefix("169.254.0.0/16").Contains(a.Addr()), "amazonAddress %s", a)
		assert.Equal(t, a.Masked(), cu.Masked(), "one subnet")
		assert.NotEqual(t, a.Addr(), cu.Addr())
		assert.False(t, seen[a.Masked()], "subnet %s given twice", a.Masked())
		seen[a.Masked()] = true
	}

	// What the request gives is kept.
	v, err := s.CreateVirtualInterface(ctx, acct, sim.CreateVIFInput{Type: sim.VIFPrivate, ConnectionID: c.ID, Name: "given", VLAN: 200,
		ASN: 65000, AuthKey: "mysecretkey", AmazonAddress: "192.0.2.1/30", CustomerAddress: "192.0.2.2/30", VirtualGatewayID: "vgw-0123456789abcdef0"})
	require.NoError(t, err)
	assert.Equal(t, "mysecretkey", v.AuthKey)
	assert.Equal(t, "192.0.2.1/30", v.AmazonAddress)
	assert.Equal(t, "192.0.2.2/30", v.CustomerAddress)

	// An IPv6 VIF gets Amazon's IPv6 /125, never IPv4 addresses, and may
	// not choose its own.
	v, err = s.CreateVirtualInterface(ctx, acct, sim.CreateVIFInput{Type: sim.VIFPrivate, ConnectionID: c.ID, Name: "v6", VLAN: 201,
		ASN: 65000, AddressFamily: "ipv6", VirtualGatewayID: "vgw-0123456789abcdef0"})
	require.NoError(t, err)
	a, err := netip.ParsePrefix(v.AmazonAddress)
	require.NoError(t, err, "amazonAddress %q", v.AmazonAddress)
	cu, err := netip.ParsePrefix(v.CustomerAddress)
	require.NoError(t, err, "customerAddress %q", v.CustomerAddress)
	assert.True(t, a.Addr().Is6() && a.Bits() == 125, "amazonAddress %s is an IPv6 /125", a)
	assert.Equal(t, a.Masked(), cu.Masked(), "one subnet")
	assert.NotEqual(t, a.Addr(), cu.Addr())
	_, err = s.CreateVirtualInterface(ctx, acct, sim.CreateVIFInput{Type: sim.VIFPrivate, ConnectionID: c.ID, Name: "v6own", VLAN: 202,
		ASN: 65000, AddressFamily: "ipv6", AmazonAddress: "2001:db8::1/125", CustomerAddress: "2001:db8::2/125", VirtualGatewayID: "vgw-0123456789abcdef0"})
	assert.Equal(t, sim.RuleInvalidArgument, sim.RuleOf(err), "an IPv6 VIF with addresses of its own: %v", err)
}

// TestDeletedAreDescribedAcrossRestart: a deleted VIF and connection are
// kept in the state as deleted, so a restarted service still describes
// them; the rules no longer see them (the VLAN is free again).
func TestDeletedAreDescribedAcrossRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	s, store, _ := openDurable(t, dir)
	c, err := s.CreateConnection(ctx, acct, sim.CreateConnectionInput{Location: "EqDC2", Bandwidth: "10Gbps", Name: "c"})
	require.NoError(t, err)
	v, err := s.CreateVirtualInterface(ctx, acct, sim.CreateVIFInput{Type: sim.VIFPrivate, ConnectionID: c.ID, Name: "v", VLAN: 300,
		ASN: 65000, VirtualGatewayID: "vgw-0123456789abcdef0"})
	require.NoError(t, err)
	state, err := s.DeleteVirtualInterface(ctx, acct, v.ID)
	require.NoError(t, err)
	assert.Equal(t, sim.StateDeleting, state)
	again, err := s.CreateVirtualInterface(ctx, acct, sim.CreateVIFInput{Type: sim.VIFPrivate, ConnectionID: c.ID, Name: "v2", VLAN: 300,
		ASN: 65000, VirtualGatewayID: "vgw-0123456789abcdef0"})
	require.NoError(t, err, "the deleted VIF's VLAN is free")
	_, err = s.DeleteVirtualInterface(ctx, acct, again.ID)
	require.NoError(t, err)
	_, err = s.DeleteConnection(ctx, acct, c.ID)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.NoError(t, store.Close())

	s2, _ := restart(t, dir)
	vifs, err := s2.VirtualInterfaces(acct, "", v.ID)
	require.NoError(t, err, "the deleted VIF is described after a restart")
	require.Len(t, vifs, 1)
	assert.Contains(t, []string{sim.StateDeleting, sim.StateDeleted}, vifs[0].State)
	conns, err := s2.Connections(acct, c.ID)
	require.NoError(t, err)
	require.Len(t, conns, 1)
	assert.Equal(t, sim.StateDeleted, conns[0].State)
}
