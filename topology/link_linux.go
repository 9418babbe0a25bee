package topology

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"syscall"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// native is the byte order of netlink's fixed fields.
var native = binary.NativeEndian

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
// never exists in the host's namespace. Two requests, no lookups.
func addVeth(log *slog.Logger, aws, cust *netNS, name string) error {
	return withL2Defaults(log, []*netNS{aws, cust}, func() error { return addVethNow(aws, cust, name) })
}

func addVethNow(aws, cust *netNS, name string) error {
	req := vethRequest(cust, name, true)
	req.Sockets = map[int]*nl.SocketHandle{unix.NETLINK_ROUTE: aws.sock}
	if _, err := req.Execute(unix.NETLINK_ROUTE, 0); err != nil {
		return fmt.Errorf("veth %s from %s to %s: %w", name, aws.name, cust.name, err)
	}
	if err := setUpByName(cust, name); err != nil {
		_ = delLink(aws, name)
		return err
	}
	return nil
}

// vethRequest asks for a veth pair named name, with its peer in cust and its
// near end up if up.
func vethRequest(cust *netNS, name string, up bool) *nl.NetlinkRequest {
	req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_CREATE|unix.NLM_F_EXCL|unix.NLM_F_ACK)
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	if up {
		msg.Flags, msg.Change = unix.IFF_UP, unix.IFF_UP
	}
	req.AddData(msg)
	req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(name)))
	// One queue each way on each end. A veth otherwise gets one per
	// possible CPU, then runs on one: the kernel makes and removes a set of
	// sysfs objects per queue for nothing, a good part of a veth's cost.
	for _, attr := range []uint16{unix.IFLA_NUM_TX_QUEUES, unix.IFLA_NUM_RX_QUEUES} {
		req.AddData(nl.NewRtAttr(int(attr), nl.Uint32Attr(1)))
	}
	info := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
	info.AddRtAttr(nl.IFLA_INFO_KIND, nl.NonZeroTerminated("veth"))
	data := info.AddRtAttr(nl.IFLA_INFO_DATA, nil)
	peer := data.AddRtAttr(nl.VETH_INFO_PEER, nil)
	// The peer's ifinfomsg cannot ask for IFF_UP: the kernel opens the peer
	// before it is joined to its other end, and veth then answers ENOTCONN.
	// The customer end is brought up by a second request.
	nl.NewIfInfomsgChild(peer, unix.AF_UNSPEC)
	peer.AddRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(name))
	peer.AddRtAttr(unix.IFLA_NET_NS_FD, nl.Uint32Attr(uint32(cust.ns)))
	peer.AddRtAttr(unix.IFLA_NUM_TX_QUEUES, nl.Uint32Attr(1))
	peer.AddRtAttr(unix.IFLA_NUM_RX_QUEUES, nl.Uint32Attr(1))
	req.AddData(info)
	return req
}

// upRequest asks for an interface, named rather than looked up, to be up.
func upRequest(name string) *nl.NetlinkRequest {
	req := nl.NewNetlinkRequest(unix.RTM_SETLINK, unix.NLM_F_ACK)
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Flags, msg.Change = unix.IFF_UP, unix.IFF_UP
	req.AddData(msg)
	req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(name)))
	return req
}

// addVeths makes many pairs as addVeth does (or, unless up, leaves both
// ends down), pipelining the requests: the kernel carries out each request
// as it is sent, and the acks are read a window at a time rather than one
// round trip each. It returns one error per name (nil for a pair made); a
// pair whose customer end could not be brought up is deleted.
func addVeths(log *slog.Logger, aws, cust *netNS, names []string, up bool) []error {
	var errs []error
	err := withL2Defaults(log, []*netNS{aws, cust}, func() error {
		errs = addVethsNow(aws, cust, names, up)
		return nil
	})
	if err != nil {
		errs = make([]error, len(names))
		for i := range errs {
			errs[i] = err
		}
	}
	return errs
}

