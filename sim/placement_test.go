package sim_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
)

// TestPlacementFollowsTheAccount: at a location with several devices, an
// account's first LAG takes one in turn; its later connections and LAGs
// there land on that device, so the documented "LAG, then a connection,
// then associate them" works; another account starts on the next device;
// the dxsim:device tag reaches any device on purpose, and one naming no
// device of the location is a client's mistake.
func TestPlacementFollowsTheAccount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newService(t, nil)
	loc, ok := sim.DefaultCatalogue().Location("EqDC2")
	require.True(t, ok)
	require.GreaterOrEqual(t, len(loc.Devices), 2)

	lag, err := s.CreateLag(ctx, acct, sim.CreateLagInput{NumberOfConnections: 1, Location: "EqDC2", Bandwidth: "10Gbps", Name: "l"})
	require.NoError(t, err)
	dev := lag.LAG.Device
	for i := range 3 {
		c, err := s.CreateConnection(ctx, acct, sim.CreateConnectionInput{Location: "EqDC2", Bandwidth: "10Gbps", Name: "c"})
		require.NoError(t, err)
		assert.Equal(t, dev, c.Device, "connection %d lands with the account's LAG", i)
	}
	second, err := s.CreateLag(ctx, acct, sim.CreateLagInput{NumberOfConnections: 0, Location: "EqDC2", Bandwidth: "10Gbps", Name: "l2"})
	require.NoError(t, err)
	assert.Equal(t, dev, second.LAG.Device)

	const other = "210987654321"
	o, err := s.CreateConnection(ctx, other, sim.CreateConnectionInput{Location: "EqDC2", Bandwidth: "10Gbps", Name: "o"})
	require.NoError(t, err)
	assert.NotEqual(t, dev, o.Device, "another account's first order takes the next device")

	otherDev := loc.Devices[0]
	if otherDev == dev {
		otherDev = loc.Devices[1]
	}
	tagged, err := s.CreateConnection(ctx, acct, sim.CreateConnectionInput{Location: "EqDC2", Bandwidth: "10Gbps", Name: "t",
		Tags: []sim.Tag{{Key: sim.DeviceTag, Value: otherDev}}})
	require.NoError(t, err)
	assert.Equal(t, otherDev, tagged.Device, "the tag places it")
	_, err = s.AssociateConnectionWithLag(ctx, acct, tagged.ID, lag.LAG.ID)
	assert.Equal(t, sim.RuleDifferentDevice, sim.RuleOf(err), "and the device rule holds: %v", err)

	before, err := s.Connections(acct, "")
	require.NoError(t, err)
	_, err = s.CreateConnection(ctx, acct, sim.CreateConnectionInput{Location: "EqDC2", Bandwidth: "10Gbps", Name: "bad",
		Tags: []sim.Tag{{Key: sim.DeviceTag, Value: "EqSE2-nowhere"}}})
	assert.Equal(t, sim.RuleInvalidArgument, sim.RuleOf(err), "%v", err)
	assert.ErrorContains(t, err, otherDev, "the message names the location's devices")
	after, err := s.Connections(acct, "")
	require.NoError(t, err)
	assert.Len(t, after, len(before), "nothing stored")
}
