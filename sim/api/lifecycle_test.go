package api_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	dx "github.com/aws/aws-sdk-go-v2/service/directconnect"
	"github.com/aws/aws-sdk-go-v2/service/directconnect/types"

	"github.com/dxsim/dxsim/sim"
)

// TestLifecycle drives a LAG's whole life through the Go SDK: locations,
// LAG, connections, associate (with a VIF moving to the LAG), disassociate
// and delete.
func TestLifecycle(t *testing.T) {
	e := newEnv(t)
	e.lifecycle(nil)
}

// lifecycle runs the scenario; restart, when set, is called midway and
// returns the environment to continue with.
func (e *env) lifecycle(restart func() *env) {
	t := e.t
	locs, err := e.dx.DescribeLocations(ctx, &dx.DescribeLocationsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(locs.Locations) < 2 || aws.ToString(locs.Locations[0].Region) != "us-east-1" {
		t.Fatalf("DescribeLocations: %+v", locs.Locations)
	}
	loc := aws.ToString(locs.Locations[0].LocationCode)
	if !slices.Contains(locs.Locations[0].AvailablePortSpeeds, "10Gbps") {
		t.Fatalf("location %s lacks 10Gbps", loc)
	}

	lag, err := e.dx.CreateLag(ctx, &dx.CreateLagInput{
		Location: aws.String(loc), ConnectionsBandwidth: aws.String("10Gbps"), LagName: aws.String("prod"),
		NumberOfConnections: 2, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("net")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	lagID := aws.ToString(lag.LagId)
	if !sim.ValidID(sim.PrefixLAG, lagID) || len(lag.Connections) != 2 || string(lag.LagState) != "pending" {
		t.Fatalf("CreateLag: id %s, %d connections, state %s", lagID, len(lag.Connections), string(lag.LagState))
	}
	for i, c := range lag.Connections {
		if !sim.ValidID(sim.PrefixConnection, aws.ToString(c.ConnectionId)) || aws.ToString(c.LagId) != lagID ||
			!strings.HasPrefix(aws.ToString(c.ConnectionName), "Requested Connection ") || aws.ToString(c.AwsDevice) != aws.ToString(lag.AwsDevice) {
			t.Errorf("member %d: %+v", i, c)
		}
	}

	// A standalone connection on the LAG's device, with a VIF on it.
	var conn *dx.CreateConnectionOutput
	for conn == nil || aws.ToString(conn.AwsDevice) != aws.ToString(lag.AwsDevice) {
		if conn, err = e.dx.CreateConnection(ctx, &dx.CreateConnectionInput{
			Location: aws.String(loc), Bandwidth: aws.String("10Gbps"), ConnectionName: aws.String("standalone"),
		}); err != nil {
			t.Fatal(err)
		}
	}
	connID := aws.ToString(conn.ConnectionId)
	if string(conn.ConnectionState) != "requested" || aws.ToString(conn.OwnerAccount) != "123456789012" {
		t.Errorf("CreateConnection: state %s owner %s", string(conn.ConnectionState), aws.ToString(conn.OwnerAccount))
	}
	e.clock.Advance(2 * time.Second)
	got, err := e.dx.DescribeConnections(ctx, &dx.DescribeConnectionsInput{ConnectionId: aws.String(connID)})
	if err != nil {
		t.Fatal(err)
	}
	if s := got.Connections[0].ConnectionState; s != types.ConnectionStateAvailable || got.Connections[0].LoaIssueTime == nil {
		t.Errorf("after provisioning: state %s, loaIssueTime %v", s, got.Connections[0].LoaIssueTime)
	}
	vif, err := e.dx.CreatePrivateVirtualInterface(ctx, &dx.CreatePrivateVirtualInterfaceInput{
		ConnectionId: aws.String(connID),
		NewPrivateVirtualInterface: &types.NewPrivateVirtualInterface{
			VirtualInterfaceName: aws.String("vif"), Vlan: 101, Asn: 65000, VirtualGatewayId: aws.String("vgw-0123"),
			AmazonAddress: aws.String("169.254.10.1/30"), CustomerAddress: aws.String("169.254.10.2/30"),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	vifID := aws.ToString(vif.VirtualInterfaceId)

	if restart != nil {
		e = restart()
	}

	assoc, err := e.dx.AssociateConnectionWithLag(ctx, &dx.AssociateConnectionWithLagInput{ConnectionId: aws.String(connID), LagId: aws.String(lagID)})
	if err != nil {
		t.Fatal(err)
	}
	if assoc.ConnectionState != types.ConnectionStateRequested || aws.ToString(assoc.LagId) != lagID {
		t.Errorf("associate response: state %s lag %s", assoc.ConnectionState, aws.ToString(assoc.LagId))
	}
	_, err = e.dx.DisassociateConnectionFromLag(ctx, &dx.DisassociateConnectionFromLagInput{ConnectionId: aws.String(connID), LagId: aws.String(lagID)})
	if apiCode(err) != "DirectConnectClientException" || apiMessage(err) != "Connection "+connID+" is in a transitioning state." {
		t.Errorf("disassociate mid-association: %v", err)
	}
	vifs, err := e.dx.DescribeVirtualInterfaces(ctx, &dx.DescribeVirtualInterfacesInput{VirtualInterfaceId: aws.String(vifID)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(vifs.VirtualInterfaces[0].ConnectionId) != lagID {
		t.Errorf("VIF on %s after associate, want %s", aws.ToString(vifs.VirtualInterfaces[0].ConnectionId), lagID)
	}
	e.clock.Advance(5 * time.Second)
	lags, err := e.dx.DescribeLags(ctx, &dx.DescribeLagsInput{LagId: aws.String(lagID)})
	if err != nil {
		t.Fatal(err)
	}
	if l := lags.Lags[0]; len(l.Connections) != 3 || l.LagState != types.LagStateAvailable || l.NumberOfConnections != 3 {
		t.Errorf("LAG after associate: %d connections, state %s", len(l.Connections), l.LagState)
	}
	if _, err := e.dx.UpdateLag(ctx, &dx.UpdateLagInput{LagId: aws.String(lagID), MinimumLinks: 2}); err != nil {
		t.Fatal(err)
	}

	dis, err := e.dx.DisassociateConnectionFromLag(ctx, &dx.DisassociateConnectionFromLagInput{ConnectionId: aws.String(connID), LagId: aws.String(lagID)})
	if err != nil {
		t.Fatal(err)
	}
	if dis.ConnectionState != types.ConnectionStateRequested || aws.ToString(dis.LagId) != "" {
		t.Errorf("disassociate response: state %s lag %q", dis.ConnectionState, aws.ToString(dis.LagId))
	}
	e.clock.Advance(5 * time.Second)
	// Two members remain and minimumLinks is 2: another disassociate is refused.
	member := aws.ToString(lag.Connections[0].ConnectionId)
	_, err = e.dx.DisassociateConnectionFromLag(ctx, &dx.DisassociateConnectionFromLagInput{ConnectionId: aws.String(member), LagId: aws.String(lagID)})
	if apiCode(err) != "DirectConnectClientException" || !strings.Contains(apiMessage(err), "minimumLinks") {
		t.Errorf("disassociate below minimumLinks: %v", err)
	}
	// The VIF stayed with the LAG, so the LAG cannot be deleted yet.
	if _, err := e.dx.DeleteLag(ctx, &dx.DeleteLagInput{LagId: aws.String(lagID)}); apiCode(err) != "DirectConnectClientException" || !strings.Contains(apiMessage(err), vifID) {
		t.Errorf("DeleteLag with a VIF: %v", err)
	}
	if _, err := e.dx.DeleteVirtualInterface(ctx, &dx.DeleteVirtualInterfaceInput{VirtualInterfaceId: aws.String(vifID)}); err != nil {
		t.Fatal(err)
	}
	del, err := e.dx.DeleteLag(ctx, &dx.DeleteLagInput{LagId: aws.String(lagID)})
	if err != nil {
		t.Fatal(err)
	}
	if del.LagState != types.LagStateDeleted {
		t.Errorf("DeleteLag state %s", del.LagState)
	}
	_, err = e.dx.DescribeLags(ctx, &dx.DescribeLagsInput{LagId: aws.String(lagID)})
	if apiMessage(err) != "Could not find Lag with ID "+lagID {
		t.Errorf("describe deleted LAG: %v", err)
	}
	all, err := e.dx.DescribeConnections(ctx, &dx.DescribeConnectionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range all.Connections {
		if aws.ToString(c.LagId) != "" {
			t.Errorf("connection %s still in %s", aws.ToString(c.ConnectionId), aws.ToString(c.LagId))
		}
		if _, err := e.dx.DeleteConnection(ctx, &dx.DeleteConnectionInput{ConnectionId: c.ConnectionId}); err != nil {
			t.Errorf("delete %s: %v", aws.ToString(c.ConnectionId), err)
		}
	}
	if all, _ := e.dx.DescribeConnections(ctx, &dx.DescribeConnectionsInput{}); len(all.Connections) != 0 {
		t.Errorf("%d connections left", len(all.Connections))
	}
}
