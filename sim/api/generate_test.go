package api

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestGeneratedShapesUpToDate regenerates the shapes from the model and
// checks shapes_gen.go matches, so the model and the code cannot drift.
func TestGeneratedShapesUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the generator")
	}
	out := filepath.Join(t.TempDir(), "shapes_gen.go")
	cmd := exec.Command("go", "run", "./internal/shapegen", "-model", "directconnect-2012-10-25.json", "-out", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("shapegen: %v\n%s", err, msg)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("shapes_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("shapes_gen.go is stale: run go generate ./sim/api")
	}
}
