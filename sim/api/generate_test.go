package api

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGeneratedShapesUpToDate regenerates the shapes from the model and
// checks shapes_gen.go matches, so the model and the code cannot drift.
func TestGeneratedShapesUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the generator")
	}
	out := filepath.Join(t.TempDir(), "shapes_gen.go")
	cmd := exec.Command("go", "run", "./internal/shapegen", "-model", "directconnect-2012-10-25.json", "-out", out)
	msg, err := cmd.CombinedOutput()
	require.NoError(t, err, "shapegen\n%s", msg)
	want, err := os.ReadFile(out)
	require.NoError(t, err)
	got, err := os.ReadFile("shapes_gen.go")
	require.NoError(t, err)
	assert.True(t, bytes.Equal(got, want), "shapes_gen.go is stale: run go generate ./sim/api")
}
