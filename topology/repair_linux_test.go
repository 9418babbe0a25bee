package topology

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"

	"github.com/dxsim/dxsim/sim"
)

// damage is a hand edit of a built default lab, what Status shows of it,
// and what Reconcile must report repairing. kernel says which backend: the
// two see some damage differently.
type damage struct {
	name    string
	do      func(t *testing.T, d *DataPlane, aws, cust *netlink.Handle)
	missing func(st Status) bool // the damage as Status shows it
	drift   func(kernel bool) []sim.Drift
}

var lagDrift = func(problem string) []sim.Drift {
	return []sim.Drift{{ObjectID: "dxcon-lab00001", Problem: problem, Action: "re-enslaved"}, {ObjectID: "dxcon-lab00002", Problem: problem, Action: "re-enslaved"}}
}

var damages = []damage{
	{
		name: "AWS end down",
		do:   func(t *testing.T, _ *DataPlane, aws, _ *netlink.Handle) { linkDown(t, aws, "dxcon-lab00001") },
		drift: func(bool) []sim.Drift {
			return []sim.Drift{{ObjectID: "dxcon-lab00001", Problem: "down", Action: "brought up"}}
		},
	},
	{
		name: "customer end down",
		do:   func(t *testing.T, _ *DataPlane, _, cust *netlink.Handle) { linkDown(t, cust, "dxcon-lab00003") },
		drift: func(bool) []sim.Drift {
			return []sim.Drift{{ObjectID: "dxcon-lab00003", Problem: "down", Action: "brought up"}}
		},
	},
	{
		name: "member deleted",
		do:   func(t *testing.T, _ *DataPlane, _, cust *netlink.Handle) { linkDel(t, cust, "dxcon-lab00002") },
		missing: func(st Status) bool {
			p := portStatus(st, "dxcon-lab00002")
			return p.AWSMissing && p.CustomerMissing
		},
		drift: func(bool) []sim.Drift {
			return []sim.Drift{{ObjectID: "dxcon-lab00002", Problem: "missing", Action: "created"}}
		},
	},
	{
		name: "member released on the customer side",
		do: func(t *testing.T, d *DataPlane, _, cust *netlink.Handle) {
			if name, _ := d.Backend(); name == "kernel" {
				l, err := cust.LinkByName("dxcon-lab00001")
				require.NoError(t, err)
				require.NoError(t, cust.LinkSetNoMaster(l), "ip link set dxcon-lab00001 nomaster")
				return
			}
			// A userspace member is the engine's: only it can let one go.
			dev := d.devices["dev1"]
			require.NoError(t, d.be.RemoveMember(context.Background(), dev.cust.bk, "dxlag-lab00001", "dxcon-lab00001"))
		},
		drift: func(bool) []sim.Drift {
			return []sim.Drift{{ObjectID: "dxcon-lab00001", Problem: `member of "dxlag-lab00001" (customer side ""), want "dxlag-lab00001"`, Action: "re-enslaved"}}
		},
	},
	{
		name: "VLAN deleted on the customer side",
		do:   func(t *testing.T, _ *DataPlane, _, cust *netlink.Handle) { linkDel(t, cust, "dxvif-lab00001") },
		missing: func(st Status) bool {
			v := vlanStatus(st, "dxvif-lab00001")
			return !v.AWSMissing && v.CustomerMissing
		},
		drift: func(kernel bool) []sim.Drift {
			problem := "interface gone on the customer side" // the engine still has its TAP's file
			if kernel {
				problem = "half missing"
			}
			return []sim.Drift{
				{ObjectID: "dxvif-lab00001", Problem: problem, Action: "deleted, to be recreated"},
				{ObjectID: "dxvif-lab00001", Problem: "missing", Action: "created"},
			}
		},
	},
	{
		name: "LAG interface deleted on the AWS side",
		do:   func(t *testing.T, _ *DataPlane, aws, _ *netlink.Handle) { linkDel(t, aws, "dxlag-lab00001") },
		missing: func(st Status) bool {
			return len(st.LAGs) == 1 && st.LAGs[0].AWS.Name == "" && st.LAGs[0].Customer.Name != ""
		},
		drift: func(kernel bool) []sim.Drift {
			if kernel {
				// The bond took its members' AWS ends with it; the other
				// side is as it was.
				return append([]sim.Drift{{ObjectID: "dxlag-lab00001", Problem: "missing", Action: "created"}},
					lagDrift(`member of "" (customer side "dxlag-lab00001"), want "dxlag-lab00001"`)...)
			}
			return append([]sim.Drift{
				{ObjectID: "dxlag-lab00001", Problem: "interface gone on the AWS side", Action: "deleted, to be recreated"},
				{ObjectID: "dxlag-lab00001", Problem: "missing", Action: "created"},
			}, lagDrift(`member of "" (customer side ""), want "dxlag-lab00001"`)...)
		},
	},
}

