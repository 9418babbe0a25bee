package bgp

import (
	"cmp"
	"net/netip"
	"slices"
	"time"

	"github.com/dxsim/dxsim/sim/bus"
)

// Learned is one route Amazon's side of a VIF has accepted from the
// customer, on one BGP peer's session: what the Region behind the DX
// device routes the customer's prefixes by.
type Learned struct {
	VIFID  string
	PeerID string // the VIF's BGP peer whose session carries it
	Prefix netip.Prefix
	// NextHop is the customer's address on the VIF, as the route gives it.
	NextHop netip.Addr
	// Communities are the route's BGP communities, each ASN<<16 | value
	// (7224:7300 is 7224<<16 | 7300): AWS's local-preference ones say
	// which of the customer's VIFs to prefer.
	Communities []uint32
	// ASPathLen counts the ASNs of the route's AS path, an AS_SET as one:
	// without a local preference, the shortest path wins.
	ASPathLen int
	// Time is when the session's routes last changed.
	Time time.Time
}

// learnedSet is what one session has accepted.
type learnedSet struct {
	time   time.Time
	routes []Path
}

// learn keeps what an Amazon-side event says of its session's routes: those
// it tells, and none once the session is not established (a session going
// down withdraws its routes at once). c.mu is held.
func (c *Controller) learn(e Event) {
	switch {
	case !e.Established() || (e.HasRoutes && len(e.Routes) == 0):
		c.dropLearned(e.Router, e.Peer)
	case e.HasRoutes && c.peers[e.Router][e.Peer] != "": // not of a peer or VIF gone since
		if c.learned[e.Router] == nil {
			c.learned[e.Router] = map[netip.Addr]learnedSet{}
		}
		c.learned[e.Router][e.Peer] = learnedSet{time: e.Time, routes: e.Routes}
		c.learnedC.Publish(e.Router)
	}
}

// dropLearned forgets what a VIF's session with the neighbour at addr (all
// its sessions: the zero address) accepted, and tells if there was any.
// c.mu is held.
func (c *Controller) dropLearned(vifID string, addr netip.Addr) {
	sets, ok := c.learned[vifID]
	if !ok {
		return
	}
	if addr.IsValid() {
		if _, ok := sets[addr]; !ok {
			return
		}
		delete(sets, addr)
	}
	if !addr.IsValid() || len(sets) == 0 {
		delete(c.learned, vifID)
	}
	c.learnedC.Publish(vifID)
}

// Learned returns the routes Amazon's side of every VIF has accepted from
// the customer now, sorted by VIF ID, peer ID and prefix. A session that is
// not established has none.
func (c *Controller) Learned() []Learned {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Learned
	for vifID, sets := range c.learned {
		for addr, set := range sets {
			peerID := c.peers[vifID][addr]
			if peerID == "" {
				continue
			}
			for _, p := range set.routes {
				out = append(out, Learned{VIFID: vifID, PeerID: peerID, Prefix: p.Prefix, NextHop: p.NextHop,
					Communities: slices.Clone(p.Communities), ASPathLen: p.ASPathLen, Time: set.time})
			}
		}
	}
	slices.SortFunc(out, func(a, b Learned) int {
		return cmp.Or(cmp.Compare(a.VIFID, b.VIFID), cmp.Compare(a.PeerID, b.PeerID), comparePrefixes(a.Prefix, b.Prefix))
	})
	return out
}

// SubscribeLearned returns, from now on, the ID of each VIF whose learned
// routes changed (Learned has them): a session's routes told, or gone with
// the session, the peer or the VIF. limit is as bus.Bus.Subscribe's.
func (c *Controller) SubscribeLearned(limit int) *bus.Sub[string] { return c.learnedC.Subscribe(limit) }
