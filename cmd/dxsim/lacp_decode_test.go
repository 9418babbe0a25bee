package main

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sharedCapture = "../../lacp/testdata/linux-bond-fast-3members.pcap"

func runDxsim(t *testing.T, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	root := newRootCmd()
	root.SetOut(&out)
	root.SetArgs(args)
	require.NoError(t, root.Execute(), "dxsim %v", args)
	return out.String()
}

func TestLACPDecodeTable(t *testing.T) {
	t.Parallel()
	out := runDxsim(t, "lacp", "decode", sharedCapture)
	for _, want := range []string{
		`(?m)^local system +da:c8:69:c7:5b:2d \(inferred`,
		`(?m)^port 1 +15/1 +15/1 +1\.569 +9\.760 +8\.191s$`,
		`(?m)^port 2 +15/2 +15/2 +9\.977 +12\.296 +2\.319s$`,
		`(?m)^port 3 +15/3 +15/3 +12\.612 +15\.140 +2\.528s$`,
		`(?m)^3\.764 +local +sync +\*\*\*\*SGSA \(0x0f\)$`,
		`(?m)^issues: none$`,
	} {
		assert.Regexp(t, want, out, "decode output")
	}
}

func TestLACPDecodeJSON(t *testing.T) {
	t.Parallel()
	var r struct {
		Local  string `json:"local_system"`
		Remote string `json:"remote_system"`
		Ports  []struct {
			Name           string   `json:"name"`
			ConvergedAfter *float64 `json:"converged_after"`
			Events         []struct {
				T     float64 `json:"t"`
				Side  string  `json:"side"`
				Event string  `json:"event"`
			} `json:"events"`
		} `json:"ports"`
		Issues []any `json:"issues"`
	}
	out := runDxsim(t, "lacp", "decode", "--json", "--local", "da:c8:69:c7:5b:2d", "--key", "15", sharedCapture)
	require.NoError(t, json.Unmarshal([]byte(out), &r), out)
	require.Equal(t, "da:c8:69:c7:5b:2d", r.Local, "report %+v", r)
	require.Equal(t, "3a:d9:7b:8a:c4:84", r.Remote, "report %+v", r)
	require.Len(t, r.Ports, 3, "report %+v", r)
	require.Empty(t, r.Issues, "report %+v", r)
	for i, want := range []float64{8.191077, 2.318915, 2.528264} {
		p := r.Ports[i]
		if assert.NotNil(t, p.ConvergedAfter, "%s converged_after", p.Name) {
			assert.Equal(t, want, *p.ConvergedAfter, "%s converged_after", p.Name)
		}
		require.NotEmpty(t, p.Events, "%s has no events", p.Name)
		last := p.Events[len(p.Events)-1]
		assert.Equal(t, "usable both ways", last.Event, "%s last event %+v", p.Name, last)
		assert.Equal(t, "both", last.Side, "%s last event %+v", p.Name, last)
	}
}

func TestLACPDecodeErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"no such file", []string{"lacp", "decode", "no-such-file.pcap"}},
		{"bad --local", []string{"lacp", "decode", "--local", "not-a-mac", sharedCapture}},
		{"not a capture", []string{"lacp", "decode", "lacp_decode_test.go"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := newRootCmd()
			root.SetOut(&bytes.Buffer{})
			root.SetArgs(tc.args)
			assert.Error(t, root.Execute(), "dxsim %v succeeded", tc.args)
		})
	}
}

func TestLACPDecodeReportsWrongKey(t *testing.T) {
	t.Parallel()
	out := runDxsim(t, "lacp", "decode", "--key", "16", sharedCapture)
	assert.Regexp(t, `(?m)^issues: 3$`, out, "--key 16 on a LAG with key 15")
	assert.Regexp(t, `(?m)^1\.569 +port 1 +local +keys differ across the LAG: key 15, but the LAG's key is 16 \(1 times\)$`, out,
		"--key 16 on a LAG with key 15")
}
