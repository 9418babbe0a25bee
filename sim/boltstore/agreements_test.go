package boltstore

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/dxsim/dxsim/sim"
)

// TestAgreementsInOlderState: a state file from before customer agreements
// were kept has no bucket for them; it opens, loads none, and then keeps them.
func TestAgreementsInOlderState(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := Open(dir)
	require.NoError(t, err)
	require.NoError(t, s.db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketAgreements) }))
	require.NoError(t, s.Close())

	s, err = Open(dir)
	require.NoError(t, err)
	st, err := s.Load()
	require.NoError(t, err)
	assert.Empty(t, st.Agreements)
	signed := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	a := &sim.Agreements{Account: "123456789012", Signed: map[string]time.Time{sim.AgreementMACsec: signed}}
	require.NoError(t, s.Commit(sim.Batch{Agreements: []*sim.Agreements{a}}))
	require.NoError(t, s.Close())

	s, err = Open(dir)
	require.NoError(t, err)
	defer s.Close()
	st, err = s.Load()
	require.NoError(t, err)
	require.Contains(t, st.Agreements, a.Account)
	assert.True(t, st.Agreements[a.Account].Signed[sim.AgreementMACsec].Equal(signed))
}
