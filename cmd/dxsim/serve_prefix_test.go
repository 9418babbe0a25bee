package main

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckServePrefix(t *testing.T) {
	for _, p := range []string{"dxsim", "dxsim2", "dxsimblue", "dxsimb-east", "dxsim0-a1-b2"} {
		assert.NoError(t, checkServePrefix(p), p)
	}
	for p, want := range map[string]string{
		"dxsim-b":                         `"dxsim-<name>" is how lab`,
		"dxsim-demo":                      `dxsim-demo`,
		"dxsim-":                          `"dxsim-<name>" is how lab`,
		"foo":                             `want "dxsim" then`,
		"dx":                              `want "dxsim" then`,
		"dxsimB":                          `want "dxsim" then`,
		"dxsim/x":                         `want "dxsim" then`,
		"dxsimb--x":                       `want "dxsim" then`,
		"dxsimb-dx-a":                     `a "dx" part`,
		"dxsimb-cr":                       `a "cr" part`,
		"dxsim" + strings.Repeat("a", 40): "at most",
	} {
		err := checkServePrefix(p)
		if assert.Error(t, err, p) {
			assert.Contains(t, err.Error(), want, p)
			assert.Contains(t, err.Error(), "--prefix", p)
		}
	}
}

func TestServeRefusesBadPrefix(t *testing.T) {
	err := runServe(context.Background(), serveConfig{listen: "127.0.0.1:0", state: t.TempDir(), dataplane: "none", auth: "none",
		region: "us-east-1", logLevel: "info", prefix: "dxsim-lab1"}, io.Discard, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `--prefix "dxsim-lab1"`)
}

func TestServeFlagPrefixDefault(t *testing.T) {
	f := newServeCmd().Flags().Lookup("prefix")
	require.NotNil(t, f, "serve has no --prefix flag")
	assert.Equal(t, "dxsim", f.DefValue)
}
