package api_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	dx "github.com/aws/aws-sdk-go-v2/service/directconnect"
	"github.com/aws/aws-sdk-go-v2/service/directconnect/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
)

// TestLifecycle drives a LAG's whole life through the Go SDK: locations,
// LAG, connections, associate (with a VIF moving to the LAG), disassociate
// and delete.
func TestLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.lifecycle(nil)
}

// lifecycle runs the scenario; restart, when set, is called midway and
// returns the environment to continue with.
func (e *env) lifecycle(restart func() *env) {
	t := e.t
	locs, err := e.dx.DescribeLocations(ctx, &dx.DescribeLocationsInput{})
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(locs.Locations), 2, "DescribeLocations: %+v", locs.Locations)
	require.Equal(t, "us-east-1", aws.ToString(locs.Locations[0].Region), "DescribeLocations: %+v", locs.Locations)
	loc := aws.ToString(locs.Locations[0].LocationCode)
	require.Contains(t, locs.Locations[0].AvailablePortSpeeds, "10Gbps", "location %s", loc)

	lag, err := e.dx.CreateLag(ctx, &dx.CreateLagInput{
		Location: aws.String(loc), ConnectionsBandwidth: aws.String("10Gbps"), LagName: aws.String("prod"),
		NumberOfConnections: 2, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("net")}},
	})
	require.NoError(t, err)
	lagID := aws.ToString(lag.LagId)
	require.True(t, sim.ValidID(sim.PrefixLAG, lagID), "CreateLag: id %s", lagID)
	require.Len(t, lag.Connections, 2, "CreateLag connections")
	require.Equal(t, "pending", string(lag.LagState), "CreateLag state")
	for i, c := range lag.Connections {
		assert.True(t, sim.ValidID(sim.PrefixConnection, aws.ToString(c.ConnectionId)), "member %d: %+v", i, c)
		assert.Equal(t, lagID, aws.ToString(c.LagId), "member %d: %+v", i, c)
		assert.True(t, strings.HasPrefix(aws.ToString(c.ConnectionName), "Requested Connection "), "member %d: %+v", i, c)
		assert.Equal(t, aws.ToString(lag.AwsDevice), aws.ToString(c.AwsDevice), "member %d: %+v", i, c)
	}

	// A standalone connection on the LAG's device, with a VIF on it.
	var conn *dx.CreateConnectionOutput
	for conn == nil || aws.ToString(conn.AwsDevice) != aws.ToString(lag.AwsDevice) {
		conn, err = e.dx.CreateConnection(ctx, &dx.CreateConnectionInput{
			Location: aws.String(loc), Bandwidth: aws.String("10Gbps"), ConnectionName: aws.String("standalone"),
		})
		require.NoError(t, err)
	}
	connID := aws.ToString(conn.ConnectionId)
	assert.Equal(t, "requested", string(conn.ConnectionState), "CreateConnection: state")
	assert.Equal(t, "123456789012", aws.ToString(conn.OwnerAccount), "CreateConnection: owner")
	e.clock.Advance(2 * time.Second)
	got, err := e.dx.DescribeConnections(ctx, &dx.DescribeConnectionsInput{ConnectionId: aws.String(connID)})
	require.NoError(t, err)
	assert.Equal(t, types.ConnectionStateAvailable, got.Connections[0].ConnectionState, "after provisioning: state")
	assert.NotNil(t, got.Connections[0].LoaIssueTime, "after provisioning: loaIssueTime")
	vif, err := e.dx.CreatePrivateVirtualInterface(ctx, &dx.CreatePrivateVirtualInterfaceInput{
		ConnectionId: aws.String(connID),
		NewPrivateVirtualInterface: &types.NewPrivateVirtualInterface{
			VirtualInterfaceName: aws.String("vif"), Vlan: 101, Asn: 65000, VirtualGatewayId: aws.String("vgw-0123"),
			AmazonAddress: aws.String("169.254.10.1/30"), CustomerAddress: aws.String("169.254.10.2/30"),
		},
	})
	require.NoError(t, err)
	vifID := aws.ToString(vif.VirtualInterfaceId)

	if restart != nil {
		e = restart()
	}

	assoc, err := e.dx.AssociateConnectionWithLag(ctx, &dx.AssociateConnectionWithLagInput{ConnectionId: aws.String(connID), LagId: aws.String(lagID)})
	require.NoError(t, err)
	assert.Equal(t, types.ConnectionStateRequested, assoc.ConnectionState, "associate response: state")
	assert.Equal(t, lagID, aws.ToString(assoc.LagId), "associate response: lag")
	_, err = e.dx.DisassociateConnectionFromLag(ctx, &dx.DisassociateConnectionFromLagInput{ConnectionId: aws.String(connID), LagId: aws.String(lagID)})
	assert.Equal(t, "DirectConnectClientException", apiCode(err), "disassociate mid-association: %v", err)
	assert.Equal(t, "Connection "+connID+" is in a transitioning state.", apiMessage(err), "disassociate mid-association: %v", err)
	vifs, err := e.dx.DescribeVirtualInterfaces(ctx, &dx.DescribeVirtualInterfacesInput{VirtualInterfaceId: aws.String(vifID)})
	require.NoError(t, err)
	assert.Equal(t, lagID, aws.ToString(vifs.VirtualInterfaces[0].ConnectionId), "VIF's connection after associate")
	e.clock.Advance(5 * time.Second)
	lags, err := e.dx.DescribeLags(ctx, &dx.DescribeLagsInput{LagId: aws.String(lagID)})
	require.NoError(t, err)
	l := lags.Lags[0]
	assert.Len(t, l.Connections, 3, "LAG after associate: connections")
	assert.Equal(t, types.LagStateAvailable, l.LagState, "LAG after associate: state")
	assert.Equal(t, int32(3), l.NumberOfConnections, "LAG after associate: numberOfConnections")
	_, err = e.dx.UpdateLag(ctx, &dx.UpdateLagInput{LagId: aws.String(lagID), MinimumLinks: 2})
	require.NoError(t, err)

	dis, err := e.dx.DisassociateConnectionFromLag(ctx, &dx.DisassociateConnectionFromLagInput{ConnectionId: aws.String(connID), LagId: aws.String(lagID)})
	require.NoError(t, err)
	assert.Equal(t, types.ConnectionStateRequested, dis.ConnectionState, "disassociate response: state")
	assert.Empty(t, aws.ToString(dis.LagId), "disassociate response: lag")
	e.clock.Advance(5 * time.Second)
	// Two members remain and minimumLinks is 2: another disassociate is refused.
	member := aws.ToString(lag.Connections[0].ConnectionId)
	_, err = e.dx.DisassociateConnectionFromLag(ctx, &dx.DisassociateConnectionFromLagInput{ConnectionId: aws.String(member), LagId: aws.String(lagID)})
	assert.Equal(t, "DirectConnectClientException", apiCode(err), "disassociate below minimumLinks: %v", err)
	assert.Contains(t, apiMessage(err), "minimumLinks", "disassociate below minimumLinks: %v", err)
	// The VIF stayed with the LAG, so the LAG cannot be deleted yet.
	_, err = e.dx.DeleteLag(ctx, &dx.DeleteLagInput{LagId: aws.String(lagID)})
	assert.Equal(t, "DirectConnectClientException", apiCode(err), "DeleteLag with a VIF: %v", err)
	assert.Contains(t, apiMessage(err), vifID, "DeleteLag with a VIF: %v", err)
	_, err = e.dx.DeleteVirtualInterface(ctx, &dx.DeleteVirtualInterfaceInput{VirtualInterfaceId: aws.String(vifID)})
	require.NoError(t, err)
	del, err := e.dx.DeleteLag(ctx, &dx.DeleteLagInput{LagId: aws.String(lagID)})
	require.NoError(t, err)
	assert.Equal(t, types.LagStateDeleted, del.LagState, "DeleteLag state")
	// As AWS: a deleted LAG is still described, as deleted, for a while.
	gone, err := e.dx.DescribeLags(ctx, &dx.DescribeLagsInput{LagId: aws.String(lagID)})
	require.NoError(t, err, "describe deleted LAG")
	require.Len(t, gone.Lags, 1)
	assert.Equal(t, types.LagStateDeleted, gone.Lags[0].LagState)
	assert.Empty(t, gone.Lags[0].Connections, "a deleted LAG has no members")
	all, err := e.dx.DescribeConnections(ctx, &dx.DescribeConnectionsInput{})
	require.NoError(t, err)
	for _, c := range all.Connections {
		assert.Empty(t, aws.ToString(c.LagId), "connection %s still in a LAG", aws.ToString(c.ConnectionId))
		_, err := e.dx.DeleteConnection(ctx, &dx.DeleteConnectionInput{ConnectionId: c.ConnectionId})
		assert.NoError(t, err, "delete %s", aws.ToString(c.ConnectionId))
	}
	all, err = e.dx.DescribeConnections(ctx, &dx.DescribeConnectionsInput{})
	require.NoError(t, err)
	require.NotEmpty(t, all.Connections, "deleted connections are still described")
	for _, c := range all.Connections {
		assert.Equal(t, types.ConnectionStateDeleted, c.ConnectionState, "%s", aws.ToString(c.ConnectionId))
	}
	// Then they drop out.
	e.clock.Advance(sim.DefaultSchedule().Retain)
	all, err = e.dx.DescribeConnections(ctx, &dx.DescribeConnectionsInput{})
	require.NoError(t, err)
	assert.Empty(t, all.Connections, "connections left")
	_, err = e.dx.DescribeLags(ctx, &dx.DescribeLagsInput{LagId: aws.String(lagID)})
	assert.Equal(t, "Could not find Lag with ID "+lagID, apiMessage(err), "describe a LAG deleted long ago: %v", err)
}
