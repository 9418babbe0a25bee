package sim_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/simtest"
)

// BenchmarkAssociate measures the control-plane part of
// AssociateConnectionWithLag over a state of 100 LAGs and about 300
// connections: rules, commit, record and the calls into a fake data plane
// (which does no work). Between timed associates the member is converged
// and disassociated again, untimed.
func BenchmarkAssociate(b *testing.B) {
	ctx := context.Background()
	clock := simtest.NewClock()
	dp := simtest.NewDataPlane(clock, 1<<12)
	s, err := sim.New(sim.Config{Clock: clock, DataPlane: dp, Quotas: sim.Quotas{LAGsPerRegion: 1000, VIFsPerLAG: 50, TagsPerResource: 50}})
	require.NoError(b, err)
	defer s.Close()
	type pair struct{ conn, lag string }
	var work []pair
	for len(work) < 100 {
		view, err := s.CreateLag(ctx, acct, sim.CreateLagInput{NumberOfConnections: 1, Location: "EqDC2", Bandwidth: "10Gbps", Name: "l"})
		require.NoError(b, err)
		for range 3 {
			c, err := s.CreateConnection(ctx, acct, sim.CreateConnectionInput{Location: "EqDC2", Bandwidth: "10Gbps", Name: "c"})
			require.NoError(b, err)
			if c.Device == view.LAG.Device {
				work = append(work, pair{c.ID, view.LAG.ID})
				break
			}
		}
	}
	sub, cancel := s.Subscribe(1 << 12)
	defer cancel()
	associated := make([]bool, len(work))
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		p := work[i%len(work)]
		if associated[i%len(work)] {
			b.StopTimer()
			dp.Converge(p.lag, p.conn)
			for ch := range sub {
				if ch.ID == p.conn && ch.To == sim.StateAvailable {
					break
				}
			}
			_, err := s.DisassociateConnectionFromLag(ctx, acct, p.conn, p.lag)
			require.NoError(b, err)
			b.StartTimer()
		}
		if _, err := s.AssociateConnectionWithLag(ctx, acct, p.conn, p.lag); err != nil {
			b.Fatal(err)
		}
		associated[i%len(work)] = true
	}
}
