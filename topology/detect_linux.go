package topology

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/vishvananda/netlink"
)

// Features is what the running kernel can build.
type Features struct {
	Bonding error // nil when the kernel makes 802.3ad bonds
	VLAN    error // nil when it makes 802.1Q VLAN devices
}

// ProbeFeatures asks the kernel to make an 802.3ad bond and a VLAN on it in
// a throwaway namespace ("dxsim-probe-…"), never the host's, and removes it.
// Module loading is the kernel's business: on a kernel with loadable modules
// the request itself loads bonding and 8021q.
func ProbeFeatures() (Features, error) {
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := DefaultPrefix + "-probe-" + hex.EncodeToString(b[:])
	ns, err := openOrCreateNS(name)
	if err != nil {
		return Features{}, fmt.Errorf("probing kernel features: %w", err)
	}
	defer func() {
		ns.close()
		_ = deleteNS(name)
	}()
	var f Features
	bond := netlink.NewLinkBond(netlink.LinkAttrs{Name: "probe-bond"})
	bond.Mode = netlink.BOND_MODE_802_3AD
	f.Bonding = ns.h.LinkAdd(bond)
	// The VLAN needs a parent of any kind; a veth pair exists everywhere.
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "probe-a"}, PeerName: "probe-b"}
	if err := ns.h.LinkAdd(veth); err != nil {
		return Features{}, fmt.Errorf("probing kernel features: veth: %w", err)
	}
	f.VLAN = ns.h.LinkAdd(&netlink.Vlan{
		LinkAttrs: netlink.LinkAttrs{Name: "probe-a.7", ParentIndex: veth.Attrs().Index},
		VlanId:    7,
	})
	return f, nil
}

// chooseBackend picks the backend the mode names ("kernel" or "userspace")
// and says why.
func chooseBackend(mode string, probe func() (Features, error)) (string, string, error) {
	switch mode {
	case "auto", "kernel", "userspace":
	default:
		return "", "", fmt.Errorf("unknown data-plane backend %q: want auto, kernel or userspace", mode)
	}
	if mode == "userspace" {
		return "userspace", "asked for userspace", nil
	}
	f, err := probe()
	if err != nil {
		return "", "", err
	}
	var missing error
	switch {
	case f.Bonding != nil:
		missing = &MissingFeatureError{Module: "bonding", Err: f.Bonding}
	case f.VLAN != nil:
		missing = &MissingFeatureError{Module: "8021q", Err: f.VLAN}
	}
	switch {
	case missing == nil && mode == "kernel":
		return "kernel", "asked for kernel; bonding and 802.1Q present", nil
	case missing == nil:
		return "kernel", "kernel has bonding and 802.1Q", nil
	case mode == "kernel":
		return "", "", fmt.Errorf("--dataplane kernel: %w", missing)
	default:
		return "userspace", missing.Error(), nil
	}
}
