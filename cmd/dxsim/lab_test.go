package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"

	"github.com/dxsim/dxsim/sim/lab"
	"github.com/dxsim/dxsim/topology"
	"github.com/dxsim/dxsim/topology/netnstest"
)

func labHostLinks(t *testing.T) []string {
	t.Helper()
	links, err := netlink.LinkList()
	require.NoError(t, err)
	var names []string
	for _, l := range links {
		names = append(names, l.Attrs().Name)
	}
	slices.Sort(names)
	return names
}

func runLabCmd(t *testing.T, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&out)
	err := root.ExecuteContext(context.Background())
	require.NoError(t, err, "dxsim %s\n%s", strings.Join(args, " "), out.String())
	return out.String()
}

func TestLabUpStatusDown(t *testing.T) {
	netnstest.RequireRoot(t)
	before := labHostLinks(t)
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := "t" + hex.EncodeToString(b[:])
	file := filepath.Join(t.TempDir(), "lab.json")
	labJSON := `{"name": "` + name + `", "devices": [{"id": "EqDC2-test", "location": "EqDC2",
		"connections": [{"id": "dxcon-labt0001"}, {"id": "dxcon-labt0002"}]}]}`
	require.NoError(t, os.WriteFile(file, []byte(labJSON), 0o644))
	t.Cleanup(func() { runLabCmd(t, "lab", "down", "-f", file) })

	out := runLabCmd(t, "lab", "up", "-f", file, "--dataplane", "userspace")
	for _, c := range []string{"dxcon-labt0001", "dxcon-labt0002"} {
		assert.Regexp(t, c+` +missing +created`, out, "lab up did not report %s created", c)
		assert.Regexp(t, c+` +EqDC2-test +up +up`, out, "lab up's status does not show %s up on both ends", c)
	}
	assert.Contains(t, runLabCmd(t, "lab", "up", "-f", file, "--dataplane", "userspace"), "already up", "second lab up")
	out = runLabCmd(t, "lab", "status", "-f", file, "--dataplane", "userspace")
	assert.Regexp(t, `dxcon-labt0002 +EqDC2-test +up +up`, out, "lab status")
	assert.Contains(t, runLabCmd(t, "lab", "down", "-f", file), "deleted 2 namespaces", "lab down")
	out = runLabCmd(t, "lab", "status", "-f", file, "--dataplane", "userspace")
	assert.Regexp(t, `dxcon-labt0001 +EqDC2-test +missing +missing`, out, "lab status after down")
	runLabCmd(t, "lab", "down", "-f", file) // status made nothing to leave behind
	assert.Equal(t, before, labHostLinks(t), "host links changed")
}

// TestLabStatusShowsMissing: an interface the data plane knows but the
// kernel no longer has (deleted by hand) is missing, not down.
func TestLabStatusShowsMissing(t *testing.T) {
	t.Parallel()
	st := topology.Status{
		Ports: []topology.PortStatus{
			{ConnectionID: "dxcon-lab00001", DeviceID: "EqDC2-1a2b3c4d5e6f", LAGID: "dxlag-lab00001", AWSMissing: true, CustomerMissing: true},
			{ConnectionID: "dxcon-lab00002", DeviceID: "EqDC2-1a2b3c4d5e6f", LAGID: "dxlag-lab00001", AWSUp: true},
			{ConnectionID: "dxcon-lab00003", DeviceID: "EqDC2-1a2b3c4d5e6f", AWSUp: true, CustomerUp: true},
		},
		VLANs: []topology.VLANStatus{{ID: "dxvif-lab00001", Parent: "dxcon-lab00003", VLAN: 101, AWSUp: true, CustomerMissing: true}},
	}
	var b bytes.Buffer
	printLabStatus(&b, lab.Default(), labView{backend: "userspace", st: st})
	out := b.String()
	assert.Regexp(t, `dxcon-lab00001 +dxlag-lab00001 +missing +missing`, out)
	assert.Regexp(t, `dxcon-lab00002 +dxlag-lab00001 +up +down`, out)
	assert.Regexp(t, `dxcon-lab00003 +EqDC2-1a2b3c4d5e6f +up +up`, out)
	assert.Regexp(t, `dxvif-lab00001 +vlan 101 on dxcon-lab00003 +up 169.254.10.1/30 +missing 169.254.10.2/30`, out)
}
