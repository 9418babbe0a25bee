package api_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	dx "github.com/aws/aws-sdk-go-v2/service/directconnect"
	"github.com/aws/aws-sdk-go-v2/service/directconnect/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/api"
)

var uuid = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

const (
	vgw1 = "vgw-0123456789abcdef0"
	vgw2 = "vgw-0fedcba987654321f"
	tgw1 = "tgw-0123456789abcdef0"
)

func gateway(t *testing.T, c *dx.Client, name string) string {
	t.Helper()
	g, err := c.CreateDirectConnectGateway(ctx, &dx.CreateDirectConnectGatewayInput{DirectConnectGatewayName: aws.String(name)})
	require.NoError(t, err)
	return aws.ToString(g.DirectConnectGateway.DirectConnectGatewayId)
}

func prefixes(cidrs ...string) []types.RouteFilterPrefix {
	out := make([]types.RouteFilterPrefix, len(cidrs))
	for i, c := range cidrs {
		out[i] = types.RouteFilterPrefix{Cidr: aws.String(c)}
	}
	return out
}

func cidrs(ps []types.RouteFilterPrefix) []string {
	var out []string
	for _, p := range ps {
		out = append(out, aws.ToString(p.Cidr))
	}
	return out
}

// describeGateway is the AWS provider's read: exactly one gateway, or none.
func describeGateway(t *testing.T, c *dx.Client, id string) []types.DirectConnectGateway {
	t.Helper()
	out, err := c.DescribeDirectConnectGateways(ctx, &dx.DescribeDirectConnectGatewaysInput{DirectConnectGatewayId: aws.String(id)})
	require.NoError(t, err)
	return out.DirectConnectGateways
}

func describeAssociations(t *testing.T, c *dx.Client, in *dx.DescribeDirectConnectGatewayAssociationsInput) []types.DirectConnectGatewayAssociation {
	t.Helper()
	out, err := c.DescribeDirectConnectGatewayAssociations(ctx, in)
	require.NoError(t, err)
	return out.DirectConnectGatewayAssociations
}

func TestDirectConnectGatewayLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	created, err := e.dx.CreateDirectConnectGateway(ctx, &dx.CreateDirectConnectGatewayInput{DirectConnectGatewayName: aws.String("gw"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("net")}}})
	require.NoError(t, err)
	g := created.DirectConnectGateway
	id := aws.ToString(g.DirectConnectGatewayId)
	assert.Regexp(t, uuid, id, "a gateway's ID is a UUID")
	assert.Equal(t, int64(sim.DefaultAmazonSideASN), aws.ToInt64(g.AmazonSideAsn), "default amazonSideAsn")
	assert.Equal(t, types.DirectConnectGatewayStatePending, g.DirectConnectGatewayState)
	assert.Equal(t, api.DefaultAccount, aws.ToString(g.OwnerAccount))
	assert.Len(t, g.Tags, 1)

	e.clock.Advance(testSchedule.Confirm)
	got := describeGateway(t, e.dx, id)
	require.Len(t, got, 1)
	assert.Equal(t, types.DirectConnectGatewayStateAvailable, got[0].DirectConnectGatewayState, "pending → available")

	up, err := e.dx.UpdateDirectConnectGateway(ctx, &dx.UpdateDirectConnectGatewayInput{DirectConnectGatewayId: aws.String(id), NewDirectConnectGatewayName: aws.String("renamed")})
	require.NoError(t, err)
	assert.Equal(t, "renamed", aws.ToString(up.DirectConnectGateway.DirectConnectGatewayName))

	long, err := e.dx.CreateDirectConnectGateway(ctx, &dx.CreateDirectConnectGatewayInput{DirectConnectGatewayName: aws.String("long"), AmazonSideAsn: aws.Int64(4200000000)})
	require.NoError(t, err)
	assert.Equal(t, int64(4200000000), aws.ToInt64(long.DirectConnectGateway.AmazonSideAsn))
	all, err := e.dx.DescribeDirectConnectGateways(ctx, &dx.DescribeDirectConnectGatewaysInput{MaxResults: aws.Int32(1)})
	require.NoError(t, err)
	assert.Len(t, all.DirectConnectGateways, 1, "paged")
	assert.NotEmpty(t, aws.ToString(all.NextToken), "paged")

	assert.Empty(t, describeGateway(t, e.dx, "5f294f92-bafb-4011-916d-9b0bec2a5c29"), "an unknown gateway is not described (the provider's not-found)")

	del, err := e.dx.DeleteDirectConnectGateway(ctx, &dx.DeleteDirectConnectGatewayInput{DirectConnectGatewayId: aws.String(id)})
	require.NoError(t, err)
	assert.Equal(t, types.DirectConnectGatewayStateDeleting, del.DirectConnectGateway.DirectConnectGatewayState)
	got = describeGateway(t, e.dx, id)
	require.Len(t, got, 1)
	assert.Equal(t, types.DirectConnectGatewayStateDeleting, got[0].DirectConnectGatewayState)
	_, err = e.dx.UpdateDirectConnectGateway(ctx, &dx.UpdateDirectConnectGatewayInput{DirectConnectGatewayId: aws.String(id), NewDirectConnectGatewayName: aws.String("x")})
	assert.Contains(t, apiMessage(err), "does not exist", "renaming a deleting gateway: %v", err)
	e.clock.Advance(sim.DefaultSchedule().Deleting)
	assert.Empty(t, describeGateway(t, e.dx, id), "deleted gateways are not described")
	_, err = e.dx.DeleteDirectConnectGateway(ctx, &dx.DeleteDirectConnectGatewayInput{DirectConnectGatewayId: aws.String(id)})
	assert.Equal(t, "Direct Connect gateway "+id+" does not exist.", apiMessage(err), "deleting it again")
}

func TestDirectConnectGatewayRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	gw := gateway(t, e.dx, "gw")
	before := describeGateway(t, e.dx, gw)
	for _, tc := range []struct {
		name string
		call func() error
		want string
	}{
		{"public ASN", func() error {
			_, err := e.dx.CreateDirectConnectGateway(ctx, &dx.CreateDirectConnectGatewayInput{DirectConnectGatewayName: aws.String("x"), AmazonSideAsn: aws.Int64(65000 - 1000)})
			return err
		}, "amazonSideAsn 64000 is not a private ASN"},
		{"ASN 65535", func() error {
			_, err := e.dx.CreateDirectConnectGateway(ctx, &dx.CreateDirectConnectGatewayInput{DirectConnectGatewayName: aws.String("x"), AmazonSideAsn: aws.Int64(65535)})
			return err
		}, "not a private ASN"},
		{"duplicate tags", func() error {
			_, err := e.dx.CreateDirectConnectGateway(ctx, &dx.CreateDirectConnectGatewayInput{DirectConnectGatewayName: aws.String("x"),
				Tags: []types.Tag{{Key: aws.String("a")}, {Key: aws.String("a")}}})
			return err
		}, "DuplicateTagKeysException: Duplicate tag key a"},
		{"update unknown", func() error {
			_, err := e.dx.UpdateDirectConnectGateway(ctx, &dx.UpdateDirectConnectGatewayInput{DirectConnectGatewayId: aws.String("nope"), NewDirectConnectGatewayName: aws.String("x")})
			return err
		}, "Direct Connect gateway nope does not exist."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			require.Error(t, err)
			// Each a 400 with AWS's code: the client exception, or the
			// tag exception the model names.
			code, msg, ok := strings.Cut(tc.want, ": ")
			if !ok {
				code, msg = "DirectConnectClientException", tc.want
			}
			assert.Equal(t, code, apiCode(err), "%v", err)
			assert.Contains(t, apiMessage(err), msg)
		})
	}
	all, err := e.dx.DescribeDirectConnectGateways(ctx, &dx.DescribeDirectConnectGatewaysInput{})
	require.NoError(t, err)
	assert.Len(t, all.DirectConnectGateways, 1, "nothing created by a refusal")
	assert.Equal(t, before, describeGateway(t, e.dx, gw), "nothing changed by a refusal")
}

