package netnstest

import (
	"os"
	"testing"

	"github.com/vishvananda/netlink"
)

// RequireBondingAndVLAN skips a test whose kernel cannot make 802.3ad bonds
// and 802.1Q VLANs (this project's development hosts cannot; scripts/vmtest
// runs such tests on a kernel that can), and fails it where the kernel is
// required to have them. It probes in a fresh namespace, never the host's.
func RequireBondingAndVLAN(t testing.TB) {
	t.Helper()
	RequireRoot(t)
	_, h := NewNS(t)
	bond := netlink.NewLinkBond(netlink.LinkAttrs{Name: "dxsim-probe"})
	bond.Mode = netlink.BOND_MODE_802_3AD
	bondErr := h.LinkAdd(bond)
	var vlanErr error
	if bondErr == nil {
		vlanErr = h.LinkAdd(&netlink.Vlan{
			LinkAttrs: netlink.LinkAttrs{Name: "dxsim-probe.7", ParentIndex: bond.Attrs().Index},
			VlanId:    7,
		})
		_ = h.LinkDel(bond)
	}
	if bondErr == nil && vlanErr == nil {
		return
	}
	reason := "kernel has no bonding"
	if bondErr == nil {
		reason = "kernel has no 802.1Q VLANs"
	}
	if os.Getenv(RequireKernelEnv) == "1" {
		t.Fatalf("%s (%s=1): bond: %v, vlan: %v", reason, RequireKernelEnv, bondErr, vlanErr)
	}
	t.Skipf("%s; scripts/vmtest runs this test on a kernel that has it", reason)
}
