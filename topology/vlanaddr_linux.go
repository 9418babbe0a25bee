package topology

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology/backend"
)

// A VLAN's addresses: one pair per BGP peer of its VIF (IPv4, IPv6 or
// both), on the DX device's side and the customer router's. dxsim made the
// VLAN's interfaces, so their global addresses are exactly the spec's: a
// peer deleted takes its address away.

// SetVLANAddresses gives an existing VLAN exactly v's addresses on both
// sides (a VIF's BGP peer came or went).
func (d *DataPlane) SetVLANAddresses(ctx context.Context, v sim.VLANSpec) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	old, ok := d.vlans[v.ID]
	if !ok {
		return fmt.Errorf("set VLAN addresses: %w", &backend.NotFoundError{Kind: "VLAN", ID: v.ID})
	}
	dev, err := d.device(old.device, false)
	if err != nil {
		return fmt.Errorf("set VLAN addresses of %s: %w", v.ID, err)
	}
	spec := old.spec
	spec.AmazonAddress, spec.CustomerAddress = v.AmazonAddress, v.CustomerAddress
	spec.AmazonAddress2, spec.CustomerAddress2 = v.AmazonAddress2, v.CustomerAddress2
	return d.setVLANAddrs(dev, spec, old)
}

// setVLANAddrs puts spec's addresses on the VLAN's two interfaces and
// records them. d.mu is held.
func (d *DataPlane) setVLANAddrs(dev *device, spec sim.VLANSpec, v *vlan) error {
	if err := setAddrs(dev.aws, spec.ID, spec.Amazon()); err != nil {
		return err
	}
	if err := setAddrs(dev.cust, spec.ID, spec.Customer()); err != nil {
		return err
	}
	v.spec = spec
	return nil
}

// setAddrs makes an interface's global addresses exactly cidrs. IPv6
// addresses skip duplicate address detection: the link is dxsim's own, and
// a tentative address could not be bound (BGP listens on it at once).
func setAddrs(ns *netNS, ifname string, cidrs []string) error {
	l, err := linkByName(ns, ifname)
	if err != nil {
		return err
	}
	have, err := ns.h.AddrList(l, netlink.FAMILY_ALL)
	if err != nil {
		return fmt.Errorf("addresses of %s in %s: %w", ifname, ns.name, err)
	}
	want := map[string]*netlink.Addr{}
	for _, cidr := range cidrs {
		a, err := netlink.ParseAddr(cidr)
		if err != nil {
			return fmt.Errorf("address %q for %s: %w", cidr, ifname, err)
		}
		if a.IP.To4() == nil {
			a.Flags |= unix.IFA_F_NODAD
		}
		want[a.IPNet.String()] = a
	}
	for _, a := range have {
		if a.Scope != unix.RT_SCOPE_UNIVERSE {
			continue // link-local: the kernel's
		}
		if _, ok := want[a.IPNet.String()]; ok {
			delete(want, a.IPNet.String())
			continue
		}
		if err := ns.h.AddrDel(l, &a); err != nil {
			return fmt.Errorf("removing address %s from %s in %s: %w", a.IPNet, ifname, ns.name, err)
		}
	}
	for _, cidr := range slices.Sorted(maps.Keys(want)) {
		if err := ns.h.AddrReplace(l, want[cidr]); err != nil {
			return fmt.Errorf("address %s on %s in %s: %w", cidr, ifname, ns.name, err)
		}
	}
	return nil
}

// sameAddrs reports whether two lists of CIDRs hold the same addresses,
// whatever their order and spelling.
func sameAddrs(a, b []string) bool {
	norm := func(l []string) []string {
		out := make([]string, 0, len(l))
		for _, s := range l {
			if p, err := netip.ParsePrefix(s); err == nil {
				s = p.String()
			}
			out = append(out, s)
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(norm(a), norm(b))
}

// compareCIDRs orders CIDRs IPv4 first, then by address.
func compareCIDRs(a, b string) int {
	pa, errA := netip.ParsePrefix(a)
	pb, errB := netip.ParsePrefix(b)
	if errA != nil || errB != nil {
		return strings.Compare(a, b)
	}
	return pa.Addr().Compare(pb.Addr())
}

// pick is l[i], or "" past its end.
func pick(l []string, i int) string {
	if i < len(l) {
		return l[i]
	}
	return ""
}
