package boltstore

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNamespacesRoundTripSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	require.NoError(t, err)

	owned, err := s.Namespaces().Owned()
	require.NoError(t, err)
	assert.Nil(t, owned, "a fresh state has no record: nil, not an empty map")

	require.NoError(t, s.Namespaces().Own()) // starts the record
	owned, err = s.Namespaces().Owned()
	require.NoError(t, err)
	assert.NotNil(t, owned, "a started record is a map, even empty")
	assert.Empty(t, owned)

	require.NoError(t, s.Namespaces().Own("dxsim-dx-a", "dxsim-cr-a", "dxsim-dx-b"))
	require.NoError(t, s.Namespaces().Own("dxsim-dx-a")) // again: no change
	require.NoError(t, s.Namespaces().Disown("dxsim-dx-b", "dxsim-never"))
	require.NoError(t, s.Close())

	s, err = Open(dir)
	require.NoError(t, err)
	defer s.Close()
	owned, err = s.Namespaces().Owned()
	require.NoError(t, err)
	assert.Equal(t, map[string]bool{"dxsim-dx-a": true, "dxsim-cr-a": true}, owned)

	assert.Error(t, s.Namespaces().Own(""), "an empty name is refused")
}

func TestNamespacesDisownStartsTheRecord(t *testing.T) {
	s, err := Open(t.TempDir())
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.Namespaces().Disown("dxsim-dx-a"))
	owned, err := s.Namespaces().Owned()
	require.NoError(t, err)
	assert.NotNil(t, owned)
	assert.Empty(t, owned)
}
