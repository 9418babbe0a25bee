package sim_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
)

// TestAllocateConnectionOnInterconnect: the deprecated operation refuses
// what AllocateHostedConnection refuses, with the same rule and message,
// and takes only an interconnect.
func TestAllocateConnectionOnInterconnect(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newService(t, nil)
	ic, err := s.CreateInterconnect(ctx, acct, sim.CreateConnectionInput{Location: "EqDC2", Bandwidth: "10Gbps", Name: "ic"})
	require.NoError(t, err)
	conn, err := s.CreateConnection(ctx, acct, sim.CreateConnectionInput{Location: "EqDC2", Bandwidth: "10Gbps", Name: "c"})
	require.NoError(t, err)
	lag, err := s.CreateLag(ctx, acct, sim.CreateLagInput{NumberOfConnections: 0, Location: "EqDC2", Bandwidth: "10Gbps", Name: "lag"})
	require.NoError(t, err)
	first, err := s.AllocateConnectionOnInterconnect(ctx, acct, sim.AllocateHostedConnectionInput{ParentID: ic.ID, Owner: "210987654321", Bandwidth: "200Mbps", Name: "customer", VLAN: 101})
	require.NoError(t, err)
	assert.Equal(t, sim.KindHosted, first.Kind)
	assert.Equal(t, sim.StateOrdering, first.State)
	assert.Equal(t, ic.ID, first.ParentID)
	assert.Equal(t, "210987654321", first.Owner)
	assert.Equal(t, acct, first.Partner)
	assert.Equal(t, 101, first.VLAN)

	good := sim.AllocateHostedConnectionInput{ParentID: ic.ID, Owner: acct, Bandwidth: "500Mbps", Name: "h", VLAN: 102}
	cases := []struct {
		name string
		edit func(*sim.AllocateHostedConnectionInput)
		rule string
	}{
		{"VLAN in use", func(in *sim.AllocateHostedConnectionInput) { in.VLAN = 101 }, sim.RuleInUse},
		{"VLAN 0", func(in *sim.AllocateHostedConnectionInput) { in.VLAN = 0 }, sim.RuleInvalidArgument},
		{"VLAN 4095", func(in *sim.AllocateHostedConnectionInput) { in.VLAN = 4095 }, sim.RuleInvalidArgument},
		{"dedicated bandwidth", func(in *sim.AllocateHostedConnectionInput) { in.Bandwidth = "100Gbps" }, sim.RuleInvalidArgument},
		{"unknown interconnect", func(in *sim.AllocateHostedConnectionInput) { in.ParentID = "dxcon-zzzzzzzz" }, sim.RuleNotFound},
		{"a dedicated connection", func(in *sim.AllocateHostedConnectionInput) { in.ParentID = conn.ID }, sim.RuleNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := good
			tc.edit(&in)
			_, err := s.AllocateConnectionOnInterconnect(ctx, acct, in)
			require.Error(t, err)
			assert.Equal(t, tc.rule, sim.RuleOf(err))
			_, want := s.AllocateHostedConnection(ctx, acct, in)
			assert.Equal(t, want, err, "the same refusal as AllocateHostedConnection")
		})
	}
	t.Run("a LAG", func(t *testing.T) {
		in := good
		in.ParentID = lag.LAG.ID
		_, err := s.AllocateConnectionOnInterconnect(ctx, acct, in)
		assert.Equal(t, sim.RuleNotFound, sim.RuleOf(err))
		assert.Contains(t, err.Error(), "Could not find Interconnect with ID "+lag.LAG.ID)
	})
	hosted, err := s.ConnectionsOnInterconnect(acct, ic.ID)
	require.NoError(t, err)
	require.Len(t, hosted, 1, "refusals allocated nothing")
	assert.Equal(t, first.ID, hosted[0].ID)
}

func TestConnectionsOnInterconnect(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newService(t, nil)
	ic, err := s.CreateInterconnect(ctx, acct, sim.CreateConnectionInput{Location: "EqDC2", Bandwidth: "10Gbps", Name: "ic"})
	require.NoError(t, err)
	lag, err := s.CreateLag(ctx, acct, sim.CreateLagInput{NumberOfConnections: 0, Location: "EqDC2", Bandwidth: "10Gbps", Name: "lag"})
	require.NoError(t, err)
	var ids []string
	for _, vlan := range []int{20, 10} {
		h, err := s.AllocateHostedConnection(ctx, acct, sim.AllocateHostedConnectionInput{ParentID: ic.ID, Owner: acct, Bandwidth: "1Gbps", Name: "h", VLAN: vlan})
		require.NoError(t, err)
		ids = append(ids, h.ID)
	}
	got, err := s.ConnectionsOnInterconnect(acct, ic.ID)
	require.NoError(t, err)
	want, err := s.HostedConnections(acct, ic.ID)
	require.NoError(t, err)
	assert.Equal(t, want, got, "what DescribeHostedConnections lists")
	assert.ElementsMatch(t, ids, []string{got[0].ID, got[1].ID})

	for _, tc := range []struct{ name, account, id string }{
		{"a LAG", acct, lag.LAG.ID},
		{"a hosted connection", acct, ids[0]},
		{"unknown", acct, "dxcon-zzzzzzzz"},
		{"another account's", "210987654321", ic.ID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.ConnectionsOnInterconnect(tc.account, tc.id)
			assert.Equal(t, sim.RuleNotFound, sim.RuleOf(err))
			assert.Contains(t, err.Error(), "Could not find Interconnect with ID "+tc.id)
		})
	}
}
