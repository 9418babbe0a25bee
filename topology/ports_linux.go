package topology

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"syscall"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology/backend"
)

// CreatePort makes a connection's veth pair between its device's namespace
// and the customer router's, both ends named after the connection and up,
// and enslaves it when the spec names a LAG. Creating a port that exists
// brings it to the spec.
func (d *DataPlane) CreatePort(ctx context.Context, p sim.PortSpec) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	if err := checkIfName(p.ConnectionID); err != nil {
		return fmt.Errorf("create port: %w", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.createPort(ctx, p)
}

func (d *DataPlane) createPort(ctx context.Context, p sim.PortSpec) error {
	if pt, ok := d.ports[p.ConnectionID]; ok {
		if pt.device != p.DeviceID {
			return fmt.Errorf("create port %s on %s: it exists on device %s", p.ConnectionID, p.DeviceID, pt.device)
		}
		return d.setMembership(ctx, pt, p.LAGID)
	}
	if p.LAGID != "" {
		lg, ok := d.lags[p.LAGID]
		if !ok {
			return fmt.Errorf("create port %s: %w", p.ConnectionID, &backend.NotFoundError{Kind: "LAG", ID: p.LAGID})
		}
		if lg.device != p.DeviceID {
			return fmt.Errorf("create port %s on %s: LAG %s is on device %s", p.ConnectionID, p.DeviceID, p.LAGID, lg.device)
		}
	}
	dev, err := d.device(p.DeviceID, true)
	if err != nil {
		return fmt.Errorf("create port %s: %w", p.ConnectionID, err)
	}
	if err := addVeth(d.log, dev.aws, dev.cust, p.ConnectionID); err != nil {
		if !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("create port: %w", err)
		}
		// Left by an earlier run or made by hand: adopt it if it is whole.
		if err := d.adoptPort(dev, p.ConnectionID); err != nil {
			return fmt.Errorf("create port: %w", err)
		}
	}
	pt := &port{id: p.ConnectionID, device: p.DeviceID}
	d.ports[p.ConnectionID] = pt
	if p.LAGID == "" {
		return nil
	}
	if err := d.setMembership(ctx, pt, p.LAGID); err != nil {
		// Half-made: remove the pair rather than leave a standalone port the
		// control plane believes is a member.
		delete(d.ports, p.ConnectionID)
		if derr := delLink(dev.aws, p.ConnectionID); derr != nil {
			d.log.Warn("removing half-made port", "connection", p.ConnectionID, "err", derr)
		}
		return fmt.Errorf("create port %s: %w", p.ConnectionID, err)
	}
	return nil
}

// adoptPort accepts an existing interface as the port if both ends are
// there, and brings them up; otherwise it replaces what is there.
func (d *DataPlane) adoptPort(dev *device, id string) error {
	_, aerr := linkByName(dev.aws, id)
	_, cerr := linkByName(dev.cust, id)
	if aerr == nil && cerr == nil {
		if err := setUp(dev.aws, id, true); err != nil {
			return err
		}
		return setUp(dev.cust, id, true)
	}
	for _, ns := range []*netNS{dev.aws, dev.cust} {
		if err := delLink(ns, id); err != nil {
			return err
		}
	}
	return addVeth(d.log, dev.aws, dev.cust, id)
}

// setMembership moves a port into lagID ("" for standalone) with the
// down-change-up sequence, if it is not there already.
func (d *DataPlane) setMembership(ctx context.Context, pt *port, lagID string) error {
	if pt.lag == lagID {
		return nil
	}
	// Not an operation's interruption: a port made or repaired into its
	// place.
	m := sim.Move{ConnectionID: pt.id, From: pt.lag, To: lagID}
	var err error
	if lagID == "" {
		_, err = d.detach(ctx, pt, m)
	} else {
		_, err = d.attach(ctx, pt, m)
	}
	return err
}

// DeletePort deletes a connection's veth pair (both ends go with either)
// and the VLANs on it. Deleting an unknown port is not an error.
func (d *DataPlane) DeletePort(ctx context.Context, connectionID string) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	pt, ok := d.ports[connectionID]
	if !ok {
		return nil
	}
	dev, err := d.device(pt.device, false)
	if err != nil {
		return fmt.Errorf("delete port %s: %w", connectionID, err)
	}
	for _, ns := range []*netNS{dev.aws, dev.cust} {
		if err := delLink(ns, connectionID); err != nil {
			return fmt.Errorf("delete port: %w", err)
		}
	}
	delete(d.ports, connectionID)
	d.stopFlaps(connectionID)
	delete(d.faults, connectionID)
	delete(d.applied, sideKey{connectionID, sim.FaultSideAWS})
	delete(d.applied, sideKey{connectionID, sim.FaultSideCustomer})
	d.forgetVLANsOn(connectionID)
	return nil
}

// forgetVLANsOn drops the VLANs whose parent the kernel removed with it.
func (d *DataPlane) forgetVLANsOn(parent string) {
	for id, v := range d.vlans {
		if v.spec.ParentID == parent {
			delete(d.vlans, id)
		}
	}
}

// native is the byte order of netlink's fixed fields.
var native = binary.NativeEndian

func linkByName(ns *netNS, name string) (netlink.Link, error) { return backend.LinkByName(ns.bk, name) }

// delLink deletes an interface by name; an absent one is not an error.
func delLink(ns *netNS, name string) error { return backend.DelLink(ns.bk, name) }

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
			return &backend.NotFoundError{Kind: "interface", ID: name + " in " + ns.name}
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
