package api_test

import (
	"fmt"
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

func (e *env) lag(n int32, bw string) *dx.CreateLagOutput {
	e.t.Helper()
	l, err := e.dx.CreateLag(ctx, &dx.CreateLagInput{Location: aws.String("EqDC2"), ConnectionsBandwidth: aws.String(bw), LagName: aws.String("lag"), NumberOfConnections: n})
	require.NoError(e.t, err)
	return l
}

// conn creates a connection; with device set, it retries until one lands
// on that device (devices are assigned in turn) and deletes the others.
func (e *env) conn(bw, device string) string {
	e.t.Helper()
	in := &dx.CreateConnectionInput{Location: aws.String("EqDC2"), Bandwidth: aws.String(bw), ConnectionName: aws.String("c"), RequestMACSec: aws.Bool(bw != "1Gbps")}
	if device != "" {
		in.Tags = []types.Tag{{Key: aws.String(sim.DeviceTag), Value: aws.String(device)}}
	}
	c, err := e.dx.CreateConnection(ctx, in)
	require.NoError(e.t, err)
	if device != "" {
		require.Equal(e.t, device, aws.ToString(c.AwsDevice), "placed by %s", sim.DeviceTag)
	}
	return aws.ToString(c.ConnectionId)
}

func TestConnectionsAndInterconnects(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.conn("10Gbps", "")
	up, err := e.dx.UpdateConnection(ctx, &dx.UpdateConnectionInput{ConnectionId: aws.String(id), ConnectionName: aws.String("renamed"), EncryptionMode: aws.String("must_encrypt")})
	require.NoError(t, err)
	assert.Equal(t, "renamed", aws.ToString(up.ConnectionName), "UpdateConnection: name")
	assert.Equal(t, "must_encrypt", aws.ToString(up.EncryptionMode), "UpdateConnection: encryptionMode")

	ic, err := e.dx.CreateInterconnect(ctx, &dx.CreateInterconnectInput{Location: aws.String("EqDC2"), Bandwidth: aws.String("10Gbps"), InterconnectName: aws.String("partner")})
	require.NoError(t, err)
	icID := aws.ToString(ic.InterconnectId)
	assert.True(t, sim.ValidID(sim.PrefixConnection, icID), "CreateInterconnect: id %s", icID)
	assert.Equal(t, types.InterconnectStateRequested, ic.InterconnectState, "CreateInterconnect: state")
	ics, err := e.dx.DescribeInterconnects(ctx, &dx.DescribeInterconnectsInput{InterconnectId: aws.String(icID)})
	require.NoError(t, err, "DescribeInterconnects")
	require.Len(t, ics.Interconnects, 1, "DescribeInterconnects")
	// Interconnects are not connections.
	_, err = e.dx.DescribeConnections(ctx, &dx.DescribeConnectionsInput{ConnectionId: aws.String(icID)})
	assert.Equal(t, "DirectConnectClientException", apiCode(err), "DescribeConnections of an interconnect: %v", err)

	hosted, err := e.dx.AllocateHostedConnection(ctx, &dx.AllocateHostedConnectionInput{
		ConnectionId: aws.String(icID), OwnerAccount: aws.String(api.DefaultAccount), Bandwidth: aws.String("500Mbps"),
		ConnectionName: aws.String("customer"), Vlan: 300,
	})
	require.NoError(t, err)
	hID := aws.ToString(hosted.ConnectionId)
	assert.Equal(t, types.ConnectionStateOrdering, hosted.ConnectionState, "AllocateHostedConnection: state")
	assert.Equal(t, int32(300), hosted.Vlan, "AllocateHostedConnection: vlan")
	_, err = e.dx.AllocateHostedConnection(ctx, &dx.AllocateHostedConnectionInput{
		ConnectionId: aws.String(icID), OwnerAccount: aws.String(api.DefaultAccount), Bandwidth: aws.String("500Mbps"),
		ConnectionName: aws.String("dup"), Vlan: 300,
	})
	assert.Contains(t, apiMessage(err), "VLAN 300 is already in use", "second hosted connection on VLAN 300: %v", err)
	conf, err := e.dx.ConfirmConnection(ctx, &dx.ConfirmConnectionInput{ConnectionId: aws.String(hID)})
	require.NoError(t, err, "ConfirmConnection")
	require.Equal(t, types.ConnectionStatePending, conf.ConnectionState, "ConfirmConnection: state")
	e.clock.Advance(time.Second)
	hs, err := e.dx.DescribeHostedConnections(ctx, &dx.DescribeHostedConnectionsInput{ConnectionId: aws.String(icID)})
	require.NoError(t, err, "DescribeHostedConnections")
	require.Len(t, hs.Connections, 1, "DescribeHostedConnections: %+v", hs)
	require.Equal(t, types.ConnectionStateAvailable, hs.Connections[0].ConnectionState, "DescribeHostedConnections: state")
	_, err = e.dx.DeleteInterconnect(ctx, &dx.DeleteInterconnectInput{InterconnectId: aws.String(icID)})
	assert.Contains(t, apiMessage(err), hID, "DeleteInterconnect with a hosted connection: %v", err)

	// The interconnect joins a LAG and its hosted connection follows it.
	lag := e.lag(0, "10Gbps")
	lagID := aws.ToString(lag.LagId)
	if aws.ToString(lag.AwsDevice) == aws.ToString(ic.AwsDevice) {
		_, err = e.dx.AssociateConnectionWithLag(ctx, &dx.AssociateConnectionWithLagInput{ConnectionId: aws.String(icID), LagId: aws.String(lagID)})
		require.NoError(t, err)
		hs, _ = e.dx.DescribeHostedConnections(ctx, &dx.DescribeHostedConnectionsInput{ConnectionId: aws.String(lagID)})
		assert.Len(t, hs.Connections, 1, "hosted connection did not follow the interconnect into %s", lagID)
		e.clock.Advance(5 * time.Second)
		_, err = e.dx.AssociateHostedConnection(ctx, &dx.AssociateHostedConnectionInput{ConnectionId: aws.String(hID), ParentConnectionId: aws.String(icID)})
		require.NoError(t, err)
		_, err = e.dx.DisassociateConnectionFromLag(ctx, &dx.DisassociateConnectionFromLagInput{ConnectionId: aws.String(icID), LagId: aws.String(lagID)})
		require.NoError(t, err)
	}
	moved, err := e.dx.AssociateHostedConnection(ctx, &dx.AssociateHostedConnectionInput{ConnectionId: aws.String(hID), ParentConnectionId: aws.String(lagID)})
	require.NoError(t, err)
	hs, _ = e.dx.DescribeHostedConnections(ctx, &dx.DescribeHostedConnectionsInput{ConnectionId: aws.String(lagID)})
	assert.Len(t, hs.Connections, 1, "AssociateHostedConnection: hosted connections the LAG carries")
	assert.Equal(t, hID, aws.ToString(moved.ConnectionId), "AssociateHostedConnection: response")
	_, err = e.dx.DeleteConnection(ctx, &dx.DeleteConnectionInput{ConnectionId: aws.String(hID)})
	require.NoError(t, err)
	e.clock.Advance(5 * time.Second)
	del, err := e.dx.DeleteInterconnect(ctx, &dx.DeleteInterconnectInput{InterconnectId: aws.String(icID)})
	require.NoError(t, err, "DeleteInterconnect")
	require.Equal(t, types.InterconnectStateDeleted, del.InterconnectState, "DeleteInterconnect: state")
}

func TestCreateLagFromConnection(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.conn("10Gbps", "")
	lag, err := e.dx.CreateLag(ctx, &dx.CreateLagInput{Location: aws.String("EqDC2"), ConnectionsBandwidth: aws.String("10Gbps"),
		LagName: aws.String("from-conn"), NumberOfConnections: 2, ConnectionId: aws.String(id),
		ChildConnectionTags: []types.Tag{{Key: aws.String("child"), Value: aws.String("yes")}}})
	require.NoError(t, err)
	require.Len(t, lag.Connections, 2, "members")
	var found bool
	for _, c := range lag.Connections {
		if aws.ToString(c.ConnectionId) == id {
			found = true
			continue
		}
		if assert.Len(t, c.Tags, 1, "new member %+v", c) {
			assert.Equal(t, "child", aws.ToString(c.Tags[0].Key), "new member %+v", c)
		}
		assert.Equal(t, aws.ToString(lag.AwsDevice), aws.ToString(c.AwsDevice), "new member %+v", c)
	}
	assert.True(t, found, "connection %s not converted into the LAG", id)
}

func TestVirtualInterfaces(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	lag := e.lag(1, "10Gbps")
	lagID := aws.ToString(lag.LagId)
	id := e.conn("10Gbps", aws.ToString(lag.AwsDevice))
	pub, err := e.dx.CreatePublicVirtualInterface(ctx, &dx.CreatePublicVirtualInterfaceInput{ConnectionId: aws.String(id),
		NewPublicVirtualInterface: &types.NewPublicVirtualInterface{VirtualInterfaceName: aws.String("pub"), Vlan: 10, Asn: 65001,
			AmazonAddress: aws.String("203.0.113.1/30"), CustomerAddress: aws.String("203.0.113.2/30"),
			RouteFilterPrefixes: []types.RouteFilterPrefix{{Cidr: aws.String("198.51.100.0/24")}}}})
	require.NoError(t, err)
	assert.Equal(t, "public", aws.ToString(pub.VirtualInterfaceType), "public VIF: type")
	assert.Equal(t, types.VirtualInterfaceStateVerifying, pub.VirtualInterfaceState, "public VIF: state")
	assert.Len(t, pub.RouteFilterPrefixes, 1, "public VIF: route filter prefixes")
	gw, err := e.dx.CreateDirectConnectGateway(ctx, &dx.CreateDirectConnectGatewayInput{DirectConnectGatewayName: aws.String("gw")})
	require.NoError(t, err)
	tr, err := e.dx.CreateTransitVirtualInterface(ctx, &dx.CreateTransitVirtualInterfaceInput{ConnectionId: aws.String(lagID),
		NewTransitVirtualInterface: &types.NewTransitVirtualInterface{VirtualInterfaceName: aws.String("tr"), Vlan: 20, AsnLong: aws.Int64(4200000000),
			DirectConnectGatewayId: gw.DirectConnectGateway.DirectConnectGatewayId, Mtu: aws.Int32(8500)}})
	require.NoError(t, err)
	v := tr.VirtualInterface
	require.NotNil(t, v, "transit VIF (nested under virtualInterface)")
	require.True(t, sim.ValidID(sim.PrefixVIF, aws.ToString(v.VirtualInterfaceId)), "transit VIF (nested under virtualInterface): %+v", v)
	require.Equal(t, int64(4200000000), aws.ToInt64(v.AsnLong), "transit VIF (nested under virtualInterface): asnLong")
	require.Zero(t, v.Asn, "transit VIF (nested under virtualInterface): asn")
	require.Equal(t, int32(8500), aws.ToInt32(v.Mtu), "transit VIF (nested under virtualInterface): mtu")
	e.clock.Advance(time.Second)
	vifs, err := e.dx.DescribeVirtualInterfaces(ctx, &dx.DescribeVirtualInterfacesInput{ConnectionId: aws.String(lagID)})
	require.NoError(t, err, "DescribeVirtualInterfaces on the LAG")
	require.Len(t, vifs.VirtualInterfaces, 1, "DescribeVirtualInterfaces on the LAG: %+v", vifs)
	require.Equal(t, types.VirtualInterfaceStateAvailable, vifs.VirtualInterfaces[0].VirtualInterfaceState, "DescribeVirtualInterfaces on the LAG: state")
	moved, err := e.dx.AssociateVirtualInterface(ctx, &dx.AssociateVirtualInterfaceInput{VirtualInterfaceId: v.VirtualInterfaceId, ConnectionId: aws.String(id)})
	require.NoError(t, err, "AssociateVirtualInterface")
	require.Equal(t, id, aws.ToString(moved.ConnectionId), "AssociateVirtualInterface: connection")
	_, err = e.dx.AssociateVirtualInterface(ctx, &dx.AssociateVirtualInterfaceInput{VirtualInterfaceId: pub.VirtualInterfaceId, ConnectionId: aws.String(id)})
	require.NoError(t, err, "AssociateVirtualInterface to its own connection")
	del, err := e.dx.DeleteVirtualInterface(ctx, &dx.DeleteVirtualInterfaceInput{VirtualInterfaceId: pub.VirtualInterfaceId})
	require.NoError(t, err, "DeleteVirtualInterface")
	require.Equal(t, types.VirtualInterfaceStateDeleting, del.VirtualInterfaceState, "DeleteVirtualInterface: state, as AWS answers")
	// Described deleting, then deleted, then not at all (as the AWS
	// provider's destroy waits for).
	for _, step := range []struct {
		advance time.Duration
		want    types.VirtualInterfaceState
	}{
		{0, types.VirtualInterfaceStateDeleting},
		{sim.DefaultSchedule().Deleting, types.VirtualInterfaceStateDeleted},
	} {
		e.clock.Advance(step.advance)
		got, err := e.dx.DescribeVirtualInterfaces(ctx, &dx.DescribeVirtualInterfacesInput{VirtualInterfaceId: pub.VirtualInterfaceId})
		require.NoError(t, err, "describe the deleted VIF")
		require.Len(t, got.VirtualInterfaces, 1)
		assert.Equal(t, step.want, got.VirtualInterfaces[0].VirtualInterfaceState)
	}
	e.clock.Advance(sim.DefaultSchedule().Retain)
	_, err = e.dx.DescribeVirtualInterfaces(ctx, &dx.DescribeVirtualInterfacesInput{VirtualInterfaceId: pub.VirtualInterfaceId})
	assert.Contains(t, apiMessage(err), "Could not find", "a VIF deleted long ago: %v", err)
}

func TestTagsAndMACsec(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	lag := e.lag(1, "10Gbps")
	arn := sim.ARN("us-east-1", api.DefaultAccount, aws.ToString(lag.LagId))
	_, err := e.dx.TagResource(ctx, &dx.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("b")}}})
	require.NoError(t, err)
	_, err = e.dx.UntagResource(ctx, &dx.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"a"}})
	require.NoError(t, err)
	tags, err := e.dx.DescribeTags(ctx, &dx.DescribeTagsInput{ResourceArns: []string{arn}})
	require.NoError(t, err, "DescribeTags")
	require.Len(t, tags.ResourceTags, 1, "DescribeTags: %+v", tags)
	require.Len(t, tags.ResourceTags[0].Tags, 1, "DescribeTags: %+v", tags)
	require.Equal(t, "b", aws.ToString(tags.ResourceTags[0].Tags[0].Key), "DescribeTags: key")
	other := sim.ARN("us-east-1", "999999999999", aws.ToString(lag.LagId))
	_, err = e.dx.DescribeTags(ctx, &dx.DescribeTagsInput{ResourceArns: []string{other}})
	assert.Equal(t, "DirectConnectClientException", apiCode(err), "another account's ARN: %v", err)

	// A Direct Connect gateway's ARN is global (no Region); its tags show
	// in DescribeDirectConnectGateways too.
	gw := gateway(t, e.dx, "tagged")
	gwARN := sim.GatewayARN(api.DefaultAccount, gw)
	_, err = e.dx.TagResource(ctx, &dx.TagResourceInput{ResourceArn: aws.String(gwARN), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("net")}}})
	require.NoError(t, err, "TagResource on a Direct Connect gateway")
	tags, err = e.dx.DescribeTags(ctx, &dx.DescribeTagsInput{ResourceArns: []string{gwARN}})
	require.NoError(t, err)
	require.Len(t, tags.ResourceTags, 1)
	assert.Equal(t, []types.Tag{{Key: aws.String("team"), Value: aws.String("net")}}, tags.ResourceTags[0].Tags)
	gws, err := e.dx.DescribeDirectConnectGateways(ctx, &dx.DescribeDirectConnectGatewaysInput{DirectConnectGatewayId: aws.String(gw)})
	require.NoError(t, err)
	require.Len(t, gws.DirectConnectGateways, 1)
	assert.Equal(t, "team", aws.ToString(gws.DirectConnectGateways[0].Tags[0].Key))
	_, err = e.dx.UntagResource(ctx, &dx.UntagResourceInput{ResourceArn: aws.String(gwARN), TagKeys: []string{"team"}})
	require.NoError(t, err)
	tags, err = e.dx.DescribeTags(ctx, &dx.DescribeTagsInput{ResourceArns: []string{gwARN}})
	require.NoError(t, err)
	assert.Empty(t, tags.ResourceTags[0].Tags, "untagged")
	for name, bad := range map[string]string{
		"another account's gateway":   sim.GatewayARN("999999999999", gw),
		"a gateway ARN with a Region": "arn:aws:directconnect:us-east-1:" + api.DefaultAccount + ":dx-gateway/" + gw,
		"an unknown gateway":          sim.GatewayARN(api.DefaultAccount, "5f294f92-bafb-4011-916d-9b0bec2a5c29"),
	} {
		_, err = e.dx.TagResource(ctx, &dx.TagResourceInput{ResourceArn: aws.String(bad), Tags: []types.Tag{{Key: aws.String("x")}}})
		assert.Equal(t, "DirectConnectClientException", apiCode(err), "%s: %v", name, err)
	}

	// MACsec needs a MACsec-capable port: this LAG was not requested with MACsec.
	key := strings.Repeat("0123456789abcdef", 4)
	_, err = e.dx.AssociateMacSecKey(ctx, &dx.AssociateMacSecKeyInput{ConnectionId: lag.LagId, Ckn: aws.String(key), Cak: aws.String(key)})
	assert.Contains(t, apiMessage(err), "MACsec", "MACsec on a non-MACsec LAG: %v", err)
	id := e.conn("10Gbps", "")
	out, err := e.dx.AssociateMacSecKey(ctx, &dx.AssociateMacSecKeyInput{ConnectionId: aws.String(id), Ckn: aws.String(key), Cak: aws.String(key)})
	require.NoError(t, err, "AssociateMacSecKey")
	require.Len(t, out.MacSecKeys, 1, "AssociateMacSecKey: %+v", out)
	require.Equal(t, key, aws.ToString(out.MacSecKeys[0].Ckn), "AssociateMacSecKey: ckn")
	secret := out.MacSecKeys[0].SecretARN
	c, _ := e.dx.DescribeConnections(ctx, &dx.DescribeConnectionsInput{ConnectionId: aws.String(id)})
	assert.Len(t, c.Connections[0].MacSecKeys, 1, "keys the connection shows")
	dis, err := e.dx.DisassociateMacSecKey(ctx, &dx.DisassociateMacSecKeyInput{ConnectionId: aws.String(id), SecretARN: secret})
	require.NoError(t, err, "DisassociateMacSecKey")
	require.Len(t, dis.MacSecKeys, 1, "DisassociateMacSecKey: %+v", dis)
	require.Equal(t, "disassociated", aws.ToString(dis.MacSecKeys[0].State), "DisassociateMacSecKey: state")
}

