package topology

import (
	"errors"
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// carrier reports whether a link is up and has carrier: what "the link is
// up" means to the other end and to a bond.
func carrier(a *netlink.LinkAttrs) bool {
	return a.Flags&net.FlagUp != 0 && a.RawFlags&unix.IFF_LOWER_UP != 0
}

func linkByName(ns *netNS, name string) (netlink.Link, error) {
	l, err := ns.h.LinkByName(name)
	var nf netlink.LinkNotFoundError
	if errors.As(err, &nf) {
		return nil, &NotFoundError{Kind: "interface", ID: name + " in " + ns.name}
	}
	if err != nil {
		return nil, fmt.Errorf("%s in %s: %w", name, ns.name, err)
	}
	return l, nil
}

// delLink deletes an interface by name; an absent one is not an error.
func delLink(ns *netNS, name string) error {
	l, err := linkByName(ns, name)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := ns.h.LinkDel(l); err != nil && !errors.Is(err, unix.ENODEV) {
		return fmt.Errorf("deleting %s in %s: %w", name, ns.name, err)
	}
	return nil
}

// setUp brings an interface up or down by name.
func setUp(ns *netNS, name string, up bool) error {
	l, err := linkByName(ns, name)
	if err != nil {
		return err
	}
	if up {
		err = ns.h.LinkSetUp(l)
	} else {
		err = ns.h.LinkSetDown(l)
	}
	if err != nil {
		return fmt.Errorf("setting %s in %s up=%v: %w", name, ns.name, up, err)
	}
	return nil
}

// addVeth makes a veth pair from aws into cust, both ends named name and
// both up. The pair is made inside aws with its peer placed in cust, so it
// never exists in the host's namespace. Two requests, no lookups: a lab of a
// thousand ports costs two thousand round trips rather than the library's
// five thousand.
func addVeth(aws, cust *netNS, name string) error {
	req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_CREATE|unix.NLM_F_EXCL|unix.NLM_F_ACK)
	req.Sockets = map[int]*nl.SocketHandle{unix.NETLINK_ROUTE: aws.sock}
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Flags, msg.Change = unix.IFF_UP, unix.IFF_UP
	req.AddData(msg)
	req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(name)))
	info := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
	info.AddRtAttr(nl.IFLA_INFO_KIND, nl.NonZeroTerminated("veth"))
	data := info.AddRtAttr(nl.IFLA_INFO_DATA, nil)
	peer := data.AddRtAttr(nl.VETH_INFO_PEER, nil)
	// The peer's ifinfomsg cannot ask for IFF_UP: this kernel (6.18)
	// answers ENOTCONN. The customer end is brought up by a second request.
	nl.NewIfInfomsgChild(peer, unix.AF_UNSPEC)
	peer.AddRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(name))
	peer.AddRtAttr(unix.IFLA_NET_NS_FD, nl.Uint32Attr(uint32(cust.ns)))
	req.AddData(info)
	if _, err := req.Execute(unix.NETLINK_ROUTE, 0); err != nil {
		return fmt.Errorf("veth %s from %s to %s: %w", name, aws.name, cust.name, err)
	}
	if err := setUpByName(cust, name); err != nil {
		_ = delLink(aws, name)
		return err
	}
	return nil
}

// setUpByName brings an interface up in one request, naming it rather than
// looking its index up first.
func setUpByName(ns *netNS, name string) error {
	req := nl.NewNetlinkRequest(unix.RTM_SETLINK, unix.NLM_F_ACK)
	req.Sockets = map[int]*nl.SocketHandle{unix.NETLINK_ROUTE: ns.sock}
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Flags, msg.Change = unix.IFF_UP, unix.IFF_UP
	req.AddData(msg)
	req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(name)))
	if _, err := req.Execute(unix.NETLINK_ROUTE, 0); err != nil {
		return fmt.Errorf("setting %s up in %s: %w", name, ns.name, err)
	}
	return nil
}

// teardownGroup is the interface group dxsim moves interfaces into to
// delete them in one batch.
const teardownGroup = 0x64787369 // "dxsi"

// deleteTAPs deletes every TAP device in ns in one request: moved into a
// group, then the group deleted, so the kernel unregisters them together.
// One at a time (as closing each TAP's file does) each waits for the kernel
// to quiesce, which for a few hundred LAGs takes seconds.
func deleteTAPs(ns *netNS) error {
	links, err := ns.h.LinkList()
	if err != nil {
		return fmt.Errorf("listing links in %s: %w", ns.name, err)
	}
	n := 0
	for _, l := range links {
		if l.Type() != "tuntap" {
			continue
		}
		if err := ns.h.LinkSetGroup(l, teardownGroup); err != nil {
			return fmt.Errorf("grouping %s in %s: %w", l.Attrs().Name, ns.name, err)
		}
		n++
	}
	if n == 0 {
		return nil
	}
	req := nl.NewNetlinkRequest(unix.RTM_DELLINK, unix.NLM_F_ACK)
	req.Sockets = map[int]*nl.SocketHandle{unix.NETLINK_ROUTE: ns.sock}
	req.AddData(nl.NewIfInfomsg(unix.AF_UNSPEC))
	req.AddData(nl.NewRtAttr(unix.IFLA_GROUP, nl.Uint32Attr(teardownGroup)))
	if _, err := req.Execute(unix.NETLINK_ROUTE, 0); err != nil {
		return fmt.Errorf("deleting %d TAP devices in %s: %w", n, ns.name, err)
	}
	return nil
}
