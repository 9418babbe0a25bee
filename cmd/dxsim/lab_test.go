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

// TestLabUpDefaultOnKernel builds the built-in lab (under a name of its
// own) with bonds and VLANs; scripts/vmtest runs it on a kernel that has
// them.
func TestLabUpDefaultOnKernel(t *testing.T) {
	netnstest.RequireBondingAndVLAN(t)
	before := labHostLinks(t)
	var b [4]byte
	_, _ = rand.Read(b[:])
	file := filepath.Join(t.TempDir(), "lab.json")
	def := strings.Replace(string(lab.DefaultJSON()), `"name": "default"`, `"name": "k`+hex.EncodeToString(b[:])+`"`, 1)
	require.NoError(t, os.WriteFile(file, []byte(def), 0o644))
	t.Cleanup(func() { runLabCmd(t, "lab", "down", "-f", file) })
	out := runLabCmd(t, "lab", "up", "-f", file, "--dataplane", "kernel")
	for _, id := range []string{"dxlag-lab00001", "dxcon-lab00001", "dxcon-lab00002", "dxcon-lab00003", "dxvif-lab00001"} {
		assert.Regexp(t, id+` +missing +created`, out, "lab up did not report %s created", id)
	}
	out = runLabCmd(t, "lab", "status", "-f", file, "--dataplane", "kernel")
	assert.NotContains(t, out, "missing", "lab status")
	assert.Contains(t, out, "backend kernel", "lab status")
	assert.Regexp(t, `dxvif-lab00001 +vlan 101 on dxcon-lab00003 +up 169.254.10.1/30 +up 169.254.10.2/30`, out,
		"lab status does not show the VIF up with its addresses")
	runLabCmd(t, "lab", "down", "-f", file)
	assert.Equal(t, before, labHostLinks(t), "host links changed")
}
