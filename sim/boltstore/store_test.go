package boltstore

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
)

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := Open(dir)
	require.NoError(t, err)
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	c := &sim.Connection{ID: "dxcon-aaaaaaaa", Kind: sim.KindDedicated, Owner: "1", State: sim.StateAvailable, LAGID: "dxlag-bbbbbbbb", Since: now, Transitioning: true,
		Tags: []sim.Tag{{Key: "k", Value: "v"}}, MACsecKeys: []sim.MACsecKey{{SecretARN: "arn", CKN: "ckn", State: "associated"}}}
	l := &sim.LAG{ID: "dxlag-bbbbbbbb", Owner: "1", State: sim.StateDown, MinimumLinks: 2, Since: now}
	v := &sim.VIF{ID: "dxvif-cccccccc", ConnectionID: l.ID, VLAN: 7, ASN: 4200000000, Since: now}
	gone := &sim.Connection{ID: "dxcon-dddddddd", Since: now}
	require.NoError(t, s.Commit(sim.Batch{Connections: []*sim.Connection{c, gone}, LAGs: []*sim.LAG{l}, VIFs: []*sim.VIF{v}}))
	require.NoError(t, s.Commit(sim.Batch{Deleted: []string{gone.ID}}))
	require.NoError(t, s.Close())
	s, err = Open(dir)
	require.NoError(t, err)
	defer s.Close()
	st, err := s.Load()
	require.NoError(t, err)
	assert.Len(t, st.Connections, 1, "connections: %+v", st.Connections)
	assert.Equal(t, c, st.Connections[c.ID], "connection")
	assert.Equal(t, l, st.LAGs[l.ID], "LAG")
	assert.Equal(t, v, st.VIFs[v.ID], "VIF")
}

func TestSecondOpenRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := Open(dir)
	require.NoError(t, err)
	defer s.Close()
	s2, err := Open(dir)
	if err == nil {
		s2.Close()
	}
	require.Error(t, err, "a second process could open the same state")
}
