package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim/lab"
	"github.com/dxsim/dxsim/topology/netnstest"
)

// TestLabUpFaults: a lab file's faults are in effect while lab up runs:
// the silent member is out of the LAG while the other carries it, through
// lab up's own repairs, and lab status lists the faults.
func TestLabUpFaults(t *testing.T) {
	netnstest.RequireRoot(t)
	var b [4]byte
	_, _ = rand.Read(b[:])
	file := filepath.Join(t.TempDir(), "lab.json")
	require.NoError(t, os.WriteFile(file, []byte(`{"name": "f`+hex.EncodeToString(b[:])+`",
	  "devices": [{"id": "EqDC2-flt", "location": "EqDC2", "lags": [{"id": "dxlag-flt00001", "minimumLinks": 1}],
	    "connections": [{"id": "dxcon-flt00001", "lag": "dxlag-flt00001"}, {"id": "dxcon-flt00002", "lag": "dxlag-flt00001"}]}],
	  "faults": [{"connection": "dxcon-flt00001", "side": "customer", "lacp": "silent"}]}`), 0o644))
	l, err := lab.Load(file)
	require.NoError(t, err)
	_, _ = startLabUp(t, file, l, "--dataplane", "userspace")

	status := func() string {
		var out bytes.Buffer
		require.NoError(t, runLab(context.Background(), &out, "lab", "status", "-f", file, "--dataplane", "userspace"))
		return out.String()
	}
	healthy := regexp.MustCompile(`dxcon-flt00002 +dxlag-flt00001 +up +up +..DCSGSA/..DCSGSA`)
	out := ""
	poll(t, "the healthy member collecting and distributing", func() (bool, string) {
		out = status()
		return healthy.MatchString(out), out
	})
	silent := regexp.MustCompile(`dxcon-flt00001 +dxlag-flt00001 +up +up +\S+/\S+ `)
	require.Regexp(t, silent, out)
	row := regexp.MustCompile(`dxcon-flt00001 .*`).FindString(out)
	assert.NotRegexp(t, `DCSGSA/..DCSGSA +..DCSGSA/..DCSGSA`, row, "the silent member is out of the LAG")
	assert.Contains(t, out, "faults (from the lab file):\n  customer side of dxcon-flt00001: lacp silent")

	time.Sleep(7 * time.Second) // past a periodic repair
	row = regexp.MustCompile(`dxcon-flt00001 .*`).FindString(status())
	assert.NotRegexp(t, `DCSGSA/..DCSGSA +..DCSGSA/..DCSGSA`, row, "still out after lab up's repairs")
}