func TestDirectConnectGatewayAssociations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	gw, other := gateway(t, e.dx, "gw"), gateway(t, e.dx, "other")
	created, err := e.dx.CreateDirectConnectGatewayAssociation(ctx, &dx.CreateDirectConnectGatewayAssociationInput{
		DirectConnectGatewayId: aws.String(gw), GatewayId: aws.String(vgw1)})
	require.NoError(t, err)
	a := created.DirectConnectGatewayAssociation
	id := aws.ToString(a.AssociationId)
	assert.Regexp(t, uuid, id)
	assert.Equal(t, types.DirectConnectGatewayAssociationStateAssociating, a.AssociationState)
	assert.Equal(t, types.GatewayTypeVirtualPrivateGateway, a.AssociatedGateway.Type)
	assert.Equal(t, vgw1, aws.ToString(a.AssociatedGateway.Id))
	assert.Equal(t, "us-east-1", aws.ToString(a.AssociatedGateway.Region))
	assert.Equal(t, vgw1, aws.ToString(a.VirtualGatewayId), "the older virtualGatewayId")
	vpc, ok := sim.DefaultCatalogue().VirtualGateway(vgw1)
	require.True(t, ok)
	assert.Equal(t, vpc.VPCCIDRs, cidrs(a.AllowedPrefixesToDirectConnectGateway), "none named: the VPC's CIDRs")

	// The AWS provider's three reads each find exactly this association.
	for name, in := range map[string]*dx.DescribeDirectConnectGatewayAssociationsInput{
		"associationId":              {AssociationId: aws.String(id)},
		"gateway, associatedGateway": {DirectConnectGatewayId: aws.String(gw), AssociatedGatewayId: aws.String(vgw1)},
		"gateway, virtualGateway":    {DirectConnectGatewayId: aws.String(gw), VirtualGatewayId: aws.String(vgw1)},
	} {
		got := describeAssociations(t, e.dx, in)
		require.Len(t, got, 1, name)
		assert.Equal(t, id, aws.ToString(got[0].AssociationId), name)
	}
	assert.Empty(t, describeAssociations(t, e.dx, &dx.DescribeDirectConnectGatewayAssociationsInput{AssociationId: aws.String("5f294f92-bafb-4011-916d-9b0bec2a5c29")}), "unknown association")

	e.clock.Advance(testSchedule.Confirm)
	got := describeAssociations(t, e.dx, &dx.DescribeDirectConnectGatewayAssociationsInput{AssociationId: aws.String(id)})
	assert.Equal(t, types.DirectConnectGatewayAssociationStateAssociated, got[0].AssociationState, "associating → associated")

	up, err := e.dx.UpdateDirectConnectGatewayAssociation(ctx, &dx.UpdateDirectConnectGatewayAssociationInput{AssociationId: aws.String(id),
		AddAllowedPrefixesToDirectConnectGateway: prefixes("10.0.0.0/16", "10.1.0.0/16")})
	require.NoError(t, err)
	assert.Equal(t, types.DirectConnectGatewayAssociationStateUpdating, up.DirectConnectGatewayAssociation.AssociationState)
	e.clock.Advance(testSchedule.Confirm)
	up, err = e.dx.UpdateDirectConnectGatewayAssociation(ctx, &dx.UpdateDirectConnectGatewayAssociationInput{AssociationId: aws.String(id),
		RemoveAllowedPrefixesToDirectConnectGateway: prefixes("10.1.0.0/16")})
	require.NoError(t, err)
	assert.Equal(t, append(slices.Clone(vpc.VPCCIDRs), "10.0.0.0/16"), cidrs(up.DirectConnectGatewayAssociation.AllowedPrefixesToDirectConnectGateway))

	// Transit gateways: prefixes required, at most 20, and not on a
	// gateway that serves virtual private gateways.
	var many []string
	for i := range 21 {
		many = append(many, fmt.Sprintf("10.%d.0.0/16", i))
	}
	for _, tc := range []struct {
		name string
		in   *dx.CreateDirectConnectGatewayAssociationInput
		want string
	}{
		{"transit without prefixes", &dx.CreateDirectConnectGatewayAssociationInput{DirectConnectGatewayId: aws.String(other), GatewayId: aws.String(tgw1)},
			"needs allowed prefixes"},
		{"transit with 21 prefixes", &dx.CreateDirectConnectGatewayAssociationInput{DirectConnectGatewayId: aws.String(other), GatewayId: aws.String(tgw1),
			AddAllowedPrefixesToDirectConnectGateway: prefixes(many...)}, "at most 20 allowed prefixes"},
		{"transit beside a virtual private gateway", &dx.CreateDirectConnectGatewayAssociationInput{DirectConnectGatewayId: aws.String(gw), GatewayId: aws.String(tgw1),
			AddAllowedPrefixesToDirectConnectGateway: prefixes("10.0.0.0/8")}, "is associated with " + vgw1},
		{"vgw already on another gateway", &dx.CreateDirectConnectGatewayAssociationInput{DirectConnectGatewayId: aws.String(other), GatewayId: aws.String(vgw1)},
			"already associated with Direct Connect gateway " + gw},
		{"pair again", &dx.CreateDirectConnectGatewayAssociationInput{DirectConnectGatewayId: aws.String(gw), VirtualGatewayId: aws.String(vgw1)},
			"already associated"},
		{"not a gateway ID", &dx.CreateDirectConnectGatewayAssociationInput{DirectConnectGatewayId: aws.String(gw), GatewayId: aws.String("igw-0123abcd")},
			"is not a virtual private gateway"},
		{"bad prefix", &dx.CreateDirectConnectGatewayAssociationInput{DirectConnectGatewayId: aws.String(other), GatewayId: aws.String(vgw2),
			AddAllowedPrefixesToDirectConnectGateway: prefixes("10.0.0.0/33")}, "is not a CIDR"},
		{"unknown gateway", &dx.CreateDirectConnectGatewayAssociationInput{DirectConnectGatewayId: aws.String("nope"), GatewayId: aws.String(vgw2)},
			"Direct Connect gateway nope does not exist."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.dx.CreateDirectConnectGatewayAssociation(ctx, tc.in)
			assert.Equal(t, "DirectConnectClientException", apiCode(err), "%v", err)
			assert.Contains(t, apiMessage(err), tc.want)
		})
	}
	assert.Empty(t, describeAssociations(t, e.dx, &dx.DescribeDirectConnectGatewayAssociationsInput{DirectConnectGatewayId: aws.String(other)}), "refusals associate nothing")
	tr, err := e.dx.CreateDirectConnectGatewayAssociation(ctx, &dx.CreateDirectConnectGatewayAssociationInput{DirectConnectGatewayId: aws.String(other),
		GatewayId: aws.String(tgw1), AddAllowedPrefixesToDirectConnectGateway: prefixes("10.0.0.0/8")})
	require.NoError(t, err)
	assert.Equal(t, types.GatewayTypeTransitGateway, tr.DirectConnectGatewayAssociation.AssociatedGateway.Type)
	assert.Empty(t, aws.ToString(tr.DirectConnectGatewayAssociation.VirtualGatewayId), "virtualGatewayId is for virtual private gateways")

	_, err = e.dx.DeleteDirectConnectGateway(ctx, &dx.DeleteDirectConnectGatewayInput{DirectConnectGatewayId: aws.String(gw)})
	assert.Contains(t, apiMessage(err), "is associated with "+vgw1, "deleting a gateway with an association: %v", err)

	// Delete by gateway and virtual gateway: disassociating, disassociated
	// (the provider's not-found), then not described.
	del, err := e.dx.DeleteDirectConnectGatewayAssociation(ctx, &dx.DeleteDirectConnectGatewayAssociationInput{DirectConnectGatewayId: aws.String(gw), VirtualGatewayId: aws.String(vgw1)})
	require.NoError(t, err)
	assert.Equal(t, types.DirectConnectGatewayAssociationStateDisassociating, del.DirectConnectGatewayAssociation.AssociationState)
	e.clock.Advance(sim.DefaultSchedule().Deleting)
	got = describeAssociations(t, e.dx, &dx.DescribeDirectConnectGatewayAssociationsInput{AssociationId: aws.String(id)})
	require.Len(t, got, 1)
	assert.Equal(t, types.DirectConnectGatewayAssociationStateDisassociated, got[0].AssociationState)
	_, err = e.dx.DeleteDirectConnectGatewayAssociation(ctx, &dx.DeleteDirectConnectGatewayAssociationInput{AssociationId: aws.String(id)})
	assert.Contains(t, apiMessage(err), "does not exist", "deleting it again: %v", err)
	_, err = e.dx.DeleteDirectConnectGateway(ctx, &dx.DeleteDirectConnectGatewayInput{DirectConnectGatewayId: aws.String(gw)})
	require.NoError(t, err, "a gateway whose associations are disassociated can be deleted")
	e.clock.Advance(sim.DefaultSchedule().Retain)
	assert.Empty(t, describeAssociations(t, e.dx, &dx.DescribeDirectConnectGatewayAssociationsInput{AssociationId: aws.String(id)}), "dropped after a while")
}

