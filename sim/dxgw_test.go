package sim_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
)

func vgw(i int) string { return fmt.Sprintf("vgw-%017x", i) }
func tgw(i int) string { return fmt.Sprintf("tgw-%017x", i) }

// TestGatewayQuotas: at most 10 virtual private gateways and 3 transit
// gateways per Direct Connect gateway, and 30 VIFs attached to one; the
// request past the limit is refused and changes nothing.
func TestGatewayQuotas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name, kind string
		limit      int
		id         func(int) string
	}{
		{"virtual private gateways", sim.GatewayVirtualPrivate, sim.VirtualGatewaysPerDXGateway, vgw},
		{"transit gateways", sim.GatewayTransit, sim.TransitGatewaysPerDXGateway, tgw},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, _ := newService(t, nil)
			g, err := s.CreateDirectConnectGateway(ctx, acct, sim.CreateGatewayInput{Name: "gw"})
			require.NoError(t, err)
			in := func(i int) sim.CreateAssociationInput {
				return sim.CreateAssociationInput{GatewayID: g.ID, AssociatedID: tc.id(i), Prefixes: []string{"10.0.0.0/8"}}
			}
			for i := range tc.limit {
				_, err := s.CreateDirectConnectGatewayAssociation(ctx, acct, in(i))
				require.NoError(t, err, "association %d", i)
			}
			_, err = s.CreateDirectConnectGatewayAssociation(ctx, acct, in(tc.limit))
			assert.Equal(t, sim.RuleQuota, sim.RuleOf(err), "%v", err)
			as, err := s.GatewayAssociations(acct, sim.AssociationFilter{GatewayID: g.ID})
			require.NoError(t, err)
			assert.Len(t, as, tc.limit, "the refusal associated nothing")
		})
	}
	t.Run("VIFs", func(t *testing.T) {
		t.Parallel()
		s, _ := newService(t, nil)
		g, err := s.CreateDirectConnectGateway(ctx, acct, sim.CreateGatewayInput{Name: "gw"})
		require.NoError(t, err)
		c, err := s.CreateConnection(ctx, acct, sim.CreateConnectionInput{Location: "EqDC2", Bandwidth: "10Gbps", Name: "c"})
		require.NoError(t, err)
		in := func(i int) sim.CreateVIFInput {
			return sim.CreateVIFInput{Type: sim.VIFPrivate, ConnectionID: c.ID, Name: "v", VLAN: 100 + i, ASN: 65000, DirectConnectGatewayID: g.ID}
		}
		for i := range sim.VIFsPerDXGateway {
			_, err := s.CreateVirtualInterface(ctx, acct, in(i))
			require.NoError(t, err, "VIF %d", i)
		}
		_, err = s.CreateVirtualInterface(ctx, acct, in(sim.VIFsPerDXGateway))
		assert.Equal(t, sim.RuleQuota, sim.RuleOf(err), "%v", err)
	})
}

// TestVirtualGatewayAssociationPrefixes: an association with a virtual
// private gateway that names no allowed prefixes gets its VPC's CIDRs, as in
// AWS; one that names some keeps them; a gateway the catalogue does not
// know gets none.
func TestVirtualGatewayAssociationPrefixes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newService(t, nil)
	catalogued := sim.DefaultCatalogue().VirtualGatewaysIn("us-east-1")
	known, other := catalogued[0], catalogued[1]
	require.NotEmpty(t, known.VPCCIDRs)
	for _, tc := range []struct {
		name, vgw string
		prefixes  []string
		want      []string
	}{
		{"none named", known.ID, nil, known.VPCCIDRs},
		{"some named", other.ID, []string{"10.99.0.0/16"}, []string{"10.99.0.0/16"}},
		{"not in the catalogue", vgw(7), nil, nil},
	} {
		g, err := s.CreateDirectConnectGateway(ctx, acct, sim.CreateGatewayInput{Name: tc.name})
		require.NoError(t, err)
		a, err := s.CreateDirectConnectGatewayAssociation(ctx, acct, sim.CreateAssociationInput{GatewayID: g.ID, AssociatedID: tc.vgw, Prefixes: tc.prefixes})
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.want, a.AllowedPrefixes, tc.name)
	}
}

