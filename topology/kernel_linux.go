package topology

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"

	"github.com/dxsim/dxsim/lacp"
)

// kernelBackend builds LAGs as the kernel's 802.3ad bonds and VIFs as its
// 802.1Q VLAN devices.
type kernelBackend struct{}

var _ backend = kernelBackend{}

func (kernelBackend) Name() string { return "kernel" }

func (k kernelBackend) CreateLAG(ctx context.Context, ns *netNS, c lagConfig) error {
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
	err := ns.h.LinkAdd(bond)
	if errors.Is(err, unix.EEXIST) {
		l, lerr := ns.h.LinkByName(c.Name)
		if lerr != nil {
			return fmt.Errorf("bond %s in %s: %w", c.Name, ns.name, lerr)
		}
		if _, ok := l.(*netlink.Bond); !ok {
			return fmt.Errorf("bond %s in %s: a %s device has that name", c.Name, ns.name, l.Type())
		}
		if err := k.SetMinLinks(ctx, ns, c.Name, c.MinLinks); err != nil {
			return err
		}
		return ns.h.LinkSetUp(l)
	}
	if err != nil {
		return fmt.Errorf("bond %s in %s: %w", c.Name, ns.name, err)
	}
	if err := ns.h.LinkSetUp(bond); err != nil {
		_ = ns.h.LinkDel(bond)
		return fmt.Errorf("bond %s in %s: up: %w", c.Name, ns.name, err)
	}
	return nil
}

func (kernelBackend) DeleteLAG(_ context.Context, ns *netNS, name string) error {
	return delLink(ns, name)
}

func (kernelBackend) SetMinLinks(_ context.Context, ns *netNS, name string, n int) error {
	l, err := linkByName(ns, name)
	if err != nil {
		return err
	}
	// By index and with min_links alone, as `ip link set … type bond
	// min_links` does: the library's LinkModify also sends the name, which
	// a 6.1 kernel refuses for an interface that is up (EBUSY), even
	// unchanged.
	req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_ACK)
	req.Sockets = map[int]*nl.SocketHandle{unix.NETLINK_ROUTE: ns.sock}
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Index = int32(l.Attrs().Index)
	req.AddData(msg)
	info := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
	info.AddRtAttr(nl.IFLA_INFO_KIND, nl.NonZeroTerminated("bond"))
	data := info.AddRtAttr(nl.IFLA_INFO_DATA, nil)
	data.AddRtAttr(nl.IFLA_BOND_MIN_LINKS, nl.Uint32Attr(uint32(n)))
	req.AddData(info)
	if _, err := req.Execute(unix.NETLINK_ROUTE, 0); err != nil {
		return fmt.Errorf("bond %s in %s: min_links %d: %w", name, ns.name, n, err)
	}
	return nil
}

// MembersUpFirst is false: the kernel enslaves only a port that is down.
func (kernelBackend) MembersUpFirst() bool { return false }

// AddMembers enslaves one member at a time.
func (k kernelBackend) AddMembers(ctx context.Context, ns *netNS, ms []membership) (int, error) {
	for i, m := range ms {
		if err := k.AddMember(ctx, ns, m.lag, m.port); err != nil {
			return i, err
		}
	}
	return len(ms), nil
}

func (kernelBackend) AddMember(_ context.Context, ns *netNS, lag, member string) error {
	bond, err := linkByName(ns, lag)
	if err != nil {
		return err
	}
	m, err := linkByName(ns, member)
	if err != nil {
		return err
	}
	if m.Attrs().MasterIndex == bond.Attrs().Index {
		return nil
	}
	if err := ns.h.LinkSetMasterByIndex(m, bond.Attrs().Index); err != nil {
		return fmt.Errorf("enslaving %s to %s in %s: %w", member, lag, ns.name, err)
	}
	return nil
}

