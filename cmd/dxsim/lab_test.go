package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"

	"github.com/dxsim/dxsim/sim/lab"
	"github.com/dxsim/dxsim/topology/netnstest"
)

func labHostLinks(t *testing.T) []string {
	t.Helper()
	links, err := netlink.LinkList()
	if err != nil {
		t.Fatal(err)
	}
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
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("dxsim %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
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
	if err := os.WriteFile(file, []byte(labJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { runLabCmd(t, "lab", "down", "-f", file) })

	out := runLabCmd(t, "lab", "up", "-f", file, "--dataplane", "userspace")
	for _, c := range []string{"dxcon-labt0001", "dxcon-labt0002"} {
		if !regexp.MustCompile(c + ` +missing +created`).MatchString(out) {
			t.Errorf("lab up did not report %s created:\n%s", c, out)
		}
		if !regexp.MustCompile(c + ` +EqDC2-test +up +up`).MatchString(out) {
			t.Errorf("lab up's status does not show %s up on both ends:\n%s", c, out)
		}
	}
	if out := runLabCmd(t, "lab", "up", "-f", file, "--dataplane", "userspace"); !strings.Contains(out, "already up") {
		t.Errorf("second lab up:\n%s", out)
	}
	out = runLabCmd(t, "lab", "status", "-f", file, "--dataplane", "userspace")
	if !regexp.MustCompile(`dxcon-labt0002 +EqDC2-test +up +up`).MatchString(out) {
		t.Errorf("lab status:\n%s", out)
	}
	if out := runLabCmd(t, "lab", "down", "-f", file); !strings.Contains(out, "deleted 2 namespaces") {
		t.Errorf("lab down:\n%s", out)
	}
	out = runLabCmd(t, "lab", "status", "-f", file, "--dataplane", "userspace")
	if !regexp.MustCompile(`dxcon-labt0001 +EqDC2-test +missing +missing`).MatchString(out) {
		t.Errorf("lab status after down:\n%s", out)
	}
	runLabCmd(t, "lab", "down", "-f", file) // status made nothing to leave behind
	if after := labHostLinks(t); !slices.Equal(before, after) {
		t.Errorf("host links changed: before %v, after %v", before, after)
	}
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
	if err := os.WriteFile(file, []byte(def), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { runLabCmd(t, "lab", "down", "-f", file) })
	out := runLabCmd(t, "lab", "up", "-f", file, "--dataplane", "kernel")
	for _, id := range []string{"dxlag-lab00001", "dxcon-lab00001", "dxcon-lab00002", "dxcon-lab00003", "dxvif-lab00001"} {
		if !regexp.MustCompile(id + ` +missing +created`).MatchString(out) {
			t.Errorf("lab up did not report %s created:\n%s", id, out)
		}
	}
	out = runLabCmd(t, "lab", "status", "-f", file, "--dataplane", "kernel")
	if strings.Contains(out, "missing") || !strings.Contains(out, "backend kernel") {
		t.Errorf("lab status:\n%s", out)
	}
	if !regexp.MustCompile(`dxvif-lab00001 +vlan 101 on dxcon-lab00003 +up 169.254.10.1/30 +up 169.254.10.2/30`).MatchString(out) {
		t.Errorf("lab status does not show the VIF up with its addresses:\n%s", out)
	}
	runLabCmd(t, "lab", "down", "-f", file)
	if after := labHostLinks(t); !slices.Equal(before, after) {
		t.Errorf("host links changed: before %v, after %v", before, after)
	}
}
