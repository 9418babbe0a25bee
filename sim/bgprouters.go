package sim

import (
	"cmp"
	"slices"
	"sync"
	"time"

	"github.com/dxsim/dxsim/sim/bus"
)

// The BGP the data plane runs, and what it reports back.
//
// BGPRouters says, from the state, which sessions the Amazon side of each
// VIF should have and what it advertises; the data plane's speakers run
// them and report each session's state (SetBGPSession), which the API then
// shows: a peer's bgpStatus follows its session, and an available VIF whose
// sessions are all down is described as down, as AWS describes it.

// Prefix limits: a customer advertising more than these on a VIF puts the
// session Idle.
const (
	MaxPrefixesPrivate = 100  // private and transit VIFs, per address family
	MaxPrefixesPublic  = 1000 // public VIFs
)

// BGPRouter is one VIF's BGP as the Amazon side runs it.
type BGPRouter struct {
	VIFID  string
	Owner  string
	Type   string // private, public or transit
	Device string
	// ParentID is the connection or LAG that carries the VIF.
	ParentID  string
	VLAN      int
	AmazonASN int64
	Peers     []BGPSessionSpec
	// Announce is what Amazon advertises on the VIF.
	Announce []AmazonPrefix
}

// BGPSessionSpec is one BGP peer's session.
type BGPSessionSpec struct {
	PeerID          string
	Family          string
	AmazonAddress   string // CIDR
	CustomerAddress string // CIDR
	ASN             int64  // the customer's
	AuthKey         string
	MaxPrefixes     int
	// Down: a failover test holds the session down.
	Down bool
	// Amazon and Customer are what training faults change on each side
	// (zero: nothing).
	Amazon, Customer BGPSideFault
}

// BGPSideFault is what a training fault (sim/fault.go) makes one side of a
// session do: run another ASN, another MD5 key, announce more prefixes, or
// reset the session (each new Reset; every ResetEvery too).
type BGPSideFault struct {
	ASN        int64         `json:",omitempty"`
	AuthKey    string        `json:",omitempty"`
	Prefixes   int           `json:",omitempty"`
	Reset      time.Time     `json:",omitzero"`
	ResetEvery time.Duration `json:",omitempty"`
}

// AmazonPrefix is a prefix Amazon advertises, with its communities
// ("7224:8100").
type AmazonPrefix struct {
	Prefix      string
	Communities []string
}

// BGPRouters returns the BGP of every VIF whose VLAN is on the data plane,
// sorted by VIF ID: a session per live peer (IPv4 and IPv6), on the
// addresses its VLAN carries (vlanSpec).
func (s *Service) BGPRouters() ([]BGPRouter, error) {
	var out []BGPRouter
	err := s.read(func(st *State) error {
		for _, v := range st.VIFs {
			switch v.State {
			case StateConfirming, StateRejected, StateDeleting, StateDeleted:
				continue
			}
			if v.Device == "" {
				continue
			}
			r := BGPRouter{VIFID: v.ID, Owner: v.Owner, Type: v.Type, Device: v.Device, ParentID: v.ConnectionID, VLAN: v.VLAN,
				AmazonASN: s.amazonASN(st, v), Announce: s.amazonPrefixes(st, v)}
			down := failoverDown(st, v.ID)
			for _, p := range v.peers() {
				if !p.live() || p.AmazonAddress == "" || p.CustomerAddress == "" {
					continue
				}
				limit := MaxPrefixesPrivate
				if v.Type == VIFPublic {
					limit = MaxPrefixesPublic
				}
				sp := BGPSessionSpec{PeerID: p.ID, Family: p.AddressFamily, AmazonAddress: p.AmazonAddress,
					CustomerAddress: p.CustomerAddress, ASN: p.ASN, AuthKey: p.AuthKey, MaxPrefixes: limit, Down: down(p.ID)}
				sp.Amazon = SideFault(st.Faults[FaultID(v.ID, FaultSideAWS, FaultBGP)], r.AmazonASN, p.AuthKey)
				sp.Customer = SideFault(st.Faults[FaultID(v.ID, FaultSideCustomer, FaultBGP)], p.ASN, p.AuthKey)
				r.Peers = append(r.Peers, sp)
			}
			if len(r.Peers) > 0 {
				out = append(out, r)
			}
		}
		return nil
	})
	slices.SortFunc(out, func(a, b BGPRouter) int { return compareIDs(a.VIFID, b.VIFID) })
	return out, err
}

