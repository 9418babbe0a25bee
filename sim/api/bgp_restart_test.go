package api_test

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	dx "github.com/aws/aws-sdk-go-v2/service/directconnect"
	"github.com/aws/aws-sdk-go-v2/service/directconnect/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim/simtest"
)

// TestBGPAcrossRestart: BGP peers and failover tests are read back from
// disk as they were, and a running test still completes on time.
func TestBGPAcrossRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	clock := simtest.NewClock()
	first, stop := openDurableEnv(t, dir, clock)

	id := first.privateVIF(10).VirtualInterfaceId
	clock.Advance(testSchedule.Confirm)
	_, err := first.dx.CreateBGPPeer(ctx, &dx.CreateBGPPeerInput{VirtualInterfaceId: id, NewBGPPeer: &types.NewBGPPeer{AddressFamily: types.AddressFamilyIPv6, Asn: 65000}})
	require.NoError(t, err)
	clock.Advance(testSchedule.Confirm)
	_, err = first.dx.StartBgpFailoverTest(ctx, &dx.StartBgpFailoverTestInput{VirtualInterfaceId: id, TestDurationInMinutes: aws.Int32(10)})
	require.NoError(t, err)
	render := func(e *env) string {
		h, err := e.dx.ListVirtualInterfaceTestHistory(ctx, &dx.ListVirtualInterfaceTestHistoryInput{})
		require.NoError(t, err)
		require.Len(t, h.VirtualInterfaceTestHistory, 1)
		b, err := json.Marshal([]any{e.vif(aws.ToString(id)).BgpPeers, h.VirtualInterfaceTestHistory})
		require.NoError(t, err)
		return string(b)
	}
	before := render(first)
	stop()
	second := newDurableEnv(t, dir, clock)
	require.Equal(t, before, render(second), "state changed across restart")
	assert.Len(t, second.vif(aws.ToString(id)).BgpPeers, 2)

	clock.Advance(10 * 60 * testSchedule.Requested) // 10 minutes
	h, err := second.dx.ListVirtualInterfaceTestHistory(ctx, &dx.ListVirtualInterfaceTestHistoryInput{})
	require.NoError(t, err)
	assert.Equal(t, "completed", aws.ToString(h.VirtualInterfaceTestHistory[0].Status), "completes after the restart")
}