func (kernelBackend) RemoveMember(_ context.Context, ns *netNS, lag, member string) error {
	m, err := linkByName(ns, member)
	if err != nil {
		return err
	}
	if m.Attrs().MasterIndex == 0 {
		return nil
	}
	if err := ns.h.LinkSetNoMaster(m); err != nil {
		return fmt.Errorf("releasing %s from %s in %s: %w", member, lag, ns.name, err)
	}
	return nil
}

func (kernelBackend) CreateVLAN(_ context.Context, ns *netNS, v vlanConfig) error {
	parent, err := linkByName(ns, v.Parent)
	if err != nil {
		return err
	}
	if l, err := ns.h.LinkByName(v.Name); err == nil {
		if vl, ok := l.(*netlink.Vlan); ok && vl.VlanId == v.VID && vl.ParentIndex == parent.Attrs().Index {
			return ns.h.LinkSetUp(l)
		}
		return fmt.Errorf("VLAN %s in %s: %w", v.Name, ns.name, unix.EEXIST)
	}
	attrs := netlink.NewLinkAttrs()
	attrs.Name, attrs.ParentIndex, attrs.Flags = v.Name, parent.Attrs().Index, net.FlagUp
	vl := &netlink.Vlan{LinkAttrs: attrs, VlanId: v.VID}
	if err := ns.h.LinkAdd(vl); err != nil {
		return fmt.Errorf("VLAN %s (%d on %s) in %s: %w", v.Name, v.VID, v.Parent, ns.name, err)
	}
	return nil
}

// MoveVLAN re-creates the VLAN device: the kernel cannot change a VLAN's
// lower device.
func (k kernelBackend) MoveVLAN(ctx context.Context, ns *netNS, v vlanConfig) error {
	if err := delLink(ns, v.Name); err != nil {
		return err
	}
	return k.CreateVLAN(ctx, ns, v)
}

func (kernelBackend) DeleteVLAN(_ context.Context, ns *netNS, name string) error {
	return delLink(ns, name)
}

func (kernelBackend) LAGs(_ context.Context, ns *netNS) ([]LAGStatus, error) {
	links, err := ns.h.LinkList()
	if err != nil {
		return nil, fmt.Errorf("listing links in %s: %w", ns.name, err)
	}
	var out []LAGStatus
	for _, l := range links {
		b, ok := l.(*netlink.Bond)
		if !ok {
			continue
		}
		s := LAGStatus{Name: b.Name, Up: carrier(b.Attrs()), MinLinks: b.MinLinks}
		for _, m := range links {
			if m.Attrs().MasterIndex != b.Index {
				continue
			}
			ms := MemberStatus{Name: m.Attrs().Name, Up: carrier(m.Attrs())}
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

func (k kernelBackend) LAGStatus(ctx context.Context, ns *netNS, name string) (LAGStatus, error) {
	return lagStatusFrom(k.LAGs(ctx, ns))(name)
}

func (kernelBackend) VLANs(_ context.Context, ns *netNS) ([]vlanConfig, error) {
	links, err := ns.h.LinkList()
	if err != nil {
		return nil, fmt.Errorf("listing links in %s: %w", ns.name, err)
	}
	byIndex := make(map[int]string, len(links))
	for _, l := range links {
		byIndex[l.Attrs().Index] = l.Attrs().Name
	}
	var out []vlanConfig
	for _, l := range links {
		if v, ok := l.(*netlink.Vlan); ok {
			out = append(out, vlanConfig{Name: v.Name, Parent: byIndex[v.ParentIndex], VID: v.VlanId})
		}
	}
	return out, nil
}

func (kernelBackend) Forget(*netNS) func() { return func() {} }
func (kernelBackend) Close() error         { return nil }

// lagStatusFrom picks one LAG out of a listing.
func lagStatusFrom(all []LAGStatus, err error) func(string) (LAGStatus, error) {
	return func(name string) (LAGStatus, error) {
		if err != nil {
			return LAGStatus{}, err
		}
		for _, s := range all {
			if s.Name == name {
				return s, nil
			}
		}
		return LAGStatus{}, &NotFoundError{Kind: "LAG interface", ID: name}
	}
}