func addVethsNow(aws, cust *netNS, names []string, up bool) []error {
	errs := pipeline(aws.sock, len(names), func(i int) *nl.NetlinkRequest { return vethRequest(cust, names[i], up) })
	var made []int
	for i, err := range errs {
		if err == nil {
			made = append(made, i)
		} else {
			errs[i] = fmt.Errorf("veth %s from %s to %s: %w", names[i], aws.name, cust.name, err)
		}
	}
	if !up {
		return errs
	}
	upErrs := pipeline(cust.sock, len(made), func(j int) *nl.NetlinkRequest { return upRequest(names[made[j]]) })
	for j, err := range upErrs {
		if err != nil {
			i := made[j]
			_ = delLink(aws, names[i])
			errs[i] = fmt.Errorf("setting %s up in %s: %w", names[i], cust.name, err)
		}
	}
	return errs
}

// upAll brings the named interfaces of ns up: one dump to learn their
// indexes, then pipelined requests by index (naming an interface that is up
// makes a 6.1 kernel answer EBUSY, and enslaving may have brought it up).
func upAll(ns *netNS, names []string) error {
	links, err := ns.h.LinkList()
	if err != nil {
		return fmt.Errorf("listing links in %s: %w", ns.name, err)
	}
	index := make(map[string]int32, len(links))
	for _, l := range links {
		index[l.Attrs().Name] = int32(l.Attrs().Index)
	}
	for _, name := range names {
		if index[name] == 0 {
			return &NotFoundError{Kind: "interface", ID: name + " in " + ns.name}
		}
	}
	errs := pipeline(ns.sock, len(names), func(i int) *nl.NetlinkRequest {
		req := nl.NewNetlinkRequest(unix.RTM_SETLINK, unix.NLM_F_ACK)
		msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
		msg.Index = index[names[i]]
		msg.Flags, msg.Change = unix.IFF_UP, unix.IFF_UP
		req.AddData(msg)
		return req
	})
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("setting %s up in %s: %w", names[i], ns.name, err)
		}
	}
	return nil
}

// pipelineWindow bounds the acks in flight: they queue in the socket's
// receive buffer until read.
const pipelineWindow = 64

// pipeline sends n requests on sh, window by window, and returns each one's
// outcome from its ack.
func pipeline(sh *nl.SocketHandle, n int, build func(i int) *nl.NetlinkRequest) []error {
	errs := make([]error, n)
	s := sh.Socket
	s.Lock()
	defer s.Unlock()
	for start := 0; start < n; start += pipelineWindow {
		end := min(start+pipelineWindow, n)
		bySeq := make(map[uint32]int, end-start)
		for i := start; i < end; i++ {
			req := build(i)
			bySeq[req.Seq] = i
			if err := s.Send(req); err != nil {
				errs[i] = err
				delete(bySeq, req.Seq)
			}
		}
		for len(bySeq) > 0 {
			msgs, from, err := s.Receive()
			if err != nil {
				for _, i := range bySeq {
					errs[i] = err
				}
				break
			}
			if from.Pid != nl.PidKernel {
				continue
			}
			for _, m := range msgs {
				i, ok := bySeq[m.Header.Seq]
				if !ok || m.Header.Type != unix.NLMSG_ERROR || len(m.Data) < 4 {
					continue
				}
				delete(bySeq, m.Header.Seq)
				if errno := int32(native.Uint32(m.Data[0:4])); errno != 0 {
					errs[i] = syscall.Errno(-errno)
				}
			}
		}
	}
	return errs
}

// setUpByName brings an interface up in one request, naming it rather than
// looking its index up first. (Naming an interface that is already up makes
// a 6.1 kernel answer EBUSY; a new veth end is down.)
func setUpByName(ns *netNS, name string) error {
	req := upRequest(name)
	req.Sockets = map[int]*nl.SocketHandle{unix.NETLINK_ROUTE: ns.sock}
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
