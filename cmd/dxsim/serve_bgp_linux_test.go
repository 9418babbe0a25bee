package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	dx "github.com/aws/aws-sdk-go-v2/service/directconnect"
	"github.com/aws/aws-sdk-go-v2/service/directconnect/types"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim/dxapi"
)

// waitBGPEvent follows serve's event stream for a VIF until its session is
// established with want prefixes from the customer.
func waitBGPEvent(t *testing.T, addr, vifID string, want uint64) time.Duration {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+dxapi.Prefix+"events?id="+vifID, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	var seen []string
	for lines.Scan() {
		var e dxapi.Event
		require.NoError(t, json.Unmarshal(lines.Bytes(), &e))
		if e.Type != dxapi.TypeBGP {
			continue
		}
		seen = append(seen, e.BGPState)
		if e.BGPState == "established" && e.Prefixes != nil && *e.Prefixes == want {
			return time.Since(start)
		}
	}
	require.FailNow(t, "no established session", "%s: states seen %v (%v)", vifID, seen, lines.Err())
	return 0
}

// TestServeBGPAcrossRestart: a serve runs each VIF's BGP against its builtin
// customer router; after a restart on the same state, the session is
// running again, from the state alone.
func TestServeBGPAcrossRestart(t *testing.T) {
	prefix := randomServePrefix(t)
	catalogue := prefixTestSetup(t, prefix)
	cfg := serveCfg(t.TempDir(), prefix, catalogue)
	s := startServed(t, cfg)
	conn, _ := s.createConnection(t)
	c := dxClient(s.addr, "any", "thing")
	ctx := context.Background()
	vif, err := c.CreatePrivateVirtualInterface(ctx, &dx.CreatePrivateVirtualInterfaceInput{ConnectionId: aws.String(conn),
		NewPrivateVirtualInterface: &types.NewPrivateVirtualInterface{VirtualInterfaceName: aws.String("bgp"), Vlan: 101, Asn: 65000,
			VirtualGatewayId: aws.String("vgw-0123456789abcdef0")}})
	require.NoError(t, err)
	id := aws.ToString(vif.VirtualInterfaceId)
	took := waitBGPEvent(t, s.addr, id, 1)
	t.Logf("established with the customer's network %s after the VIF was created", took.Round(time.Millisecond))

	s.stop()
	again := startServed(t, cfg)
	took = waitBGPEvent(t, again.addr, id, 1)
	t.Logf("after the restart: established again in %s", took.Round(time.Millisecond))
	out, err := dxClient(again.addr, "any", "thing").DescribeVirtualInterfaces(ctx, &dx.DescribeVirtualInterfacesInput{VirtualInterfaceId: aws.String(id)})
	require.NoError(t, err)
	require.Len(t, out.VirtualInterfaces, 1)
	require.Equal(t, types.BGPStatusUp, out.VirtualInterfaces[0].BgpPeers[0].BgpStatus)
}