// gatewayASN is the Amazon side's ASN of a VIF on a Direct Connect gateway
// (gatewayID), or on a virtual private gateway ("").
func gatewayASN(st *State, gatewayID string) int64 {
	if g, ok := st.Gateways[gatewayID]; ok {
		return g.AmazonSideASN
	}
	return DefaultAmazonSideASN
}

// amazonASN is the Amazon side's ASN of a VIF: its Direct Connect
// gateway's, else the VIF's own (the virtual private gateway's).
func (s *Service) amazonASN(st *State, v *VIF) int64 {
	if g, ok := st.Gateways[v.DirectConnectGatewayID]; ok {
		return g.AmazonSideASN
	}
	return cmp.Or(v.AmazonSideASN, DefaultAmazonSideASN)
}

// amazonPrefixes is what Amazon advertises on a VIF: a private VIF's
// virtual private gateway's VPC CIDRs; through a Direct Connect gateway, the
// allowed prefixes of its associations; on a public VIF, Amazon's public
// prefixes of the Region (7224:8100) and of the continent (7224:8200).
func (s *Service) amazonPrefixes(st *State, v *VIF) []AmazonPrefix {
	var out []AmazonPrefix
	add := func(p string, communities ...string) {
		if !slices.ContainsFunc(out, func(a AmazonPrefix) bool { return a.Prefix == p }) {
			out = append(out, AmazonPrefix{Prefix: p, Communities: communities})
		}
	}
	switch {
	case v.Type == VIFPublic:
		for _, p := range publicPrefixes(s.region) {
			add(p.Prefix, p.Communities...)
		}
	case v.DirectConnectGatewayID != "":
		for _, a := range st.liveAssociations(v.DirectConnectGatewayID) {
			if a.State != StateAssociated && a.State != StateUpdating {
				continue
			}
			for _, p := range a.AllowedPrefixes {
				add(p)
			}
		}
	case v.VirtualGatewayID != "":
		if g, ok := s.cat.VirtualGateway(v.VirtualGatewayID); ok {
			for _, p := range g.VPCCIDRs {
				add(p)
			}
		}
	}
	return out
}

// publicPrefixes are the Amazon prefixes a public VIF hears: a sample, not
// AWS's list (ip-ranges.json has thousands), in documentation-like Amazon
// space, tagged as AWS tags them: this Region 7224:8100, this continent
// 7224:8200.
func publicPrefixes(region string) []AmazonPrefix {
	return []AmazonPrefix{
		{Prefix: "52.94.0.0/22", Communities: []string{"7224:8100"}},
		{Prefix: "54.239.0.0/20", Communities: []string{"7224:8100"}},
		{Prefix: "3.5.0.0/19", Communities: []string{"7224:8200"}},
	}
}

// failoverDown says which of a VIF's peers a running failover test holds
// down: the peers it names, or all when it names none.
func failoverDown(st *State, vifID string) func(peerID string) bool {
	var held []string
	all := false
	for _, f := range st.FailoverTests {
		if f.VIFID != vifID || f.Status != TestInProgress {
			continue
		}
		if len(f.Peers) == 0 {
			all = true
		}
		held = append(held, f.Peers...)
	}
	return func(id string) bool { return all || slices.Contains(held, id) }
}

