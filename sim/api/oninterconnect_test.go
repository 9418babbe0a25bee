package api_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	dx "github.com/aws/aws-sdk-go-v2/service/directconnect"
	"github.com/aws/aws-sdk-go-v2/service/directconnect/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim/api"
)

func TestConnectionsOnInterconnect(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ic, err := e.dx.CreateInterconnect(ctx, &dx.CreateInterconnectInput{Location: aws.String("EqDC2"), Bandwidth: aws.String("10Gbps"), InterconnectName: aws.String("partner")})
	require.NoError(t, err)
	icID := aws.ToString(ic.InterconnectId)
	h, err := e.dx.AllocateConnectionOnInterconnect(ctx, &dx.AllocateConnectionOnInterconnectInput{
		InterconnectId: aws.String(icID), OwnerAccount: aws.String(api.DefaultAccount), Bandwidth: aws.String("500Mbps"),
		ConnectionName: aws.String("customer"), Vlan: 300,
	})
	require.NoError(t, err)
	hID := aws.ToString(h.ConnectionId)
	assert.Equal(t, types.ConnectionStateOrdering, h.ConnectionState)
	assert.Equal(t, int32(300), h.Vlan)
	assert.Equal(t, "500Mbps", aws.ToString(h.Bandwidth))
	assert.Equal(t, "customer", aws.ToString(h.ConnectionName))
	assert.Equal(t, api.DefaultAccount, aws.ToString(h.OwnerAccount))

	_, err = e.dx.ConfirmConnection(ctx, &dx.ConfirmConnectionInput{ConnectionId: aws.String(hID)})
	require.NoError(t, err)
	e.clock.Advance(time.Second)
	on, err := e.dx.DescribeConnectionsOnInterconnect(ctx, &dx.DescribeConnectionsOnInterconnectInput{InterconnectId: aws.String(icID)})
	require.NoError(t, err)
	require.Len(t, on.Connections, 1)
	assert.Equal(t, hID, aws.ToString(on.Connections[0].ConnectionId))
	assert.Equal(t, types.ConnectionStateAvailable, on.Connections[0].ConnectionState)
	hosted, err := e.dx.DescribeHostedConnections(ctx, &dx.DescribeHostedConnectionsInput{ConnectionId: aws.String(icID)})
	require.NoError(t, err)
	assert.Equal(t, hosted.Connections, on.Connections, "what DescribeHostedConnections describes")
}

// TestOnInterconnectRefusals: 400s with AllocateHostedConnection's and
// DescribeHostedConnections' messages; a LAG's ID is not an interconnect's.
func TestOnInterconnectRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ic, err := e.dx.CreateInterconnect(ctx, &dx.CreateInterconnectInput{Location: aws.String("EqDC2"), Bandwidth: aws.String("10Gbps"), InterconnectName: aws.String("partner")})
	require.NoError(t, err)
	icID := aws.ToString(ic.InterconnectId)
	lagID := aws.ToString(e.lag(0, "10Gbps").LagId)
	_, err = e.dx.AllocateConnectionOnInterconnect(ctx, &dx.AllocateConnectionOnInterconnectInput{
		InterconnectId: aws.String(icID), OwnerAccount: aws.String(api.DefaultAccount), Bandwidth: aws.String("500Mbps"),
		ConnectionName: aws.String("first"), Vlan: 300,
	})
	require.NoError(t, err)
	before := describeAll(t, e)
	allocate := func(id, bw string, vlan int32) func() error {
		return func() error {
			_, err := e.dx.AllocateConnectionOnInterconnect(ctx, &dx.AllocateConnectionOnInterconnectInput{
				InterconnectId: aws.String(id), OwnerAccount: aws.String(api.DefaultAccount), Bandwidth: aws.String(bw),
				ConnectionName: aws.String("c"), Vlan: vlan,
			})
			return err
		}
	}
	describe := func(id string) func() error {
		return func() error {
			_, err := e.dx.DescribeConnectionsOnInterconnect(ctx, &dx.DescribeConnectionsOnInterconnectInput{InterconnectId: aws.String(id)})
			return err
		}
	}
	for _, tc := range []struct {
		name, want string
		call       func() error
	}{
		{"VLAN in use", "VLAN 300 is already in use on " + icID, allocate(icID, "500Mbps", 300)},
		{"VLAN out of range", "VLAN 4095 is not between 1 and 4094.", allocate(icID, "500Mbps", 4095)},
		{"dedicated bandwidth", "Bandwidth 100Gbps is not a hosted connection bandwidth", allocate(icID, "100Gbps", 301)},
		{"allocate on a LAG", "Could not find Interconnect with ID " + lagID, allocate(lagID, "500Mbps", 301)},
		{"allocate on an unknown interconnect", "Could not find Interconnect with ID dxcon-zzzzzzzz", allocate("dxcon-zzzzzzzz", "500Mbps", 301)},
		{"describe a LAG", "Could not find Interconnect with ID " + lagID, describe(lagID)},
		{"describe an unknown interconnect", "Could not find Interconnect with ID dxcon-zzzzzzzz", describe("dxcon-zzzzzzzz")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			require.Error(t, err)
			assert.Equal(t, "DirectConnectClientException", apiCode(err), "%v", err)
			var re interface{ HTTPStatusCode() int }
			if assert.True(t, asAny(err, &re), "%v", err) {
				assert.Equal(t, 400, re.HTTPStatusCode())
			}
			assert.Contains(t, apiMessage(err), tc.want)
		})
	}
	assert.Equal(t, before, describeAll(t, e), "refusals change nothing")
	on, err := e.dx.DescribeConnectionsOnInterconnect(ctx, &dx.DescribeConnectionsOnInterconnectInput{InterconnectId: aws.String(icID)})
	require.NoError(t, err)
	assert.Len(t, on.Connections, 1, "refusals allocated nothing")
}
