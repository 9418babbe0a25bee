package boltstore

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCheckpoints(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	require.NoError(t, err)
	c := s.Checkpoints()
	got, err := c.LoadCheckpoint("dxsim-dx-a")
	require.NoError(t, err)
	require.Nil(t, got, "none yet")
	require.NoError(t, c.SaveCheckpoint("dxsim-dx-a", []byte(`{"LAGs":[]}`)))
	require.NoError(t, s.Close())

	s, err = Open(dir)
	require.NoError(t, err)
	defer s.Close()
	c = s.Checkpoints()
	got, err = c.LoadCheckpoint("dxsim-dx-a")
	require.NoError(t, err)
	require.Equal(t, `{"LAGs":[]}`, string(got), "kept across a reopen")
	require.NoError(t, c.SaveCheckpoint("dxsim-dx-a", nil))
	got, err = c.LoadCheckpoint("dxsim-dx-a")
	require.NoError(t, err)
	require.Nil(t, got, "forgotten")
}
