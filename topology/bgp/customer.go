package bgp

import (
	"fmt"
	"hash/fnv"
	"maps"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/dxsim/dxsim/sim"
)

// customerSpace is where builtin customer routers' networks come from: the
// shared address space of RFC 6598, a /24 per customer router.
var customerSpace = netip.MustParsePrefix("100.64.0.0/10")

// customerSpace6 is where builtin customer routers' IPv6 networks come
// from: a unique local /48 (RFC 4193), a /64 per customer router, numbered
// as its IPv4 /24 is.
var customerSpace6 = netip.MustParsePrefix("fd64:dc::/48")

// Metrics of the routes the builtin customer router installs: each VIF of
// one customer router has its own in this range.
const (
	minMetric = 100
	maxMetric = 65535
)

// customerNS is what the builtin customer router in one namespace has
// while any of its VIFs has BGP: its network, and each VIF's metric.
type customerNS struct {
	net     netip.Prefix
	metrics map[string]uint32 // by VIF ID
}

// customerRouter is the builtin customer side of a VIF: the customer's ASN,
// Amazon as its neighbour, the customer router's network (with an address
// on its loopback) advertised, and what it learns installed with the VIF's
// metric. Every VIF of one customer router advertises the same network, as
// a customer's router advertises its LAN on each of its VIFs: so the
// customer's traffic has another way when one VIF's session goes down.
func (c *Controller) customerRouter(r sim.BGPRouter, custNS string) (Router, error) {
	cr := c.customerNS(custNS)
	out := Router{ID: r.VIFID, Install: true, Metric: cr.metric(r.VIFID)}
	for _, p := range r.Peers {
		local, err1 := netip.ParsePrefix(p.CustomerAddress)
		remote, err2 := netip.ParsePrefix(p.AmazonAddress)
		if err1 != nil || err2 != nil {
			return Router{}, fmt.Errorf("peer %s: addresses %q, %q", p.PeerID, p.CustomerAddress, p.AmazonAddress)
		}
		out.ASN = uint32(p.ASN)
		// Passive: Amazon's side connects, and no second connection
		// collides with its.
		out.Peers = append(out.Peers, Peer{Local: local.Addr(), Address: remote.Addr(), ASN: uint32(r.AmazonASN), AuthKey: p.AuthKey, Passive: true})
	}
	out.RouterID = cr.net.Addr().Next()
	out.Announce = []Route{{Prefix: cr.net}}
	if slices.ContainsFunc(out.Peers, func(p Peer) bool { return p.Address.Is6() }) {
		out.Announce = append(out.Announce, Route{Prefix: customerNet6(cr.net)})
	}
	sideFaults(&out, faultsOf(r.Peers, func(p sim.BGPSessionSpec) sim.BGPSideFault { return p.Customer }))
	return out, nil
}

