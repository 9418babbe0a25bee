package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	dx "github.com/aws/aws-sdk-go-v2/service/directconnect"
	"github.com/aws/aws-sdk-go-v2/service/directconnect/types"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/api"
)

func (e *env) lag(n int32, bw string) *dx.CreateLagOutput {
	e.t.Helper()
	l, err := e.dx.CreateLag(ctx, &dx.CreateLagInput{Location: aws.String("EqDC2"), ConnectionsBandwidth: aws.String(bw), LagName: aws.String("lag"), NumberOfConnections: n})
	if err != nil {
		e.t.Fatal(err)
	}
	return l
}

// conn creates a connection; with device set, it retries until one lands
// on that device (devices are assigned in turn) and deletes the others.
func (e *env) conn(bw, device string) string {
	e.t.Helper()
	for range 10 {
		c, err := e.dx.CreateConnection(ctx, &dx.CreateConnectionInput{Location: aws.String("EqDC2"), Bandwidth: aws.String(bw), ConnectionName: aws.String("c"), RequestMACSec: aws.Bool(bw != "1Gbps")})
		if err != nil {
			e.t.Fatal(err)
		}
		if device == "" || aws.ToString(c.AwsDevice) == device {
			return aws.ToString(c.ConnectionId)
		}
		if _, err := e.dx.DeleteConnection(ctx, &dx.DeleteConnectionInput{ConnectionId: c.ConnectionId}); err != nil {
			e.t.Fatal(err)
		}
	}
	e.t.Fatalf("no connection on %s", device)
	return ""
}