func TestDirectConnectGatewayProposals(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withSigV4(nil))
	alice, bob := client(e.srv.URL, "AKIDALICE", "alice-secret"), client(e.srv.URL, "AKIDBOB", "bob-secret")
	const aliceAcct, bobAcct = "111111111111", "222222222222"
	gw := gateway(t, alice, "shared")
	_, err := bob.CreateDirectConnectGatewayAssociationProposal(ctx, &dx.CreateDirectConnectGatewayAssociationProposalInput{
		DirectConnectGatewayId: aws.String(gw), DirectConnectGatewayOwnerAccount: aws.String(bobAcct), GatewayId: aws.String(vgw1)})
	assert.Contains(t, apiMessage(err), "does not exist", "a proposal naming the wrong owner: %v", err)

	made, err := bob.CreateDirectConnectGatewayAssociationProposal(ctx, &dx.CreateDirectConnectGatewayAssociationProposalInput{
		DirectConnectGatewayId: aws.String(gw), DirectConnectGatewayOwnerAccount: aws.String(aliceAcct), GatewayId: aws.String(vgw1),
		AddAllowedPrefixesToDirectConnectGateway: prefixes("10.0.0.0/16")})
	require.NoError(t, err)
	p := made.DirectConnectGatewayAssociationProposal
	pid := aws.ToString(p.ProposalId)
	assert.Regexp(t, uuid, pid)
	assert.Equal(t, types.DirectConnectGatewayAssociationProposalStateRequested, p.ProposalState)
	assert.Equal(t, bobAcct, aws.ToString(p.AssociatedGateway.OwnerAccount))
	assert.Equal(t, []string{"10.0.0.0/16"}, cidrs(p.RequestedAllowedPrefixesToDirectConnectGateway))
	_, err = bob.CreateDirectConnectGatewayAssociationProposal(ctx, &dx.CreateDirectConnectGatewayAssociationProposalInput{
		DirectConnectGatewayId: aws.String(gw), DirectConnectGatewayOwnerAccount: aws.String(aliceAcct), GatewayId: aws.String(vgw1)})
	assert.Contains(t, apiMessage(err), "is still requested", "a second proposal for the same pair: %v", err)

	for who, c := range map[string]*dx.Client{"proposer": bob, "gateway owner": alice} {
		ps, err := c.DescribeDirectConnectGatewayAssociationProposals(ctx, &dx.DescribeDirectConnectGatewayAssociationProposalsInput{ProposalId: aws.String(pid)})
		require.NoError(t, err, who)
		assert.Len(t, ps.DirectConnectGatewayAssociationProposals, 1, who)
	}
	_, err = bob.AcceptDirectConnectGatewayAssociationProposal(ctx, &dx.AcceptDirectConnectGatewayAssociationProposalInput{
		DirectConnectGatewayId: aws.String(gw), ProposalId: aws.String(pid), AssociatedGatewayOwnerAccount: aws.String(bobAcct)})
	assert.Contains(t, apiMessage(err), "does not exist", "only the gateway's owner accepts: %v", err)
	_, err = alice.AcceptDirectConnectGatewayAssociationProposal(ctx, &dx.AcceptDirectConnectGatewayAssociationProposalInput{
		DirectConnectGatewayId: aws.String(gw), ProposalId: aws.String(pid), AssociatedGatewayOwnerAccount: aws.String(aliceAcct)})
	assert.Contains(t, apiMessage(err), "was made by account "+bobAcct, "the wrong associated owner: %v", err)
	_, err = alice.DeleteDirectConnectGatewayAssociationProposal(ctx, &dx.DeleteDirectConnectGatewayAssociationProposalInput{ProposalId: aws.String(pid)})
	assert.Contains(t, apiMessage(err), "does not exist", "only the proposer deletes a proposal: %v", err)

	acc, err := alice.AcceptDirectConnectGatewayAssociationProposal(ctx, &dx.AcceptDirectConnectGatewayAssociationProposalInput{
		DirectConnectGatewayId: aws.String(gw), ProposalId: aws.String(pid), AssociatedGatewayOwnerAccount: aws.String(bobAcct),
		OverrideAllowedPrefixesToDirectConnectGateway: prefixes("10.0.0.0/24")})
	require.NoError(t, err)
	a := acc.DirectConnectGatewayAssociation
	assert.Equal(t, types.DirectConnectGatewayAssociationStateAssociating, a.AssociationState)
	assert.Equal(t, aliceAcct, aws.ToString(a.DirectConnectGatewayOwnerAccount))
	assert.Equal(t, bobAcct, aws.ToString(a.AssociatedGateway.OwnerAccount))
	assert.Equal(t, []string{"10.0.0.0/24"}, cidrs(a.AllowedPrefixesToDirectConnectGateway), "the override")
	for who, c := range map[string]*dx.Client{"associated owner": bob, "gateway owner": alice} {
		got := describeAssociations(t, c, &dx.DescribeDirectConnectGatewayAssociationsInput{AssociatedGatewayId: aws.String(vgw1)})
		assert.Len(t, got, 1, who)
	}
	ps, err := bob.DescribeDirectConnectGatewayAssociationProposals(ctx, &dx.DescribeDirectConnectGatewayAssociationProposalsInput{ProposalId: aws.String(pid)})
	require.NoError(t, err)
	assert.Equal(t, types.DirectConnectGatewayAssociationProposalStateAccepted, ps.DirectConnectGatewayAssociationProposals[0].ProposalState)
	_, err = bob.DeleteDirectConnectGatewayAssociationProposal(ctx, &dx.DeleteDirectConnectGatewayAssociationProposalInput{ProposalId: aws.String(pid)})
	assert.Contains(t, apiMessage(err), "is in state accepted", "deleting an accepted proposal: %v", err)
	_, err = bob.UpdateDirectConnectGatewayAssociation(ctx, &dx.UpdateDirectConnectGatewayAssociationInput{AssociationId: a.AssociationId,
		AddAllowedPrefixesToDirectConnectGateway: prefixes("10.9.0.0/16")})
	assert.Contains(t, apiMessage(err), "propose the change", "the associated owner updating: %v", err)

	// A proposal to change the prefixes of the association, withdrawn.
	e.clock.Advance(testSchedule.Confirm)
	change, err := bob.CreateDirectConnectGatewayAssociationProposal(ctx, &dx.CreateDirectConnectGatewayAssociationProposalInput{
		DirectConnectGatewayId: aws.String(gw), DirectConnectGatewayOwnerAccount: aws.String(aliceAcct), GatewayId: aws.String(vgw1),
		AddAllowedPrefixesToDirectConnectGateway: prefixes("10.9.0.0/16")})
	require.NoError(t, err)
	cp := change.DirectConnectGatewayAssociationProposal
	assert.Equal(t, []string{"10.0.0.0/24"}, cidrs(cp.ExistingAllowedPrefixesToDirectConnectGateway))
	assert.Equal(t, []string{"10.0.0.0/24", "10.9.0.0/16"}, cidrs(cp.RequestedAllowedPrefixesToDirectConnectGateway))
	gone, err := bob.DeleteDirectConnectGatewayAssociationProposal(ctx, &dx.DeleteDirectConnectGatewayAssociationProposalInput{ProposalId: cp.ProposalId})
	require.NoError(t, err)
	assert.Equal(t, types.DirectConnectGatewayAssociationProposalStateDeleted, gone.DirectConnectGatewayAssociationProposal.ProposalState)
	e.clock.Advance(sim.DefaultSchedule().Retain)
	ps, err = alice.DescribeDirectConnectGatewayAssociationProposals(ctx, &dx.DescribeDirectConnectGatewayAssociationProposalsInput{DirectConnectGatewayId: aws.String(gw)})
	require.NoError(t, err)
	assert.Empty(t, ps.DirectConnectGatewayAssociationProposals, "settled proposals drop out after a while")
}

