package topology

import (
	"fmt"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology/userspace"
)

// watchLinks subscribes to link changes in ns and turns them into events
// until the returned stop is called. The subscription goroutine is counted
// in d.wg.
func (d *DataPlane) watchLinks(ns *netNS) (stop func(), err error) {
	ch := make(chan netlink.LinkUpdate, 256)
	done := make(chan struct{})
	h := ns.ns
	err = netlink.LinkSubscribeWithOptions(ch, done, netlink.LinkSubscribeOptions{
		Namespace:     &h,
		ErrorCallback: func(err error) { d.watchError(ns.name, err, done) },
	})
	if err != nil {
		close(done)
		return nil, fmt.Errorf("watching links in %s: %w", ns.name, err)
	}
	side := sideOf(ns.role)
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		for u := range ch {
			d.onLinkUpdate(ns.name, side, u)
		}
	}()
	return runOnce(func() { close(done) }), nil
}

// watchError logs a subscription failure unless it is the subscription
// being stopped.
func (d *DataPlane) watchError(ns string, err error, done <-chan struct{}) {
	select {
	case <-done:
	default:
		d.log.Warn("link watch", "ns", ns, "err", err)
	}
}

func sideOf(r role) sim.Side {
	if r == roleRouter {
		return sim.SideCustomer
	}
	return sim.SideAWS
}

// onLinkUpdate reports a port's or a LAG interface's carrier change. It does
// not take d.mu: Teardown holds it while it stops the watchers.
func (d *DataPlane) onLinkUpdate(ns string, side sim.Side, u netlink.LinkUpdate) {
	a := u.Link.Attrs()
	gone := u.Header.Type == unix.RTM_DELLINK
	up := u.IfInfomsg.Flags&unix.IFF_UP != 0 && u.IfInfomsg.Flags&unix.IFF_LOWER_UP != 0
	k := linkKey{ns: ns, name: a.Name}
	switch {
	case u.Link.Type() == "veth":
		d.ev.link(k, sim.Event{Kind: sim.EventLink, Side: side, ConnectionID: a.Name}, up, gone)
	case isLAGInterface(u.Link):
		d.ev.link(k, sim.Event{Kind: sim.EventLAG, Side: side, LAGID: a.Name}, up, gone)
	}
}

// isLAGInterface tells a LAG's logical interface: a bond, or the userspace
// engine's TAP device named after the LAG.
func isLAGInterface(l netlink.Link) bool {
	switch l.Type() {
	case "bond":
		return true
	case "tuntap":
		return strings.HasPrefix(l.Attrs().Name, "dxlag-")
	}
	return false
}

// onEngineEvent reports a userspace LAG member's LACP change as the engine
// makes it. The poll reports the same states; the sink passes each change
// once, whichever sees it first.
func (d *DataPlane) onEngineEvent(ns *netNS, e userspace.Event) {
	if e.Kind != userspace.EventMember {
		return
	}
	d.ev.member(linkKey{ns: ns.name, name: e.Member}, sim.Event{
		Kind: sim.EventLACP, Side: sideOf(ns.role), ConnectionID: e.Member, LAGID: e.LAG,
	}, e.Actor)
}

// pollLACP reads every LAG member's 802.3ad actor state on an interval and
// reports changes: the bond does not announce them in link notifications.
func (d *DataPlane) pollLACP() {
	defer d.wg.Done()
	t := time.NewTicker(d.opts.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-d.stop:
			return
		case <-t.C:
			d.pollOnce()
		}
	}
}

func (d *DataPlane) pollOnce() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.lags) == 0 {
		return
	}
	for _, dev := range d.devices {
		for _, ns := range []*netNS{dev.aws, dev.cust} {
			d.pollNS(ns)
		}
	}
}

// pollNS reads one namespace's LAGs. d.mu is held.
func (d *DataPlane) pollNS(ns *netNS) {
	lags, err := d.backend.LAGs(ctxBackground, ns)
	if err != nil {
		d.log.Debug("polling LACP state", "ns", ns.name, "err", err)
		return
	}
	side := sideOf(ns.role)
	seen := map[string]bool{}
	for _, l := range lags {
		for _, m := range l.Members {
			seen[m.Name] = true
			d.ev.member(linkKey{ns: ns.name, name: m.Name}, sim.Event{
				Kind: sim.EventLACP, Side: side, ConnectionID: m.Name, LAGID: l.Name,
			}, m.Actor)
		}
	}
	d.ev.forgetMembers(ns.name, seen)
}
