package bgp

import (
	"net/netip"
	"slices"
	"time"

	"github.com/osrg/gobgp/v4/pkg/apiutil"
	"github.com/osrg/gobgp/v4/pkg/packet/bgp"
)

// onUpdate takes the paths a neighbour sent, as GoBGP has them before its
// import policy (there is none): a neighbour's paths refused for an AS loop
// are not among them, and each withdrawal is. With report, they are kept as
// what the neighbour's session has accepted. They arrive on the watch that
// tells of the session's states (onPeer), in order: a session's paths after
// it is established and before it goes down, when onPeer forgets them.
// Reading GoBGP's global RIB instead makes a table of 2,048 shards on every
// read, which for 200 VIFs costs the speaker 100 MB.
func (r *router) onUpdate(paths []*apiutil.Path, _ time.Time) {
	if r.report {
		r.mu.Lock()
		for _, p := range paths {
			r.accept(p)
		}
		r.mu.Unlock()
	}
	r.dirty()
}

// accept keeps one path from a neighbour, or its withdrawal. r.mu is held.
func (r *router) accept(p *apiutil.Path) {
	from := p.PeerAddress
	prefix, ok := nlriPrefix(p.Nlri)
	if !ok || !from.IsValid() || from.IsUnspecified() {
		return
	}
	if p.Withdrawal {
		delete(r.accepted[from], prefix)
		return
	}
	path, ok := pathOf(p)
	if !ok {
		return
	}
	if r.accepted[from] == nil {
		r.accepted[from] = map[netip.Prefix]Path{}
	}
	r.accepted[from][prefix] = path
}

// acceptedFrom is what the neighbour at addr has accepted, sorted by
// prefix. r.mu is held.
func (r *router) acceptedFrom(addr netip.Addr) []Path {
	m := r.accepted[addr]
	if len(m) == 0 {
		return nil
	}
	out := make([]Path, 0, len(m))
	for _, p := range m {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Path) int { return comparePrefixes(a.Prefix, b.Prefix) })
	return out
}

// pathOf is a GoBGP path as Event.Routes tells it; false for one that is
// not a unicast prefix with a next hop.
func pathOf(p *apiutil.Path) (Path, bool) {
	prefix, ok := nlriPrefix(p.Nlri)
	if !ok {
		return Path{}, false
	}
	out := Path{Prefix: prefix, NextHop: nextHop(p)}
	if !out.NextHop.IsValid() {
		return Path{}, false
	}
	for _, a := range p.Attrs {
		switch a := a.(type) {
		case *bgp.PathAttributeCommunities:
			out.Communities = slices.Clone(a.Value)
		case *bgp.PathAttributeAsPath:
			for _, seg := range a.Value {
				out.ASPathLen += seg.ASLen() // a sequence's ASNs, a set as one, confederations none
			}
		}
	}
	return out, true
}

// nlriPrefix is a unicast NLRI's prefix.
func nlriPrefix(n bgp.NLRI) (netip.Prefix, bool) {
	p, ok := n.(*bgp.IPAddrPrefix)
	if !ok {
		return netip.Prefix{}, false
	}
	return p.Prefix.Masked(), true
}

// samePaths reports whether two sorted sets of routes are the same.
func samePaths(a, b []Path) bool {
	return slices.EqualFunc(a, b, func(x, y Path) bool {
		return x.Prefix == y.Prefix && x.NextHop == y.NextHop && x.ASPathLen == y.ASPathLen && slices.Equal(x.Communities, y.Communities)
	})
}

// comparePrefixes orders prefixes by address, then length.
func comparePrefixes(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return a.Bits() - b.Bits()
}