// TestGatewayRules: each rule of Direct Connect gateways refuses with its
// name, and the state is unchanged after.
func TestGatewayRules(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	asn := func(n int64) *int64 { return &n }
	for _, tc := range []struct {
		name string
		call func(s *sim.Service, gw string) error
		rule string
	}{
		{"ASN below the private range", func(s *sim.Service, _ string) error {
			_, err := s.CreateDirectConnectGateway(ctx, acct, sim.CreateGatewayInput{Name: "x", AmazonSideASN: asn(64511)})
			return err
		}, sim.RuleInvalidArgument},
		{"ASN between the ranges", func(s *sim.Service, _ string) error {
			_, err := s.CreateDirectConnectGateway(ctx, acct, sim.CreateGatewayInput{Name: "x", AmazonSideASN: asn(4199999999)})
			return err
		}, sim.RuleInvalidArgument},
		{"another account's gateway", func(s *sim.Service, gw string) error {
			_, err := s.DeleteDirectConnectGateway(ctx, "999999999999", gw)
			return err
		}, sim.RuleNotFound},
		{"transit gateway without prefixes", func(s *sim.Service, gw string) error {
			_, err := s.CreateDirectConnectGatewayAssociation(ctx, acct, sim.CreateAssociationInput{GatewayID: gw, AssociatedID: tgw(1)})
			return err
		}, sim.RulePrefixes},
		{"IPv6 prefix longer than /64", func(s *sim.Service, gw string) error {
			_, err := s.CreateDirectConnectGatewayAssociation(ctx, acct, sim.CreateAssociationInput{GatewayID: gw, AssociatedID: vgw(1), Prefixes: []string{"2001:db8::/80"}})
			return err
		}, sim.RulePrefixes},
		{"gatewayId and virtualGatewayId differ", func(s *sim.Service, gw string) error {
			_, err := s.CreateDirectConnectGatewayAssociation(ctx, acct, sim.CreateAssociationInput{GatewayID: gw, AssociatedID: vgw(1), VirtualGatewayID: vgw(2)})
			return err
		}, sim.RuleInvalidArgument},
		{"transit VIF without a gateway", func(s *sim.Service, _ string) error {
			c, err := s.CreateConnection(ctx, acct, sim.CreateConnectionInput{Location: "EqDC2", Bandwidth: "10Gbps", Name: "c"})
			require.NoError(t, err)
			_, err = s.CreateVirtualInterface(ctx, acct, sim.CreateVIFInput{Type: sim.VIFTransit, ConnectionID: c.ID, Name: "t", VLAN: 5, ASN: 65000})
			return err
		}, sim.RuleInvalidArgument},
		{"proposal for an unknown owner's gateway", func(s *sim.Service, gw string) error {
			_, err := s.CreateDirectConnectGatewayAssociationProposal(ctx, "999999999999", sim.CreateProposalInput{GatewayID: gw, GatewayOwner: "999999999999", AssociatedID: vgw(1)})
			return err
		}, sim.RuleNotFound},
		{"accept an unknown proposal", func(s *sim.Service, gw string) error {
			_, err := s.AcceptDirectConnectGatewayAssociationProposal(ctx, acct, sim.AcceptProposalInput{GatewayID: gw, ProposalID: "nope", AssociatedOwner: acct})
			return err
		}, sim.RuleNotFound},
		{"update without an ID", func(s *sim.Service, _ string) error {
			_, err := s.UpdateDirectConnectGatewayAssociation(ctx, acct, "", []string{"10.0.0.0/8"}, nil)
			return err
		}, sim.RuleInvalidArgument},
		{"delete without an ID", func(s *sim.Service, gw string) error {
			_, err := s.DeleteDirectConnectGatewayAssociation(ctx, acct, "", gw, "")
			return err
		}, sim.RuleInvalidArgument},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, _ := newService(t, nil)
			g, err := s.CreateDirectConnectGateway(ctx, acct, sim.CreateGatewayInput{Name: "gw"})
			require.NoError(t, err)
			before, err := s.DirectConnectGateways(acct, "")
			require.NoError(t, err)
			err = tc.call(s, g.ID)
			assert.Equal(t, tc.rule, sim.RuleOf(err), "%v", err)
			after, err := s.DirectConnectGateways(acct, "")
			require.NoError(t, err)
			assert.Equal(t, before, after, "unchanged")
			as, err := s.GatewayAssociations(acct, sim.AssociationFilter{})
			require.NoError(t, err)
			assert.Empty(t, as, "nothing associated")
		})
	}
}
