package topology

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/vishvananda/netlink"
)

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