// customerNS returns a customer router's network and metrics, its network
// picked if it has none: a /24 of customerSpace picked by the namespace's
// name (the next free one on a clash), kept while the namespace has VIFs
// with BGP (forgetCustomerVIF). c.mu is held.
func (c *Controller) customerNS(name string) *customerNS {
	if cr, ok := c.custs[name]; ok {
		return cr
	}
	used := map[netip.Prefix]bool{}
	for _, cr := range c.custs {
		used[cr.net] = true
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	slots := uint32(1) << (24 - customerSpace.Bits())
	base := customerSpace.Addr().As4()
	var n netip.Prefix
	for i := range slots {
		slot := (h.Sum32() + i) % slots
		a := base
		a[1] |= byte(slot >> 8)
		a[2] = byte(slot)
		if n = netip.PrefixFrom(netip.AddrFrom4(a), 24); !used[n] {
			break
		}
	}
	cr := &customerNS{net: n, metrics: map[string]uint32{}}
	c.custs[name] = cr
	return cr
}

// metric is a VIF's metric in its customer router: in the order of the
// VIFs' IDs (the next free one on a clash with another VIF of the router),
// so that, all else equal, the router sends by the VIF with the lowest ID,
// as Amazon sends back by it (topology/region); kept while the VIF has BGP,
// so it is the same on every reconcile.
func (cr *customerNS) metric(vifID string) uint32 {
	if m, ok := cr.metrics[vifID]; ok {
		return m
	}
	used := map[uint32]bool{}
	for _, m := range cr.metrics {
		used[m] = true
	}
	const slots = maxMetric - minMetric + 1
	var m uint32
	for i := range uint32(slots) {
		if m = minMetric + (idOrder(vifID)+i)%slots; !used[m] {
			break
		}
	}
	cr.metrics[vifID] = m
	return m
}

// idOrder is a number that grows with an ID's first three characters after
// its kind ("dxvif-"), read in base 36: 0 to 46,655, within the metrics'
// range.
func idOrder(id string) uint32 {
	if i := strings.LastIndexByte(id, '-'); i >= 0 {
		id = id[i+1:]
	}
	var n uint32
	for i := range 3 {
		n *= 36
		if i >= len(id) {
			continue
		}
		switch c := id[i]; {
		case c >= '0' && c <= '9':
			n += uint32(c - '0')
		case c >= 'a' && c <= 'z':
			n += uint32(c-'a') + 10
		case c >= 'A' && c <= 'Z':
			n += uint32(c-'A') + 10
		}
	}
	return n
}

// forgetCustomerVIF drops a VIF's metric from its customer router, and the
// router's network with its last VIF. c.mu is held.
func (c *Controller) forgetCustomerVIF(custNS, vifID string) {
	cr, ok := c.custs[custNS]
	if !ok {
		return
	}
	delete(cr.metrics, vifID)
	if len(cr.metrics) == 0 {
		delete(c.custs, custNS)
	}
}

// customerNet6 is the IPv6 network of the customer router whose IPv4
// network is n.
func customerNet6(n netip.Prefix) netip.Prefix {
	v4 := n.Addr().As4()
	a := customerSpace6.Addr().As16()
	a[6], a[7] = v4[1]&^byte(customerSpace.Addr().As4()[1]), v4[2]
	return netip.PrefixFrom(netip.AddrFrom16(a), 64)
}

// addCustomerNet puts a customer network's first address on the customer
// router's loopback, so that what it advertises is an address it has.
func addCustomerNet(custNS string, n netip.Prefix) error {
	ns, err := netns.GetFromName(custNS)
	if err != nil {
		return fmt.Errorf("namespace %s: %w", custNS, err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		return err
	}
	defer h.Close()
	lo, err := h.LinkByName("lo")
	if err == nil {
		err = h.LinkSetUp(lo)
	}
	if err == nil {
		first := n.Addr().Next()
		a := &netlink.Addr{IPNet: &net.IPNet{IP: first.AsSlice(), Mask: net.CIDRMask(n.Bits(), first.BitLen())}}
		if first.Is6() {
			a.Flags = unix.IFA_F_NODAD
		}
		err = h.AddrReplace(lo, a)
	}
	if err != nil {
		return fmt.Errorf("the customer network %s on %s: %w", n, custNS, err)
	}
	return nil
}

// CustomerSession is the builtin customer router's side of one session.
type CustomerSession struct {
	VIFID string
	// Network is what it advertises: the customer router's network, the
	// same on each of the router's VIFs.
	Network netip.Prefix
	// Metric is the priority of the routes it installs, its VIF's own
	// among the router's VIFs.
	Metric uint32
	Event  // its last state and prefix counts
}

// Customer returns the builtin customer routers' sessions, by VIF.
func (c *Controller) Customer() []CustomerSession {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []CustomerSession
	for _, k := range slices.Sorted(maps.Keys(c.customer)) {
		e := c.customer[k]
		s := CustomerSession{VIFID: e.Router, Event: e}
		if a, ok := c.applied[e.Router]; ok && a.customer != nil {
			s.Network, s.Metric = a.customer.Announce[0].Prefix, a.customer.Metric
		}
		out = append(out, s)
	}
	return out
}

// faultSpace is where a too-many-prefixes fault's prefixes come from: /32s
// of 10.255.0.0/16, announced but never on an interface.
var faultSpace = netip.MustParsePrefix("10.255.0.0/16")

// sideFaults makes a router do what its side's training faults say
// (sim.BGPSideFault, one per peer, in the order of its peers): run another
// ASN or MD5 key, announce too many prefixes, reset its sessions.
func sideFaults(r *Router, faults []sim.BGPSideFault) {
	for i, f := range faults {
		if f.ASN != 0 {
			r.ASN = uint32(f.ASN)
		}
		if f.AuthKey != "" && i < len(r.Peers) {
			r.Peers[i].AuthKey = f.AuthKey
		}
		if n := f.Prefixes; n > 0 && i == 0 {
			base := faultSpace.Addr().As4()
			for k := range min(n, 1<<16) {
				a := base
				a[2], a[3] = byte(k>>8), byte(k)
				r.Announce = append(r.Announce, Route{Prefix: netip.PrefixFrom(netip.AddrFrom4(a), 32)})
			}
		}
		if !f.Reset.IsZero() {
			r.ResetAgain = faultReset(f)
		}
	}
}

// faultsOf are one side's faults of each peer.
func faultsOf(peers []sim.BGPSessionSpec, side func(sim.BGPSessionSpec) sim.BGPSideFault) []sim.BGPSideFault {
	out := make([]sim.BGPSideFault, len(peers))
	for i, p := range peers {
		out[i] = side(p)
	}
	return out
}

// faultReset names a reset fault's current reset (Router.ResetAgain): once
// when the fault is set, and again every ResetEvery (the controller
// reconciles at least every Retry).
func faultReset(f sim.BGPSideFault) string {
	n := int64(0)
	if f.ResetEvery > 0 {
		n = int64(time.Since(f.Reset) / f.ResetEvery)
	}
	return fmt.Sprintf("%d/%d", f.Reset.UnixNano(), n)
}