func TestReconcileRepairsDamage(t *testing.T) {
	for _, dm := range damages {
		t.Run(dm.name, func(t *testing.T) { testRepair(t, openTest(t, nil), dm) })
	}
}

func TestKernelReconcileRepairsDamage(t *testing.T) {
	for _, dm := range damages {
		t.Run(dm.name, func(t *testing.T) { testRepair(t, openKernel(t), dm) })
	}
}

// testRepair builds the default lab, damages it, and checks that Status
// shows the damage and one Reconcile repairs it, reporting what it did.
func testRepair(t *testing.T, d *DataPlane, dm damage) {
	ctx := context.Background()
	_, err := d.Reconcile(ctx, defaultLab)
	require.NoError(t, err)
	aws := handleIn(t, d.names.ns(roleDevice, "dev1"))
	cust := handleIn(t, d.names.ns(roleRouter, "dev1"))
	dm.do(t, d, aws, cust)
	if dm.missing != nil {
		st, err := d.Status(ctx)
		require.NoError(t, err)
		assert.True(t, dm.missing(st), "status does not show the damage: %+v", st)
	}
	kernel := d.be.Name() == "kernel"
	drift, err := d.Reconcile(ctx, defaultLab)
	require.NoError(t, err)
	want := dm.drift(kernel)
	sortDrift(want) // as Reconcile reports it: by object, in the order of its steps
	assert.Equal(t, want, drift, "what reconcile repaired")
	drift, err = d.Reconcile(ctx, defaultLab)
	require.NoError(t, err)
	assert.Empty(t, drift, "a second reconcile")
	waitWhole(t, d)
}

// waitWhole waits until Status shows every port and VLAN of the default
// lab up on both sides and each LAG with its interface on both.
func waitWhole(t *testing.T, d *DataPlane) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := d.Status(context.Background())
		require.NoError(t, err)
		bad := whole(st)
		if bad == "" {
			return
		}
		if time.Now().After(deadline) {
			require.FailNow(t, "not repaired", "%s: %+v", bad, st)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func whole(st Status) string {
	if len(st.Ports) != len(defaultLab.Ports) || len(st.VLANs) != len(defaultLab.VLANs) || len(st.LAGs) != len(defaultLab.LAGs) {
		return "objects missing from status"
	}
	for _, p := range st.Ports {
		if !p.AWSUp || !p.CustomerUp || p.AWSMissing || p.CustomerMissing {
			return p.ConnectionID + " not up"
		}
	}
	for _, v := range st.VLANs {
		if !v.AWSUp || !v.CustomerUp || v.AWSMissing || v.CustomerMissing {
			return v.ID + " not up"
		}
	}
	for _, l := range st.LAGs {
		if l.AWS.Name == "" || l.Customer.Name == "" {
			return l.LAGID + " missing"
		}
	}
	return ""
}

func portStatus(st Status, id string) PortStatus {
	for _, p := range st.Ports {
		if p.ConnectionID == id {
			return p
		}
	}
	return PortStatus{}
}

func vlanStatus(st Status, id string) VLANStatus {
	for _, v := range st.VLANs {
		if v.ID == id {
			return v
		}
	}
	return VLANStatus{}
}

func linkDown(t *testing.T, h *netlink.Handle, name string) {
	t.Helper()
	l, err := h.LinkByName(name)
	require.NoError(t, err, "%s", name)
	require.NoError(t, h.LinkSetDown(l), "ip link set %s down", name)
}

func linkDel(t *testing.T, h *netlink.Handle, name string) {
	t.Helper()
	l, err := h.LinkByName(name)
	require.NoError(t, err, "%s", name)
	require.NoError(t, h.LinkDel(l), fmt.Sprintf("ip link del %s", name))
}
