package sim_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/simtest"
)

// loaWorld is an account's ports in every state an LOA-CFA rule tells apart.
type loaWorld struct {
	requested, pending, available, interconnect, hosted, memberLAG, emptyLAG, requestedLAG, deleted string
}

func newLOAWorld(t *testing.T) (*sim.Service, loaWorld) {
	t.Helper()
	ctx := context.Background()
	s, clock := newService(t, nil)
	var w loaWorld
	order := func() string {
		c, err := s.CreateConnection(ctx, acct, sim.CreateConnectionInput{Location: "EqDC2", Bandwidth: "10Gbps", Name: "c"})
		require.NoError(t, err)
		return c.ID
	}
	w.available = order()
	ic, err := s.CreateInterconnect(ctx, acct, sim.CreateConnectionInput{Location: "EqDC2", Bandwidth: "10Gbps", Name: "ic"})
	require.NoError(t, err)
	w.interconnect = ic.ID
	lag, err := s.CreateLag(ctx, acct, sim.CreateLagInput{NumberOfConnections: 2, Location: "EqDC2", Bandwidth: "10Gbps", Name: "lag"})
	require.NoError(t, err)
	w.memberLAG = lag.LAG.ID
	w.deleted = order()
	clock.Advance(time.Second) // requested → pending: the LOA-CFA is issued
	w.pending = order()
	clock.Advance(time.Second)
	_, err = s.DeleteConnection(ctx, acct, w.deleted)
	require.NoError(t, err)
	w.requested = order()
	h, err := s.AllocateHostedConnection(ctx, acct, sim.AllocateHostedConnectionInput{ParentID: w.interconnect, Owner: acct, Bandwidth: "500Mbps", Name: "h", VLAN: 100})
	require.NoError(t, err)
	w.hosted = h.ID
	empty, err := s.CreateLag(ctx, acct, sim.CreateLagInput{NumberOfConnections: 0, Location: "EqDC2", Bandwidth: "10Gbps", Name: "empty"})
	require.NoError(t, err)
	w.emptyLAG = empty.LAG.ID
	fresh, err := s.CreateLag(ctx, acct, sim.CreateLagInput{NumberOfConnections: 1, Location: "EqDC2", Bandwidth: "10Gbps", Name: "fresh"})
	require.NoError(t, err)
	w.requestedLAG = fresh.LAG.ID
	require.Equal(t, sim.StateAvailable, mustConn(t, s, w.available).State)
	require.Equal(t, sim.StatePending, mustConn(t, s, w.pending).State)
	return s, w
}