func TestConnectionsAndInterconnects(t *testing.T) {
	e := newEnv(t)
	id := e.conn("10Gbps", "")
	up, err := e.dx.UpdateConnection(ctx, &dx.UpdateConnectionInput{ConnectionId: aws.String(id), ConnectionName: aws.String("renamed"), EncryptionMode: aws.String("must_encrypt")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(up.ConnectionName) != "renamed" || aws.ToString(up.EncryptionMode) != "must_encrypt" {
		t.Errorf("UpdateConnection: %s %s", aws.ToString(up.ConnectionName), aws.ToString(up.EncryptionMode))
	}

	ic, err := e.dx.CreateInterconnect(ctx, &dx.CreateInterconnectInput{Location: aws.String("EqDC2"), Bandwidth: aws.String("10Gbps"), InterconnectName: aws.String("partner")})
	if err != nil {
		t.Fatal(err)
	}
	icID := aws.ToString(ic.InterconnectId)
	if !sim.ValidID(sim.PrefixConnection, icID) || ic.InterconnectState != types.InterconnectStateRequested {
		t.Errorf("CreateInterconnect: %s %s", icID, ic.InterconnectState)
	}
	ics, err := e.dx.DescribeInterconnects(ctx, &dx.DescribeInterconnectsInput{InterconnectId: aws.String(icID)})
	if err != nil || len(ics.Interconnects) != 1 {
		t.Fatalf("DescribeInterconnects: %v %v", ics, err)
	}
	// Interconnects are not connections.
	if _, err := e.dx.DescribeConnections(ctx, &dx.DescribeConnectionsInput{ConnectionId: aws.String(icID)}); apiCode(err) != "DirectConnectClientException" {
		t.Errorf("DescribeConnections of an interconnect: %v", err)
	}

	hosted, err := e.dx.AllocateHostedConnection(ctx, &dx.AllocateHostedConnectionInput{
		ConnectionId: aws.String(icID), OwnerAccount: aws.String(api.DefaultAccount), Bandwidth: aws.String("500Mbps"),
		ConnectionName: aws.String("customer"), Vlan: 300,
	})
	if err != nil {
		t.Fatal(err)
	}
	hID := aws.ToString(hosted.ConnectionId)
	if hosted.ConnectionState != types.ConnectionStateOrdering || hosted.Vlan != 300 {
		t.Errorf("AllocateHostedConnection: %s vlan %d", hosted.ConnectionState, hosted.Vlan)
	}
	if _, err := e.dx.AllocateHostedConnection(ctx, &dx.AllocateHostedConnectionInput{
		ConnectionId: aws.String(icID), OwnerAccount: aws.String(api.DefaultAccount), Bandwidth: aws.String("500Mbps"),
		ConnectionName: aws.String("dup"), Vlan: 300,
	}); !strings.Contains(apiMessage(err), "VLAN 300 is already in use") {
		t.Errorf("second hosted connection on VLAN 300: %v", err)
	}
	conf, err := e.dx.ConfirmConnection(ctx, &dx.ConfirmConnectionInput{ConnectionId: aws.String(hID)})
	if err != nil || conf.ConnectionState != types.ConnectionStatePending {
		t.Fatalf("ConfirmConnection: %v %v", conf, err)
	}
	e.clock.Advance(time.Second)
	hs, err := e.dx.DescribeHostedConnections(ctx, &dx.DescribeHostedConnectionsInput{ConnectionId: aws.String(icID)})
	if err != nil || len(hs.Connections) != 1 || hs.Connections[0].ConnectionState != types.ConnectionStateAvailable {
		t.Fatalf("DescribeHostedConnections: %+v %v", hs, err)
	}
	if _, err := e.dx.DeleteInterconnect(ctx, &dx.DeleteInterconnectInput{InterconnectId: aws.String(icID)}); !strings.Contains(apiMessage(err), hID) {
		t.Errorf("DeleteInterconnect with a hosted connection: %v", err)
	}

	// The interconnect joins a LAG and its hosted connection follows it.
	lag := e.lag(0, "10Gbps")
	lagID := aws.ToString(lag.LagId)
	if aws.ToString(lag.AwsDevice) == aws.ToString(ic.AwsDevice) {
		if _, err := e.dx.AssociateConnectionWithLag(ctx, &dx.AssociateConnectionWithLagInput{ConnectionId: aws.String(icID), LagId: aws.String(lagID)}); err != nil {
			t.Fatal(err)
		}
		hs, _ = e.dx.DescribeHostedConnections(ctx, &dx.DescribeHostedConnectionsInput{ConnectionId: aws.String(lagID)})
		if len(hs.Connections) != 1 {
			t.Errorf("hosted connection did not follow the interconnect into %s", lagID)
		}
		e.clock.Advance(5 * time.Second)
		if _, err := e.dx.AssociateHostedConnection(ctx, &dx.AssociateHostedConnectionInput{ConnectionId: aws.String(hID), ParentConnectionId: aws.String(icID)}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.dx.DisassociateConnectionFromLag(ctx, &dx.DisassociateConnectionFromLagInput{ConnectionId: aws.String(icID), LagId: aws.String(lagID)}); err != nil {
			t.Fatal(err)
		}
	}
	moved, err := e.dx.AssociateHostedConnection(ctx, &dx.AssociateHostedConnectionInput{ConnectionId: aws.String(hID), ParentConnectionId: aws.String(lagID)})
	if err != nil {
		t.Fatal(err)
	}
	if hs, _ := e.dx.DescribeHostedConnections(ctx, &dx.DescribeHostedConnectionsInput{ConnectionId: aws.String(lagID)}); len(hs.Connections) != 1 || aws.ToString(moved.ConnectionId) != hID {
		t.Errorf("AssociateHostedConnection: LAG carries %d", len(hs.Connections))
	}
	if _, err := e.dx.DeleteConnection(ctx, &dx.DeleteConnectionInput{ConnectionId: aws.String(hID)}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(5 * time.Second)
	del, err := e.dx.DeleteInterconnect(ctx, &dx.DeleteInterconnectInput{InterconnectId: aws.String(icID)})
	if err != nil || del.InterconnectState != types.InterconnectStateDeleted {
		t.Fatalf("DeleteInterconnect: %v %v", del, err)
	}
}

func TestCreateLagFromConnection(t *testing.T) {
	e := newEnv(t)
	id := e.conn("10Gbps", "")
	lag, err := e.dx.CreateLag(ctx, &dx.CreateLagInput{Location: aws.String("EqDC2"), ConnectionsBandwidth: aws.String("10Gbps"),
		LagName: aws.String("from-conn"), NumberOfConnections: 2, ConnectionId: aws.String(id),
		ChildConnectionTags: []types.Tag{{Key: aws.String("child"), Value: aws.String("yes")}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(lag.Connections) != 2 {
		t.Fatalf("%d members", len(lag.Connections))
	}
	var found bool
	for _, c := range lag.Connections {
		if aws.ToString(c.ConnectionId) == id {
			found = true
			continue
		}
		if len(c.Tags) != 1 || aws.ToString(c.Tags[0].Key) != "child" || aws.ToString(c.AwsDevice) != aws.ToString(lag.AwsDevice) {
			t.Errorf("new member %+v", c)
		}
	}
	if !found {
		t.Errorf("connection %s not converted into the LAG", id)
	}
}

func TestVirtualInterfaces(t *testing.T) {
	e := newEnv(t)
	lag := e.lag(1, "10Gbps")
	lagID := aws.ToString(lag.LagId)
	id := e.conn("10Gbps", aws.ToString(lag.AwsDevice))
	pub, err := e.dx.CreatePublicVirtualInterface(ctx, &dx.CreatePublicVirtualInterfaceInput{ConnectionId: aws.String(id),
		NewPublicVirtualInterface: &types.NewPublicVirtualInterface{VirtualInterfaceName: aws.String("pub"), Vlan: 10, Asn: 65001,
			AmazonAddress: aws.String("203.0.113.1/30"), CustomerAddress: aws.String("203.0.113.2/30"),
			RouteFilterPrefixes: []types.RouteFilterPrefix{{Cidr: aws.String("198.51.100.0/24")}}}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(pub.VirtualInterfaceType) != "public" || pub.VirtualInterfaceState != types.VirtualInterfaceStateVerifying || len(pub.RouteFilterPrefixes) != 1 {
		t.Errorf("public VIF: %s %s %v", aws.ToString(pub.VirtualInterfaceType), pub.VirtualInterfaceState, pub.RouteFilterPrefixes)
	}
	tr, err := e.dx.CreateTransitVirtualInterface(ctx, &dx.CreateTransitVirtualInterfaceInput{ConnectionId: aws.String(lagID),
		NewTransitVirtualInterface: &types.NewTransitVirtualInterface{VirtualInterfaceName: aws.String("tr"), Vlan: 20, AsnLong: aws.Int64(4200000000),
			DirectConnectGatewayId: aws.String("dxgw-1"), Mtu: aws.Int32(8500)}})
	if err != nil {
		t.Fatal(err)
	}
	v := tr.VirtualInterface
	if v == nil || !sim.ValidID(sim.PrefixVIF, aws.ToString(v.VirtualInterfaceId)) || aws.ToInt64(v.AsnLong) != 4200000000 || v.Asn != 0 || aws.ToInt32(v.Mtu) != 8500 {
		t.Fatalf("transit VIF (nested under virtualInterface): %+v", v)
	}
	e.clock.Advance(time.Second)
	vifs, err := e.dx.DescribeVirtualInterfaces(ctx, &dx.DescribeVirtualInterfacesInput{ConnectionId: aws.String(lagID)})
	if err != nil || len(vifs.VirtualInterfaces) != 1 || vifs.VirtualInterfaces[0].VirtualInterfaceState != types.VirtualInterfaceStateAvailable {
		t.Fatalf("DescribeVirtualInterfaces on the LAG: %+v %v", vifs, err)
	}
	moved, err := e.dx.AssociateVirtualInterface(ctx, &dx.AssociateVirtualInterfaceInput{VirtualInterfaceId: v.VirtualInterfaceId, ConnectionId: aws.String(id)})
	if err != nil || aws.ToString(moved.ConnectionId) != id {
		t.Fatalf("AssociateVirtualInterface: %v %v", moved, err)
	}
	if _, err := e.dx.AssociateVirtualInterface(ctx, &dx.AssociateVirtualInterfaceInput{VirtualInterfaceId: pub.VirtualInterfaceId, ConnectionId: aws.String(id)}); err != nil {
		t.Fatalf("AssociateVirtualInterface to its own connection: %v", err)
	}
	del, err := e.dx.DeleteVirtualInterface(ctx, &dx.DeleteVirtualInterfaceInput{VirtualInterfaceId: pub.VirtualInterfaceId})
	if err != nil || del.VirtualInterfaceState != types.VirtualInterfaceStateDeleted {
		t.Fatalf("DeleteVirtualInterface: %v %v", del, err)
	}
}

func TestTagsAndMACsec(t *testing.T) {
	e := newEnv(t)
	lag := e.lag(1, "10Gbps")
	arn := sim.ARN("us-east-1", api.DefaultAccount, aws.ToString(lag.LagId))
	if _, err := e.dx.TagResource(ctx, &dx.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("b")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.dx.UntagResource(ctx, &dx.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"a"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := e.dx.DescribeTags(ctx, &dx.DescribeTagsInput{ResourceArns: []string{arn}})
	if err != nil || len(tags.ResourceTags) != 1 || len(tags.ResourceTags[0].Tags) != 1 || aws.ToString(tags.ResourceTags[0].Tags[0].Key) != "b" {
		t.Fatalf("DescribeTags: %+v %v", tags, err)
	}
	other := sim.ARN("us-east-1", "999999999999", aws.ToString(lag.LagId))
	if _, err := e.dx.DescribeTags(ctx, &dx.DescribeTagsInput{ResourceArns: []string{other}}); apiCode(err) != "DirectConnectClientException" {
		t.Errorf("another account's ARN: %v", err)
	}

	// MACsec needs a MACsec-capable port: this LAG was not requested with MACsec.
	key := strings.Repeat("0123456789abcdef", 4)
	if _, err := e.dx.AssociateMacSecKey(ctx, &dx.AssociateMacSecKeyInput{ConnectionId: lag.LagId, Ckn: aws.String(key), Cak: aws.String(key)}); !strings.Contains(apiMessage(err), "MACsec") {
		t.Errorf("MACsec on a non-MACsec LAG: %v", err)
	}
	id := e.conn("10Gbps", "")
	out, err := e.dx.AssociateMacSecKey(ctx, &dx.AssociateMacSecKeyInput{ConnectionId: aws.String(id), Ckn: aws.String(key), Cak: aws.String(key)})
	if err != nil || len(out.MacSecKeys) != 1 || aws.ToString(out.MacSecKeys[0].Ckn) != key {
		t.Fatalf("AssociateMacSecKey: %+v %v", out, err)
	}
	secret := out.MacSecKeys[0].SecretARN
	c, _ := e.dx.DescribeConnections(ctx, &dx.DescribeConnectionsInput{ConnectionId: aws.String(id)})
	if len(c.Connections[0].MacSecKeys) != 1 {
		t.Errorf("connection shows %d keys", len(c.Connections[0].MacSecKeys))
	}
	dis, err := e.dx.DisassociateMacSecKey(ctx, &dx.DisassociateMacSecKeyInput{ConnectionId: aws.String(id), SecretARN: secret})
	if err != nil || len(dis.MacSecKeys) != 1 || aws.ToString(dis.MacSecKeys[0].State) != "disassociated" {
		t.Fatalf("DisassociateMacSecKey: %+v %v", dis, err)
	}
}

// TestRulesThroughSDK breaks each LAG rule through the Go SDK and checks the
// error type and that the message names the rule's IDs.
func TestRulesThroughSDK(t *testing.T) {
	e := newEnv(t, func(c *sim.Config, _ *api.Options) {
		c.Quotas = sim.Quotas{LAGsPerRegion: 4, VIFsPerLAG: 1, TagsPerResource: 50}
	})
	lag10 := e.lag(1, "10Gbps")
	lag10ID, dev := aws.ToString(lag10.LagId), aws.ToString(lag10.AwsDevice)
	lag100 := e.lag(2, "100Gbps")
	one := e.conn("1Gbps", dev)
	ten := e.conn("10Gbps", dev)
	var otherDev string
	for otherDev == "" {
		c, _ := e.dx.CreateConnection(ctx, &dx.CreateConnectionInput{Location: aws.String("EqDC2"), Bandwidth: aws.String("10Gbps"), ConnectionName: aws.String("o")})
		if aws.ToString(c.AwsDevice) != dev {
			otherDev = aws.ToString(c.ConnectionId)
		}
	}
	hundred := e.conn("100Gbps", aws.ToString(lag100.AwsDevice))
	ic, err := e.dx.CreateInterconnect(ctx, &dx.CreateInterconnectInput{Location: aws.String("EqDC2"), Bandwidth: aws.String("10Gbps"), InterconnectName: aws.String("i")})
	if err != nil {
		t.Fatal(err)
	}
	hosted, err := e.dx.AllocateHostedConnection(ctx, &dx.AllocateHostedConnectionInput{ConnectionId: ic.InterconnectId, OwnerAccount: aws.String(api.DefaultAccount), Bandwidth: aws.String("1Gbps"), ConnectionName: aws.String("h"), Vlan: 5})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(2 * time.Second)
	assoc := func(conn, lag string) error {
		_, err := e.dx.AssociateConnectionWithLag(ctx, &dx.AssociateConnectionWithLagInput{ConnectionId: aws.String(conn), LagId: aws.String(lag)})
		return err
	}
	cases := []struct {
		name string
		call func() error
		in   []string
	}{
		{"hosted connection", func() error { return assoc(aws.ToString(hosted.ConnectionId), lag10ID) }, []string{aws.ToString(hosted.ConnectionId), "hosted"}},
		{"bandwidth", func() error { return assoc(one, lag10ID) }, []string{one, "1Gbps", "10Gbps", lag10ID}},
		{"device", func() error { return assoc(otherDev, lag10ID) }, []string{otherDev, lag10ID, "same AWS device"}},
		{"100G LAG size", func() error { return assoc(hundred, aws.ToString(lag100.LagId)) }, []string{aws.ToString(lag100.LagId), "at most 2"}},
		{"unknown connection", func() error { return assoc("dxcon-zzzzzzzz", lag10ID) }, []string{"Could not find Connection with ID dxcon-zzzzzzzz"}},
		{"unknown LAG", func() error { return assoc(ten, "dxlag-zzzzzzzz") }, []string{"Could not find Lag with ID dxlag-zzzzzzzz"}},
		{"transitioning", func() error {
			if err := assoc(ten, lag10ID); err != nil {
				return fmt.Errorf("first associate: %w", err)
			}
			return assoc(ten, lag10ID)
		}, []string{"Connection " + ten + " is in a transitioning state."}},
		{"CreateLag size", func() error {
			_, err := e.dx.CreateLag(ctx, &dx.CreateLagInput{Location: aws.String("EqDC2"), ConnectionsBandwidth: aws.String("400Gbps"), LagName: aws.String("x"), NumberOfConnections: 3})
			return err
		}, []string{"400Gbps", "between 0 and 2"}},
		{"MACsec speed", func() error {
			_, err := e.dx.CreateConnection(ctx, &dx.CreateConnectionInput{Location: aws.String("EqDC2"), Bandwidth: aws.String("1Gbps"), ConnectionName: aws.String("x"), RequestMACSec: aws.Bool(true)})
			return err
		}, []string{"MACsec"}},
		{"VIF quota", func() error {
			for vlan := int32(1); vlan <= 2; vlan++ {
				if _, err := e.dx.CreatePrivateVirtualInterface(ctx, &dx.CreatePrivateVirtualInterfaceInput{ConnectionId: aws.String(lag10ID),
					NewPrivateVirtualInterface: &types.NewPrivateVirtualInterface{VirtualInterfaceName: aws.String("v"), Vlan: vlan, Asn: 65000, VirtualGatewayId: aws.String("vgw-1")}}); err != nil {
					return err
				}
			}
			return nil
		}, []string{lag10ID, "virtual interfaces, the limit"}},
		{"DeleteLag with a VIF", func() error {
			_, err := e.dx.DeleteLag(ctx, &dx.DeleteLagInput{LagId: aws.String(lag10ID)})
			return err
		}, []string{lag10ID, "virtual interfaces"}},
		{"LAG quota", func() error {
			for range 3 {
				if _, err := e.dx.CreateLag(ctx, &dx.CreateLagInput{Location: aws.String("EqDC2"), ConnectionsBandwidth: aws.String("1Gbps"), LagName: aws.String("q"), NumberOfConnections: 0}); err != nil {
					return err
				}
			}
			return nil
		}, []string{"LAGs in us-east-1, the limit"}},
	}
	for _, tc := range cases {
		err := tc.call()
		if apiCode(err) != "DirectConnectClientException" {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		for _, frag := range tc.in {
			if !strings.Contains(apiMessage(err), frag) {
				t.Errorf("%s: message %q lacks %q", tc.name, apiMessage(err), frag)
			}
		}
	}
}

// TestPaging pages DescribeConnections, DescribeLags and
// DescribeVirtualInterfaces with maxResults/nextToken as Terraform does.
func TestPaging(t *testing.T) {
	e := newEnv(t)
	want := map[string]bool{}
	for range 7 {
		want[e.conn("1Gbps", "")] = true
	}
	for _, size := range []int32{1, 3, 7, 100} {
		seen := map[string]bool{}
		var token *string
		pages := 0
		for {
			out, err := e.dx.DescribeConnections(ctx, &dx.DescribeConnectionsInput{MaxResults: aws.Int32(size), NextToken: token})
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if len(out.Connections) > int(size) {
				t.Fatalf("page of %d with maxResults %d", len(out.Connections), size)
			}
			for _, c := range out.Connections {
				if seen[aws.ToString(c.ConnectionId)] {
					t.Fatalf("%s on two pages", aws.ToString(c.ConnectionId))
				}
				seen[aws.ToString(c.ConnectionId)] = true
			}
			if token = out.NextToken; token == nil {
				break
			}
		}
		if len(seen) != len(want) || pages != (7+int(size)-1)/int(size) {
			t.Errorf("maxResults %d: %d connections in %d pages", size, len(seen), pages)
		}
	}
	for range 3 {
		e.lag(0, "1Gbps")
	}
	out, err := e.dx.DescribeLags(ctx, &dx.DescribeLagsInput{MaxResults: aws.Int32(2)})
	if err != nil || len(out.Lags) != 2 || out.NextToken == nil {
		t.Fatalf("DescribeLags page 1: %v %v", out, err)
	}
	out, err = e.dx.DescribeLags(ctx, &dx.DescribeLagsInput{MaxResults: aws.Int32(2), NextToken: out.NextToken})
	if err != nil || len(out.Lags) != 1 || out.NextToken != nil {
		t.Fatalf("DescribeLags page 2: %v %v", out, err)
	}
}
