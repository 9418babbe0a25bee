package sim_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
)

// TestRouting: what each kind of VIF reaches in the Region: its virtual
// private gateway's VPC; through a Direct Connect gateway, its
// associations' VPCs (limited to their allowed prefixes) or transit
// gateways' prefixes; a public VIF routes nothing here.
func TestRouting(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, clock := newService(t, nil)
	c, err := s.CreateConnection(ctx, acct, sim.CreateConnectionInput{Location: "EqDC2", Bandwidth: "10Gbps", Name: "c"})
	require.NoError(t, err)
	vgws := sim.DefaultCatalogue().VirtualGatewaysIn("us-east-1")
	priv, err := s.CreateVirtualInterface(ctx, acct, sim.CreateVIFInput{Type: sim.VIFPrivate, ConnectionID: c.ID, Name: "p", VLAN: 101, ASN: 65000, VirtualGatewayID: vgws[0].ID})
	require.NoError(t, err)

	g, err := s.CreateDirectConnectGateway(ctx, acct, sim.CreateGatewayInput{Name: "gw"})
	require.NoError(t, err)
	_, err = s.CreateDirectConnectGatewayAssociation(ctx, acct, sim.CreateAssociationInput{GatewayID: g.ID, AssociatedID: vgws[1].ID, Prefixes: []string{"10.0.0.0/8"}})
	require.NoError(t, err)
	viaGW, err := s.CreateVirtualInterface(ctx, acct, sim.CreateVIFInput{Type: sim.VIFPrivate, ConnectionID: c.ID, Name: "g", VLAN: 102, ASN: 65000, DirectConnectGatewayID: g.ID})
	require.NoError(t, err)

	tg, err := s.CreateDirectConnectGateway(ctx, acct, sim.CreateGatewayInput{Name: "tgw"})
	require.NoError(t, err)
	_, err = s.CreateDirectConnectGatewayAssociation(ctx, acct, sim.CreateAssociationInput{GatewayID: tg.ID, AssociatedID: "tgw-0123456789abcdef0", Prefixes: []string{"10.200.0.0/16"}})
	require.NoError(t, err)
	tr, err := s.CreateVirtualInterface(ctx, acct, sim.CreateVIFInput{Type: sim.VIFTransit, ConnectionID: c.ID, Name: "t", VLAN: 103, ASN: 65000, DirectConnectGatewayID: tg.ID})
	require.NoError(t, err)
	_, err = s.CreateVirtualInterface(ctx, acct, sim.CreateVIFInput{Type: sim.VIFPublic, ConnectionID: c.ID, Name: "pub", VLAN: 104, ASN: 65001,
		AmazonAddress: "203.0.113.1/30", CustomerAddress: "203.0.113.2/30", RouteFilterPrefixes: []string{"198.51.100.0/24"}})
	require.NoError(t, err)
	clock.Advance(10 * time.Second) // the associations are associated

	r, err := s.Routing()
	require.NoError(t, err)
	assert.Equal(t, "us-east-1", r.Region)
	nets := map[string][]string{}
	for _, n := range r.Networks {
		nets[n.ID] = n.CIDRs
	}
	for _, g := range vgws {
		assert.Equal(t, g.VPCCIDRs, nets[g.ID], "every VPC of the Region is there")
	}
	assert.Equal(t, []string{"10.200.0.0/16"}, nets["tgw-0123456789abcdef0"], "a transit gateway's allowed prefixes")

	vifs := map[string]sim.RoutedVIF{}
	for _, v := range r.VIFs {
		vifs[v.VIFID] = v
	}
	require.Len(t, vifs, 3, "the public VIF routes nothing here: %+v", r.VIFs)
	assert.Equal(t, []string{vgws[0].ID}, vifs[priv.ID].Networks)
	assert.Equal(t, vgws[0].VPCCIDRs, vifs[priv.ID].Reach)
	assert.Equal(t, c.Device, vifs[priv.ID].Device)
	assert.Equal(t, c.ID, vifs[priv.ID].Parent)
	assert.Equal(t, []string{vgws[1].ID}, vifs[viaGW.ID].Networks)
	assert.Equal(t, []string{"10.0.0.0/8"}, vifs[viaGW.ID].Reach, "limited to the association's allowed prefixes")
	assert.Equal(t, []string{"tgw-0123456789abcdef0"}, vifs[tr.ID].Networks)
	assert.Equal(t, []string{"10.200.0.0/16"}, vifs[tr.ID].Reach)
}