// TestRulesThroughSDK breaks each LAG rule through the Go SDK and checks the
// error type and that the message names the rule's IDs.
func TestRulesThroughSDK(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *sim.Config, _ *api.Options) {
		c.Quotas = sim.Quotas{LAGsPerRegion: 4, VIFsPerLAG: 1, TagsPerResource: 50}
	})
	lag10 := e.lag(1, "10Gbps")
	lag10ID, dev := aws.ToString(lag10.LagId), aws.ToString(lag10.AwsDevice)
	lag100 := e.lag(2, "100Gbps")
	one := e.conn("1Gbps", dev)
	ten := e.conn("10Gbps", dev)
	loc, _ := sim.DefaultCatalogue().Location("EqDC2")
	other := loc.Devices[0]
	if other == dev {
		other = loc.Devices[1]
	}
	otherDev := e.conn("10Gbps", other) // a connection on the location's other device
	hundred := e.conn("100Gbps", aws.ToString(lag100.AwsDevice))
	ic, err := e.dx.CreateInterconnect(ctx, &dx.CreateInterconnectInput{Location: aws.String("EqDC2"), Bandwidth: aws.String("10Gbps"), InterconnectName: aws.String("i")})
	require.NoError(t, err)
	hosted, err := e.dx.AllocateHostedConnection(ctx, &dx.AllocateHostedConnectionInput{ConnectionId: ic.InterconnectId, OwnerAccount: aws.String(api.DefaultAccount), Bandwidth: aws.String("1Gbps"), ConnectionName: aws.String("h"), Vlan: 5})
	require.NoError(t, err)
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
	// The cases run in order: some build on the state the ones before left.
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if !assert.Equal(t, "DirectConnectClientException", apiCode(err), "%v", err) {
				return
			}
			for _, frag := range tc.in {
				assert.Contains(t, apiMessage(err), frag)
			}
		})
	}
}