// BGPSession is one session's state as the data plane's speaker reports it.
type BGPSession struct {
	Time   time.Time `json:"time"`
	VIFID  string    `json:"vifId"`
	PeerID string    `json:"bgpPeerId"`
	// State is the BGP state (idle, connect, active, opensent,
	// openconfirm, established).
	State string `json:"state"`
	// Prefixes counts the prefixes accepted from the customer.
	Prefixes uint64 `json:"prefixes"`
	// Reason says why a session is not established, when known.
	Reason string `json:"reason,omitempty"`
}

// Up reports whether the session is established.
func (b BGPSession) Up() bool { return b.State == "established" }

// sessions are the live BGP sessions, by peer ID: reported by the data
// plane, not kept in the state (a restart learns them again).
type sessions struct {
	mu   sync.RWMutex
	byID map[string]BGPSession
	bus  bus.Bus[BGPSession]
}

// SetBGPSession records a session's state as the data plane reports it,
// and tells the subscribers.
func (s *Service) SetBGPSession(b BGPSession) {
	s.live.mu.Lock()
	if s.live.byID == nil {
		s.live.byID = map[string]BGPSession{}
	}
	s.live.byID[b.PeerID] = b
	s.live.mu.Unlock()
	s.live.bus.Publish(b)
}

// ForgetBGPSession drops a session the data plane no longer runs: its peer
// reads as the schedule says again.
func (s *Service) ForgetBGPSession(peerID string) {
	s.live.mu.Lock()
	delete(s.live.byID, peerID)
	s.live.mu.Unlock()
}

// BGPSessions returns the live sessions, sorted by VIF and peer.
func (s *Service) BGPSessions() []BGPSession {
	s.live.mu.RLock()
	out := make([]BGPSession, 0, len(s.live.byID))
	for _, b := range s.live.byID {
		out = append(out, b)
	}
	s.live.mu.RUnlock()
	slices.SortFunc(out, func(a, b BGPSession) int {
		if c := compareIDs(a.VIFID, b.VIFID); c != 0 {
			return c
		}
		return compareIDs(a.PeerID, b.PeerID)
	})
	return out
}

// SubscribeBGP returns the sessions' reports from now on.
func (s *Service) SubscribeBGP(limit int) *bus.Sub[BGPSession] { return s.live.bus.Subscribe(limit) }

// withSessions returns v as clients see it with live sessions: each peer's
// bgpStatus is its session's, and an available VIF whose sessions are all
// known and down is down. v itself is not changed.
func (s *Service) withSessions(v *VIF) *VIF {
	s.live.mu.RLock()
	defer s.live.mu.RUnlock()
	if len(s.live.byID) == 0 {
		return v
	}
	var live map[string]bool
	for _, p := range v.peers() {
		if b, ok := s.live.byID[p.ID]; ok && b.VIFID == v.ID {
			if live == nil {
				live = map[string]bool{}
			}
			live[p.ID] = b.Up()
		}
	}
	if live == nil {
		return v
	}
	n := v.clone()
	n.live = live
	up := false
	for _, u := range live {
		up = up || u
	}
	if n.State == StateAvailable && !up {
		n.State = StateDown
	}
	return n
}

// SideFault is what a side's BGP fault (nil: none) makes it do, given the
// ASN and MD5 key it should use.
func SideFault(f *Fault, asn int64, key string) BGPSideFault {
	var out BGPSideFault
	if f == nil {
		return out
	}
	switch f.BGP {
	case "wrong-asn":
		out.ASN = f.ASN
		if out.ASN == 0 {
			out.ASN = asn + 1
			if out.ASN > MaxASN {
				out.ASN = asn - 1
			}
		}
	case "wrong-md5":
		out.AuthKey = f.AuthKey
		if out.AuthKey == "" || out.AuthKey == key {
			out.AuthKey = "wrong-" + key
		}
	case "too-many-prefixes":
		out.Prefixes = f.Prefixes
	case "reset":
		out.Reset = f.Set
		out.ResetEvery = time.Duration(f.Period)
	}
	return out
}
