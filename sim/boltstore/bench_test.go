package boltstore

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
)

// BenchmarkCommit measures one durable mutation: a connection written and
// fsynced in its own transaction.
func BenchmarkCommit(b *testing.B) {
	s, err := Open(b.TempDir())
	require.NoError(b, err)
	defer s.Close()
	c := &sim.Connection{ID: "dxcon-aaaaaaaa", Kind: sim.KindDedicated, Owner: "1", State: sim.StateAvailable, Since: time.Unix(0, 0)}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Commit(sim.Batch{Connections: []*sim.Connection{c}}); err != nil {
			b.Fatal(err)
		}
	}
}