func TestDirectConnectGatewayAttachments(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	gw := gateway(t, e.dx, "gw")
	conn := e.conn("10Gbps", "")
	e.clock.Advance(testSchedule.Requested + testSchedule.Pending)
	private := func(vlan int32, gateway string) (*dx.CreatePrivateVirtualInterfaceOutput, error) {
		return e.dx.CreatePrivateVirtualInterface(ctx, &dx.CreatePrivateVirtualInterfaceInput{ConnectionId: aws.String(conn),
			NewPrivateVirtualInterface: &types.NewPrivateVirtualInterface{VirtualInterfaceName: aws.String("p"), Vlan: vlan, Asn: 65000,
				DirectConnectGatewayId: aws.String(gateway)}})
	}
	_, err := private(100, "5f294f92-bafb-4011-916d-9b0bec2a5c29")
	assert.Equal(t, "Direct Connect gateway 5f294f92-bafb-4011-916d-9b0bec2a5c29 does not exist.", apiMessage(err), "a VIF on no gateway")
	v, err := private(101, gw)
	require.NoError(t, err)
	vif := aws.ToString(v.VirtualInterfaceId)
	attachments := func(in *dx.DescribeDirectConnectGatewayAttachmentsInput) []types.DirectConnectGatewayAttachment {
		t.Helper()
		out, err := e.dx.DescribeDirectConnectGatewayAttachments(ctx, in)
		require.NoError(t, err)
		return out.DirectConnectGatewayAttachments
	}
	got := attachments(&dx.DescribeDirectConnectGatewayAttachmentsInput{DirectConnectGatewayId: aws.String(gw)})
	require.Len(t, got, 1)
	assert.Equal(t, vif, aws.ToString(got[0].VirtualInterfaceId))
	assert.Equal(t, types.DirectConnectGatewayAttachmentStateAttaching, got[0].AttachmentState)
	assert.Equal(t, types.DirectConnectGatewayAttachmentTypePrivateVirtualInterface, got[0].AttachmentType)
	assert.Equal(t, "us-east-1", aws.ToString(got[0].VirtualInterfaceRegion))
	e.clock.Advance(testSchedule.Confirm)
	got = attachments(&dx.DescribeDirectConnectGatewayAttachmentsInput{VirtualInterfaceId: aws.String(vif)})
	require.Len(t, got, 1)
	assert.Equal(t, types.DirectConnectGatewayAttachmentStateAttached, got[0].AttachmentState, "attaching → attached, with the VIF")

	_, err = e.dx.DescribeDirectConnectGatewayAttachments(ctx, &dx.DescribeDirectConnectGatewayAttachmentsInput{})
	assert.Contains(t, apiMessage(err), "Specify a directConnectGatewayId", "neither named: %v", err)
	_, err = e.dx.CreateTransitVirtualInterface(ctx, &dx.CreateTransitVirtualInterfaceInput{ConnectionId: aws.String(conn),
		NewTransitVirtualInterface: &types.NewTransitVirtualInterface{VirtualInterfaceName: aws.String("t"), Vlan: 102, Asn: 65000, DirectConnectGatewayId: aws.String(gw)}})
	assert.Contains(t, apiMessage(err), "has private virtual interface "+vif+" attached", "a transit VIF beside a private one: %v", err)
	_, err = e.dx.CreateDirectConnectGatewayAssociation(ctx, &dx.CreateDirectConnectGatewayAssociationInput{DirectConnectGatewayId: aws.String(gw),
		GatewayId: aws.String(tgw1), AddAllowedPrefixesToDirectConnectGateway: prefixes("10.0.0.0/8")})
	assert.Contains(t, apiMessage(err), "has private virtual interface", "a transit gateway on a gateway with a private VIF: %v", err)
	_, err = e.dx.DeleteDirectConnectGateway(ctx, &dx.DeleteDirectConnectGatewayInput{DirectConnectGatewayId: aws.String(gw)})
	assert.Contains(t, apiMessage(err), "has virtual interfaces attached ("+vif+")", "deleting a gateway with a VIF: %v", err)

	_, err = e.dx.DeleteVirtualInterface(ctx, &dx.DeleteVirtualInterfaceInput{VirtualInterfaceId: aws.String(vif)})
	require.NoError(t, err)
	got = attachments(&dx.DescribeDirectConnectGatewayAttachmentsInput{DirectConnectGatewayId: aws.String(gw)})
	require.Len(t, got, 1)
	assert.Equal(t, types.DirectConnectGatewayAttachmentStateDetaching, got[0].AttachmentState)
	e.clock.Advance(sim.DefaultSchedule().Deleting)
	got = attachments(&dx.DescribeDirectConnectGatewayAttachmentsInput{DirectConnectGatewayId: aws.String(gw)})
	require.Len(t, got, 1)
	assert.Equal(t, types.DirectConnectGatewayAttachmentStateDetached, got[0].AttachmentState)
	_, err = e.dx.DeleteDirectConnectGateway(ctx, &dx.DeleteDirectConnectGatewayInput{DirectConnectGatewayId: aws.String(gw)})
	require.NoError(t, err, "its VIF deleted, the gateway can be")
}
