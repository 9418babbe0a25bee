package api_test

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	dx "github.com/aws/aws-sdk-go-v2/service/directconnect"
	"github.com/aws/aws-sdk-go-v2/service/directconnect/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim/api"
	"github.com/dxsim/dxsim/sim/simtest"
)

// TestGatewaysAcrossRestart: Direct Connect gateways, associations and
// proposals are read back from disk as they were, and keep moving on the
// schedule.
func TestGatewaysAcrossRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	clock := simtest.NewClock()
	first, stop := openDurableEnv(t, dir, clock)

	gw, err := first.dx.CreateDirectConnectGateway(ctx, &dx.CreateDirectConnectGatewayInput{DirectConnectGatewayName: aws.String("gw")})
	require.NoError(t, err)
	id := gw.DirectConnectGateway.DirectConnectGatewayId
	_, err = first.dx.CreateDirectConnectGatewayAssociation(ctx, &dx.CreateDirectConnectGatewayAssociationInput{DirectConnectGatewayId: id,
		GatewayId: aws.String("vgw-0123456789abcdef0"), AddAllowedPrefixesToDirectConnectGateway: []types.RouteFilterPrefix{{Cidr: aws.String("10.0.0.0/16")}}})
	require.NoError(t, err)
	_, err = first.dx.CreateDirectConnectGatewayAssociationProposal(ctx, &dx.CreateDirectConnectGatewayAssociationProposalInput{DirectConnectGatewayId: id,
		DirectConnectGatewayOwnerAccount: aws.String(api.DefaultAccount), GatewayId: aws.String("vgw-0fedcba987654321f")})
	require.NoError(t, err)
	render := func(e *env) string {
		gs, err := e.dx.DescribeDirectConnectGateways(ctx, &dx.DescribeDirectConnectGatewaysInput{})
		require.NoError(t, err)
		as, err := e.dx.DescribeDirectConnectGatewayAssociations(ctx, &dx.DescribeDirectConnectGatewayAssociationsInput{DirectConnectGatewayId: id})
		require.NoError(t, err)
		ps, err := e.dx.DescribeDirectConnectGatewayAssociationProposals(ctx, &dx.DescribeDirectConnectGatewayAssociationProposalsInput{DirectConnectGatewayId: id})
		require.NoError(t, err)
		require.Len(t, gs.DirectConnectGateways, 1)
		require.Len(t, as.DirectConnectGatewayAssociations, 1)
		require.Len(t, ps.DirectConnectGatewayAssociationProposals, 1)
		b, err := json.Marshal([]any{gs.DirectConnectGateways, as.DirectConnectGatewayAssociations, ps.DirectConnectGatewayAssociationProposals})
		require.NoError(t, err)
		return string(b)
	}
	before := render(first)
	stop()
	second := newDurableEnv(t, dir, clock)
	require.Equal(t, before, render(second), "state changed across restart")

	second.clock.Advance(testSchedule.Confirm)
	gs, err := second.dx.DescribeDirectConnectGateways(ctx, &dx.DescribeDirectConnectGatewaysInput{DirectConnectGatewayId: id})
	require.NoError(t, err)
	assert.Equal(t, types.DirectConnectGatewayStateAvailable, gs.DirectConnectGateways[0].DirectConnectGatewayState, "moves on after the restart")
}
