package bgp

import (
	"net"
	"net/netip"
	"time"

	"github.com/osrg/gobgp/v4/pkg/apiutil"
	"github.com/osrg/gobgp/v4/pkg/packet/bgp"
	"github.com/vishvananda/netlink"
)

// rtprotBGP marks the routes a speaker installs as BGP's (RTPROT_BGP), as
// `ip route` shows them ("proto bgp").
const rtprotBGP = 186

// onBest installs each new best route learned from a neighbour into the
// namespace's main table, and removes withdrawn ones. The speaker runs in
// the customer router's namespace, so the table is that router's. Each
// route has the router's metric: another router there (the customer's
// other VIF) may have a route to the same prefix, with a metric of its
// own, and neither replaces nor removes the other's; a session that goes
// down withdraws its routes at once, and the other's carry the traffic.
func (r *router) onBest(paths []*apiutil.Path, _ time.Time) {
	for _, p := range paths {
		prefix, ok := nlriPrefix(p.Nlri)
		if !ok || !p.PeerAddress.IsValid() || p.PeerAddress.IsUnspecified() {
			continue // not a unicast prefix, or one of the router's own
		}
		if p.Withdrawal {
			r.uninstall(prefix)
			continue
		}
		nh := nextHop(p)
		if !nh.IsValid() {
			continue
		}
		if err := netlink.RouteReplace(r.route(prefix, nh)); err != nil {
			r.sp.log.Error("installing a route", "router", r.spec.ID, "prefix", prefix, "via", nh, "err", err)
			continue
		}
		r.mu.Lock()
		r.installed[prefix] = nh
		r.mu.Unlock()
	}
}

func (r *router) uninstall(prefix netip.Prefix) {
	r.mu.Lock()
	nh, ok := r.installed[prefix]
	delete(r.installed, prefix)
	r.mu.Unlock()
	if !ok {
		return
	}
	if err := netlink.RouteDel(r.route(prefix, nh)); err != nil {
		r.sp.log.Error("removing a route", "router", r.spec.ID, "prefix", prefix, "err", err)
	}
}

// uninstallAll removes every route the router installed.
func (r *router) uninstallAll() {
	r.mu.Lock()
	prefixes := make([]netip.Prefix, 0, len(r.installed))
	for p := range r.installed {
		prefixes = append(prefixes, p)
	}
	r.mu.Unlock()
	for _, p := range prefixes {
		r.uninstall(p)
	}
}

// route is a route of this router's in the kernel's terms: the prefix,
// the gateway, BGP's protocol and the router's metric, which with the
// prefix tell it from another router's route to the same prefix.
func (r *router) route(prefix netip.Prefix, nh netip.Addr) *netlink.Route {
	return &netlink.Route{Dst: ipNet(prefix), Gw: nh.AsSlice(), Protocol: rtprotBGP, Priority: int(r.spec.Metric)}
}

func nextHop(p *apiutil.Path) netip.Addr {
	for _, a := range p.Attrs {
		switch a := a.(type) {
		case *bgp.PathAttributeNextHop:
			return a.Value
		case *bgp.PathAttributeMpReachNLRI:
			return a.Nexthop
		}
	}
	return netip.Addr{}
}

func ipNet(p netip.Prefix) *net.IPNet {
	bits := 32
	if p.Addr().Is6() {
		bits = 128
	}
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), bits)}
}
