package kernel

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"

	"github.com/dxsim/dxsim/lacp"
	"github.com/dxsim/dxsim/topology/backend"
)

// Backend builds LAGs as the kernel's 802.3ad bonds and VIFs as its 802.1Q
// VLAN devices. It keeps nothing: the kernel holds it all.
type Backend struct{}

var _ backend.Backend = Backend{}

// Name is "kernel".
func (Backend) Name() string { return "kernel" }

func (k Backend) CreateLAG(ctx context.Context, ns *backend.NS, c backend.LAGConfig) error {
	// NewLinkBond's -1 defaults mean "leave to the kernel": an explicit
	// ArpInterval of 0, for one, makes the kernel refuse an 802.3ad bond.
	attrs := netlink.NewLinkAttrs() // TxQLen -1: leave the queue length alone
	attrs.Name, attrs.HardwareAddr = c.Name, c.SystemMAC
	bond := netlink.NewLinkBond(attrs)
	bond.Mode = netlink.BOND_MODE_802_3AD
	bond.LacpRate = netlink.BOND_LACP_RATE_FAST
	bond.Miimon = 100
	bond.MinLinks = c.MinLinks
	bond.AdActorSystem = c.SystemMAC
	err := ns.Netlink.LinkAdd(bond)
	if errors.Is(err, unix.EEXIST) {
		l, lerr := ns.Netlink.LinkByName(c.Name)
		if lerr != nil {
			return fmt.Errorf("bond %s in %s: %w", c.Name, ns.Name, lerr)
		}
		if _, ok := l.(*netlink.Bond); !ok {
			return fmt.Errorf("bond %s in %s: a %s device has that name", c.Name, ns.Name, l.Type())
		}
		if err := k.SetMinLinks(ctx, ns, c.Name, c.MinLinks); err != nil {
			return err
		}
		return ns.Netlink.LinkSetUp(l)
	}
	if err != nil {
		return fmt.Errorf("bond %s in %s: %w", c.Name, ns.Name, err)
	}
	if err := ns.Netlink.LinkSetUp(bond); err != nil {
		_ = ns.Netlink.LinkDel(bond)
		return fmt.Errorf("bond %s in %s: up: %w", c.Name, ns.Name, err)
	}
	return nil
}

func (Backend) DeleteLAG(_ context.Context, ns *backend.NS, name string) error {
	return backend.DelLink(ns, name)
}

func (Backend) SetMinLinks(_ context.Context, ns *backend.NS, name string, n int) error {
	l, err := backend.LinkByName(ns, name)
	if err != nil {
		return err
	}
	// By index and with min_links alone, as `ip link set … type bond
	// min_links` does: the library's LinkModify also sends the name, which
	// a 6.1 kernel refuses for an interface that is up (EBUSY), even
	// unchanged.
	req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_ACK)
	req.Sockets = map[int]*nl.SocketHandle{unix.NETLINK_ROUTE: ns.Sock}
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Index = int32(l.Attrs().Index)
	req.AddData(msg)
	info := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
	info.AddRtAttr(nl.IFLA_INFO_KIND, nl.NonZeroTerminated("bond"))
	data := info.AddRtAttr(nl.IFLA_INFO_DATA, nil)
	data.AddRtAttr(nl.IFLA_BOND_MIN_LINKS, nl.Uint32Attr(uint32(n)))
	req.AddData(info)
	if _, err := req.Execute(unix.NETLINK_ROUTE, 0); err != nil {
		return fmt.Errorf("bond %s in %s: min_links %d: %w", name, ns.Name, n, err)
	}
	return nil
}

// AddMembers enslaves one member at a time: the kernel enslaves only a port
// that is down, so members come to it down (it is no backend.UpFirst).
func (Backend) AddMembers(_ context.Context, ns *backend.NS, ms []backend.Membership) (int, error) {
	for i, m := range ms {
		if err := addMember(ns, m.LAG, m.Port); err != nil {
			return i, err
		}
	}
	return len(ms), nil
}

func addMember(ns *backend.NS, lag, member string) error {
	bond, err := backend.LinkByName(ns, lag)
	if err != nil {
		return err
	}
	m, err := backend.LinkByName(ns, member)
	if err != nil {
		return err
	}
	if m.Attrs().MasterIndex == bond.Attrs().Index {
		return nil
	}
	if err := ns.Netlink.LinkSetMasterByIndex(m, bond.Attrs().Index); err != nil {
		return fmt.Errorf("enslaving %s to %s in %s: %w", member, lag, ns.Name, err)
	}
	return nil
}

