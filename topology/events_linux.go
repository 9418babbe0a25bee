package topology

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/dxsim/dxsim/lacp"
	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/bus"
	"github.com/dxsim/dxsim/topology/backend"
	"github.com/dxsim/dxsim/topology/internal/linkwatch"
	"github.com/dxsim/dxsim/topology/userspace"
)

// watchLinks watches link changes in ns and turns them into events until
// the returned stop is called. A watch lost to an overflowing socket is
// repaired, and what changed meanwhile reported (nsLinks.Resync).
func (d *DataPlane) watchLinks(ns *netNS) (stop func(), err error) {
	var opts []linkwatch.Option
	if d.opts.linkBuffer != 0 {
		opts = append(opts, linkwatch.WithReceiveBuffer(d.opts.linkBuffer))
	}
	w, err := linkwatch.Watch(ns.ns, d.log.With("ns", ns.name), nsLinks{d: d, ns: ns.name, side: sideOf(ns.role)}, opts...)
	if err != nil {
		return nil, fmt.Errorf("watching links in %s: %w", ns.name, err)
	}
	d.watches.add(w)
	return runOnce(func() {
		w.Stop()
		d.watches.remove(w)
	}), nil
}

// LinkResyncs counts the times a namespace's link watch was lost (its socket
// overflowed) and repaired from a fresh list of its links, since Open.
func (d *DataPlane) LinkResyncs() uint64 { return d.watches.resyncs() }

// watchSet is the data plane's live link watches, and the resyncs of those
// stopped, so that the count never goes back.
type watchSet struct {
	mu      sync.Mutex
	live    map[*linkwatch.Watcher]bool
	stopped uint64
}

func (s *watchSet) add(w *linkwatch.Watcher) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.live == nil {
		s.live = map[*linkwatch.Watcher]bool{}
	}
	s.live[w] = true
}

func (s *watchSet) remove(w *linkwatch.Watcher) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.live, w)
	s.stopped += w.Resyncs()
}

func (s *watchSet) resyncs() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.stopped
	for w := range s.live {
		n += w.Resyncs()
	}
	return n
}

// nsLinks turns one namespace's link changes into events.
type nsLinks struct {
	d    *DataPlane
	ns   string
	side sim.Side
}

func (n nsLinks) Update(u netlink.LinkUpdate) {
	gone := u.Header.Type == unix.RTM_DELLINK
	n.d.onLink(n.ns, n.side, u.Link, u.IfInfomsg.Flags, gone)
}

// Resync reports every port's and LAG interface's carrier as listed (the
// sink passes only changes), and as gone each one it knew that is no longer
// listed: deleted while the watch was lost.
func (n nsLinks) Resync(links []netlink.Link) {
	seen := make(map[string]bool, len(links))
	for _, l := range links {
		seen[l.Attrs().Name] = true
		n.d.onLink(n.ns, n.side, l, l.Attrs().RawFlags, false)
	}
	n.d.ev.vanished(n.ns, seen)
}

func sideOf(r role) sim.Side {
	if r == roleRouter {
		return sim.SideCustomer
	}
	return sim.SideAWS
}

// onLink reports a port's or a LAG interface's carrier, given its flags; the
// sink passes only changes. It does not take d.mu: Teardown holds it while
// it stops the watchers.
func (d *DataPlane) onLink(ns string, side sim.Side, l netlink.Link, flags uint32, gone bool) {
	name := l.Attrs().Name
	up := flags&unix.IFF_UP != 0 && flags&unix.IFF_LOWER_UP != 0
	k := linkKey{ns: ns, name: name}
	switch {
	case l.Type() == "veth":
		d.ev.link(k, sim.Event{Kind: sim.EventLink, Side: side, ConnectionID: name}, up, gone)
	case isLAGInterface(l):
		d.ev.link(k, sim.Event{Kind: sim.EventLAG, Side: side, LAGID: name}, up, gone)
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
func (d *DataPlane) onEngineEvent(ns *backend.NS, e userspace.Event) {
	if e.Kind != userspace.EventMember {
		return
	}
	r, _, ok := d.names.parse(ns.Name)
	if !ok {
		return
	}
	d.ev.member(linkKey{ns: ns.Name, name: e.Member}, sim.Event{
		Kind: sim.EventLACP, Side: sideOf(r), ConnectionID: e.Member, LAGID: e.LAG,
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
	lags, err := d.be.LAGs(ctxBackground, ns.bk)
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

// eventSink turns observed states into sim.Events, one per change: it
// remembers the last state of each link and LAG member and reports only
// differences, on the data plane's event bus. Publishing never blocks the
// watchers.
type eventSink struct {
	bus bus.Bus[sim.Event]
	now func() time.Time

	mu      sync.Mutex
	carrier map[linkKey]linkState
	actor   map[linkKey]lacp.State
}

type linkKey struct{ ns, name string }

// linkState is an interface's last state and the event that reports it.
type linkState struct {
	up bool
	e  sim.Event
}

func newEventSink(now func() time.Time) *eventSink {
	return &eventSink{
		now:     now,
		carrier: map[linkKey]linkState{},
		actor:   map[linkKey]lacp.State{},
	}
}

// link records a port's or LAG interface's carrier and reports a change.
// gone says the interface was deleted: a port that was up goes down.
func (s *eventSink) link(k linkKey, e sim.Event, up, gone bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	last, known := s.carrier[k]
	was := last.up
	if gone || (up && known && !was) {
		// A member whose link came back is reported afresh, even if the
		// bond says the same as before: a link down and up within one
		// poll of its LACP state would otherwise leave the control plane
		// with the member down. (While the link is down, the bond's last
		// word, not yet changed, is no news.)
		delete(s.actor, k)
	}
	if gone {
		delete(s.carrier, k)
		if !known || !was {
			return
		}
		up = false
	} else {
		s.carrier[k] = linkState{up: up, e: e}
		if known && was == up {
			return
		}
		if !known && !up {
			return // a new interface starts down: nothing has changed yet
		}
	}
	e.Up = up
	s.send(e)
}

// vanished reports as gone every interface of ns the sink knows of that is
// not in seen: one deleted while nobody was listening.
func (s *eventSink) vanished(ns string, seen map[string]bool) {
	s.mu.Lock()
	var gone []linkKey
	var events []sim.Event
	for k, c := range s.carrier {
		if k.ns == ns && !seen[k.name] {
			gone = append(gone, k)
			events = append(events, c.e)
		}
	}
	s.mu.Unlock()
	for i, k := range gone {
		s.link(k, events[i], false, true)
	}
}

// member records a LAG member's actor state and reports a change.
func (s *eventSink) member(k linkKey, e sim.Event, st lacp.State) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if was, ok := s.actor[k]; ok && was == st {
		return
	}
	s.actor[k] = st
	e.LACPState = uint8(st)
	s.send(e)
}

// forgetMembers drops the members of a namespace not in seen, so that a
// member that rejoins is reported afresh.
func (s *eventSink) forgetMembers(ns string, seen map[string]bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.actor {
		if k.ns == ns && !seen[k.name] {
			delete(s.actor, k)
		}
	}
}

func (s *eventSink) send(e sim.Event) {
	e.Time = s.now()
	s.bus.Publish(e)
}

// ctxBackground is for backend calls made by the data plane's own
// goroutines, which end through d.stop rather than a caller's context.
var ctxBackground = context.Background()

// runOnce makes f safe to call more than once: only the first call runs it.
func runOnce(f func()) func() {
	var once sync.Once
	return func() { once.Do(f) }
}