// TestPaging pages DescribeConnections, DescribeLags and
// DescribeVirtualInterfaces with maxResults/nextToken as Terraform does.
func TestPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	want := map[string]bool{}
	for range 7 {
		want[e.conn("1Gbps", "")] = true
	}
	for _, size := range []int32{1, 3, 7, 100} {
		t.Run(fmt.Sprintf("maxResults %d", size), func(t *testing.T) {
			seen := map[string]bool{}
			var token *string
			pages := 0
			for {
				out, err := e.dx.DescribeConnections(ctx, &dx.DescribeConnectionsInput{MaxResults: aws.Int32(size), NextToken: token})
				require.NoError(t, err)
				pages++
				require.LessOrEqual(t, len(out.Connections), int(size), "page size")
				for _, c := range out.Connections {
					require.False(t, seen[aws.ToString(c.ConnectionId)], "%s on two pages", aws.ToString(c.ConnectionId))
					seen[aws.ToString(c.ConnectionId)] = true
				}
				if token = out.NextToken; token == nil {
					break
				}
			}
			assert.Len(t, seen, len(want), "connections seen")
			assert.Equal(t, (7+int(size)-1)/int(size), pages, "pages")
		})
	}
	for range 3 {
		e.lag(0, "1Gbps")
	}
	out, err := e.dx.DescribeLags(ctx, &dx.DescribeLagsInput{MaxResults: aws.Int32(2)})
	require.NoError(t, err, "DescribeLags page 1")
	require.Len(t, out.Lags, 2, "DescribeLags page 1")
	require.NotNil(t, out.NextToken, "DescribeLags page 1: nextToken")
	out, err = e.dx.DescribeLags(ctx, &dx.DescribeLagsInput{MaxResults: aws.Int32(2), NextToken: out.NextToken})
	require.NoError(t, err, "DescribeLags page 2")
	require.Len(t, out.Lags, 1, "DescribeLags page 2")
	require.Nil(t, out.NextToken, "DescribeLags page 2: nextToken")
}
