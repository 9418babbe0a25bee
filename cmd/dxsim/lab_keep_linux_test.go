package main

import (
	"bytes"
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"

	"github.com/dxsim/dxsim/topology/netnstest"
)

// labRepairLimit bounds waiting for a running lab up to repair damage: it
// repairs half a second after a link goes, or within 5 s when none does.
// A bound on a hang, not a measurement.
const labRepairLimit = 20 * time.Second

// keepLabJSON is a device with a LAG of two connections and a standalone
// connection with a VIF (no BGP: nothing here needs it).
const keepLabJSON = `{"id": "EqDC2-keep", "location": "EqDC2",
	"lags": [{"id": "dxlag-keep0001", "minimumLinks": 1}],
	"connections": [{"id": "dxcon-keep0001", "lag": "dxlag-keep0001"}, {"id": "dxcon-keep0002", "lag": "dxlag-keep0001"},
		{"id": "dxcon-keep0003"}],
	"vifs": [{"id": "dxvif-keep0001", "on": "dxcon-keep0003", "vlan": 102,
		"amazonAddress": "169.254.30.1/30", "customerAddress": "169.254.30.2/30"}]}`

// labWhole waits until lab status shows every object of the keep lab there
// and up: the ports up on both ends, the VIF up on both sides and the LAG's
// interfaces there. With the userspace backend the LAG's carrier waits for
// LACP, which is not what repair is about.
func labWhole(t *testing.T, file, backend, when string, up *labUpRun) string {
	t.Helper()
	want := []*regexp.Regexp{
		regexp.MustCompile(`dxlag-keep0001 +EqDC2-keep +(up|down) \(min 1\) +(up|down) \(min 1\)`),
		regexp.MustCompile(`dxcon-keep0001 +dxlag-keep0001 +up +up`),
		regexp.MustCompile(`dxcon-keep0002 +dxlag-keep0001 +up +up`),
		regexp.MustCompile(`dxcon-keep0003 +EqDC2-keep +up +up`),
		regexp.MustCompile(`dxvif-keep0001 +vlan 102 on dxcon-keep0003 +up 169.254.30.1/30 +up 169.254.30.2/30`),
	}
	var out string
	deadline := time.Now().Add(labRepairLimit)
	for {
		var b bytes.Buffer
		err := runLab(context.Background(), &b, "lab", "status", "-f", file, "--dataplane", backend)
		require.NoError(t, err, "lab status\n%s", &b)
		out = b.String()
		whole := true
		for _, re := range want {
			whole = whole && re.MatchString(out)
		}
		if whole {
			return out
		}
		if time.Now().After(deadline) {
			require.FailNow(t, "lab not whole "+when, "lab status:\n%s\nlab up:\n%s", out, &up.out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitRepair waits until lab up has printed a repair matching re.
func waitRepair(t *testing.T, up *labUpRun, what string, re *regexp.Regexp) {
	t.Helper()
	deadline := time.Now().Add(labRepairLimit)
	for !re.MatchString(up.out.String()) {
		if time.Now().After(deadline) {
			require.FailNow(t, "no repair: "+what, "want %s in lab up's output:\n%s", re, &up.out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// labDamage is a hand edit of the keep lab and the repairs lab up must
// print for it; kernel says which backend the lab runs on.
type labDamage struct {
	name    string
	kernel  bool // only where members are the kernel's to release
	do      func(t *testing.T, aws, cust *netlink.Handle)
	repairs func(kernel bool) []string
}

var labDamages = []labDamage{
	{
		name: "customer end of a member deleted",
		do:   func(t *testing.T, _, cust *netlink.Handle) { delLinkIn(t, cust, "dxcon-keep0002") },
		repairs: func(bool) []string {
			return []string{`dxcon-keep0002: found missing; created`}
		},
	},
	{
		name: "AWS end of a standalone port down",
		do:   func(t *testing.T, aws, _ *netlink.Handle) { downLinkIn(t, aws, "dxcon-keep0003") },
		repairs: func(bool) []string {
			return []string{`dxcon-keep0003: found down; brought up`}
		},
	},
	{
		name: "customer end of a member down",
		do:   func(t *testing.T, _, cust *netlink.Handle) { downLinkIn(t, cust, "dxcon-keep0001") },
		repairs: func(bool) []string {
			return []string{`dxcon-keep0001: found down; brought up`}
		},
	},
	{
		name:   "member released on the AWS side",
		kernel: true,
		do: func(t *testing.T, aws, _ *netlink.Handle) {
			l, err := aws.LinkByName("dxcon-keep0001")
			require.NoError(t, err)
			require.NoError(t, aws.LinkSetNoMaster(l), "ip link set dxcon-keep0001 nomaster")
		},
		repairs: func(bool) []string {
			return []string{`dxcon-keep0001: found member of "" \(customer side "dxlag-keep0001"\), want "dxlag-keep0001"; re-enslaved`}
		},
	},
	{
		// No link goes down: the periodic repair finds it.
		name: "VIF deleted on the customer side",
		do:   func(t *testing.T, _, cust *netlink.Handle) { delLinkIn(t, cust, "dxvif-keep0001") },
		repairs: func(kernel bool) []string {
			found := "interface gone on the customer side" // the engine still has its TAP's file
			if kernel {
				found = "half missing"
			}
			return []string{
				`dxvif-keep0001: found ` + found + `; deleted, to be recreated`,
				`dxvif-keep0001: found missing; created`,
			}
		},
	},
}

func downLinkIn(t *testing.T, h *netlink.Handle, name string) {
	t.Helper()
	l, err := h.LinkByName(name)
	require.NoError(t, err, "%s", name)
	require.NoError(t, h.LinkSetDown(l), "ip link set %s down", name)
}

// testLabUpRepairs runs lab up of the keep lab in the foreground, damages
// the lab a piece at a time, and checks that lab up repairs each, saying
// what it found and did, and that lab status then shows the lab whole.
func testLabUpRepairs(t *testing.T, backend string) {
	before := labHostLinks(t)
	file, l := writeLab(t, keepLabJSON)
	_, up := startLabUp(t, file, l, "--dataplane", backend, "--watch")
	kernel := backend == "kernel"
	labWhole(t, file, backend, "after lab up", up)
	aws, cust := labHandles(t, l, "EqDC2-keep")
	for _, dm := range labDamages {
		if dm.kernel && !kernel {
			continue
		}
		t.Run(dm.name, func(t *testing.T) {
			dm.do(t, aws, cust)
			for _, r := range dm.repairs(kernel) {
				waitRepair(t, up, dm.name, regexp.MustCompile(`\d\d:\d\d:\d\d\.\d{3} repair   `+r))
			}
			labWhole(t, file, backend, "after "+dm.name, up)
		})
	}
	assert.NotContains(t, up.out.String(), "repair   failed", "lab up")
	runLabCmd(t, "lab", "down", "-f", file)
	require.NoError(t, up.wait(t), "lab up stopped by lab down")
	assert.Equal(t, before, labHostLinks(t), "host links changed")
}

// TestLabUpRepairsDamage: a running lab up puts back a port deleted or
// taken down by hand on either side and a VIF deleted, and prints each
// repair.
func TestLabUpRepairsDamage(t *testing.T) {
	netnstest.RequireRoot(t)
	netnstest.SkipOnKernelRun(t, "the userspace engine; TestLabUpRepairsDamageOnKernel is the kernel's")
	testLabUpRepairs(t, "userspace")
}

// TestLabUpRepairsDamageOnKernel is the same with bonds and VLANs, and a
// member released from its bond; scripts/vmtest runs it on a kernel that
// has them.
func TestLabUpRepairsDamageOnKernel(t *testing.T) {
	netnstest.RequireBondingAndVLAN(t)
	testLabUpRepairs(t, "kernel")
}