func TestLOARules(t *testing.T) {
	t.Parallel()
	s, w := newLOAWorld(t)
	type call func(account, id, provider string) ([]byte, error)
	cases := []struct {
		name string
		op   call
		id   func(loaWorld) string
		rule string // "" when a letter is issued
	}{
		{"available connection", s.LOA, func(w loaWorld) string { return w.available }, ""},
		{"pending connection", s.LOA, func(w loaWorld) string { return w.pending }, ""},
		{"requested connection", s.LOA, func(w loaWorld) string { return w.requested }, sim.RuleLOA},
		{"interconnect", s.LOA, func(w loaWorld) string { return w.interconnect }, ""},
		{"LAG", s.LOA, func(w loaWorld) string { return w.memberLAG }, ""},
		{"LAG with a requested member", s.LOA, func(w loaWorld) string { return w.requestedLAG }, sim.RuleLOA},
		{"LAG without connections", s.LOA, func(w loaWorld) string { return w.emptyLAG }, sim.RuleLOA},
		{"hosted connection", s.LOA, func(w loaWorld) string { return w.hosted }, sim.RuleLOA},
		{"deleted connection", s.LOA, func(w loaWorld) string { return w.deleted }, sim.RuleNotFound},
		{"unknown connection", s.LOA, func(loaWorld) string { return "dxcon-zzzzzzzz" }, sim.RuleNotFound},
		{"unknown LAG", s.LOA, func(loaWorld) string { return "dxlag-zzzzzzzz" }, sim.RuleNotFound},
		{"connection by DescribeConnectionLoa", s.ConnectionLOA, func(w loaWorld) string { return w.available }, ""},
		{"interconnect by DescribeConnectionLoa", s.ConnectionLOA, func(w loaWorld) string { return w.interconnect }, sim.RuleNotFound},
		{"requested by DescribeConnectionLoa", s.ConnectionLOA, func(w loaWorld) string { return w.requested }, sim.RuleLOA},
		{"hosted by DescribeConnectionLoa", s.ConnectionLOA, func(w loaWorld) string { return w.hosted }, sim.RuleLOA},
		{"interconnect by DescribeInterconnectLoa", s.InterconnectLOA, func(w loaWorld) string { return w.interconnect }, ""},
		{"connection by DescribeInterconnectLoa", s.InterconnectLOA, func(w loaWorld) string { return w.available }, sim.RuleNotFound},
		{"LAG by DescribeInterconnectLoa", s.InterconnectLOA, func(w loaWorld) string { return w.memberLAG }, sim.RuleNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			id := tc.id(w)
			pdf, err := tc.op(acct, id, "")
			if tc.rule != "" {
				require.Error(t, err)
				assert.Equal(t, tc.rule, sim.RuleOf(err), "%v", err)
				assert.Contains(t, err.Error(), id, "the refusal names %s", id)
				return
			}
			require.NoError(t, err)
			content, err := simtest.PDFContent(pdf)
			require.NoError(t, err)
			assert.Contains(t, content, id)
		})
	}
	t.Run("another account", func(t *testing.T) {
		t.Parallel()
		_, err := s.LOA("210987654321", w.available, "")
		assert.Equal(t, sim.RuleNotFound, sim.RuleOf(err), "%v", err)
	})
}

func TestLOAContent(t *testing.T) {
	t.Parallel()
	s, w := newLOAWorld(t)
	pdf, err := s.LOA(acct, w.available, "Example Networks")
	require.NoError(t, err)
	content, err := simtest.PDFContent(pdf)
	require.NoError(t, err)
	c := mustConn(t, s, w.available)
	for _, want := range []string{c.ID, c.Device, "EqDC2", "10Gbps", "Example Networks", "1 January 2025"} {
		assert.Contains(t, content, want)
	}
	pdf, err = s.LOA(acct, w.available, "")
	require.NoError(t, err)
	content, err = simtest.PDFContent(pdf)
	require.NoError(t, err)
	assert.Contains(t, content, "AWS account "+acct, "with no providerName, the account is the customer")

	pdf, err = s.LOA(acct, w.memberLAG, "")
	require.NoError(t, err)
	content, err = simtest.PDFContent(pdf)
	require.NoError(t, err)
	for _, m := range mustLAG(t, s, w.memberLAG).Members {
		assert.Contains(t, content, m.ID, "the LAG's letter assigns member %s a port", m.ID)
	}
	again, err := s.LOA(acct, w.memberLAG, "")
	require.NoError(t, err)
	assert.Equal(t, pdf, again, "the letter is dated by its issue time: asked again, it is the same")
}

// TestLOAWithDataPlane: a port ordered with a data plane is pending at
// once, before an issue time is recorded: its letter is dated now.
func TestLOAWithDataPlane(t *testing.T) {
	t.Parallel()
	clock := simtest.NewClock()
	clock.Advance(40 * 24 * time.Hour)
	s, _ := newServiceClock(t, simtest.NewDataPlane(clock, 64), clock)
	c, err := s.CreateConnection(context.Background(), acct, sim.CreateConnectionInput{Location: "EqDC2", Bandwidth: "1Gbps", Name: "c"})
	require.NoError(t, err)
	pdf, err := s.LOA(acct, c.ID, "")
	require.NoError(t, err)
	content, err := simtest.PDFContent(pdf)
	require.NoError(t, err)
	assert.Contains(t, content, "10 February 2025")
	assert.Contains(t, content, "ge-", "a 1 Gbps port")
}