func (Backend) RemoveMember(_ context.Context, ns *backend.NS, lag, member string) error {
	m, err := backend.LinkByName(ns, member)
	if err != nil {
		return err
	}
	if m.Attrs().MasterIndex == 0 {
		return nil
	}
	if err := ns.Netlink.LinkSetNoMaster(m); err != nil {
		return fmt.Errorf("releasing %s from %s in %s: %w", member, lag, ns.Name, err)
	}
	return nil
}

func (Backend) CreateVLAN(_ context.Context, ns *backend.NS, v backend.VLANConfig) error {
	parent, err := backend.LinkByName(ns, v.Parent)
	if err != nil {
		return err
	}
	if l, err := ns.Netlink.LinkByName(v.Name); err == nil {
		if vl, ok := l.(*netlink.Vlan); ok && vl.VlanId == v.VID && vl.ParentIndex == parent.Attrs().Index {
			return ns.Netlink.LinkSetUp(l)
		}
		return fmt.Errorf("VLAN %s in %s: %w", v.Name, ns.Name, unix.EEXIST)
	}
	attrs := netlink.NewLinkAttrs()
	attrs.Name, attrs.ParentIndex, attrs.Flags = v.Name, parent.Attrs().Index, net.FlagUp
	vl := &netlink.Vlan{LinkAttrs: attrs, VlanId: v.VID}
	if err := ns.Netlink.LinkAdd(vl); err != nil {
		return fmt.Errorf("VLAN %s (%d on %s) in %s: %w", v.Name, v.VID, v.Parent, ns.Name, err)
	}
	return nil
}

// MoveVLAN re-creates the VLAN device: the kernel cannot change a VLAN's
// lower device.
func (k Backend) MoveVLAN(ctx context.Context, ns *backend.NS, v backend.VLANConfig) error {
	if err := backend.DelLink(ns, v.Name); err != nil {
		return err
	}
	return k.CreateVLAN(ctx, ns, v)
}

func (Backend) DeleteVLAN(_ context.Context, ns *backend.NS, name string) error {
	return backend.DelLink(ns, name)
}

func (Backend) LAGs(_ context.Context, ns *backend.NS) ([]backend.LAGStatus, error) {
	links, err := ns.Netlink.LinkList()
	if err != nil {
		return nil, fmt.Errorf("listing links in %s: %w", ns.Name, err)
	}
	var out []backend.LAGStatus
	for _, l := range links {
		b, ok := l.(*netlink.Bond)
		if !ok {
			continue
		}
		s := backend.LAGStatus{Name: b.Name, Up: backend.Carrier(b.Attrs()), MinLinks: b.MinLinks}
		for _, m := range links {
			if m.Attrs().MasterIndex != b.Index {
				continue
			}
			ms := backend.MemberStatus{Name: m.Attrs().Name, Up: backend.Carrier(m.Attrs())}
			if bs, ok := m.Attrs().Slave.(*netlink.BondSlave); ok {
				ms.Actor = lacp.State(bs.AdActorOperPortState)
				ms.Partner = lacp.State(bs.AdPartnerOperPortState)
			}
			s.Members = append(s.Members, ms)
		}
		out = append(out, s)
	}
	return out, nil
}

// LAGStatus is one bond's, picked from LAGs.
func (k Backend) LAGStatus(ctx context.Context, ns *backend.NS, name string) (backend.LAGStatus, error) {
	all, err := k.LAGs(ctx, ns)
	return backend.Pick(all, err, name)
}

func (Backend) VLANs(_ context.Context, ns *backend.NS) ([]backend.VLANConfig, error) {
	links, err := ns.Netlink.LinkList()
	if err != nil {
		return nil, fmt.Errorf("listing links in %s: %w", ns.Name, err)
	}
	byIndex := make(map[int]string, len(links))
	for _, l := range links {
		byIndex[l.Attrs().Index] = l.Attrs().Name
	}
	var out []backend.VLANConfig
	for _, l := range links {
		if v, ok := l.(*netlink.Vlan); ok {
			out = append(out, backend.VLANConfig{Name: v.Name, Parent: byIndex[v.ParentIndex], VID: v.VlanId})
		}
	}
	return out, nil
}

func (Backend) Forget(*backend.NS) func() { return func() {} }
func (Backend) Close() error              { return nil }
