package sim

import (
	"fmt"
	"io"
	"net/netip"
	"time"
)

// BGP peers.
//
// A VIF has one BGP peer per address family it speaks: the one it was
// created with, and at most one more of the other family (CreateBGPPeer).
// dxsim reports hasLogicalRedundancy "no", and on such a connection AWS
// allows no second peer of a family. A VIF keeps at least one peer.
//
//	peer: pending → available;  deleting → deleted → (no longer described)
//
// pending ends after Schedule.Confirm, deleting after Schedule.Deleting, and
// a deleted peer is still described for Schedule.Retain. A VIF stored before
// peers were kept has none stored: its one peer is derived from the VIF's
// own BGP fields (implicitPeer), with the ID it has always been shown with,
// and is stored as the first peer the first time the VIF's peers change.
//
// The data plane carries every live peer's addresses on the VIF's VLAN
// (vlanSpec), and a session per peer (BGPRouters); creating or deleting a
// peer sets the VLAN's addresses again.

// PrefixBGPPeer is how AWS begins a BGP peer's ID.
const PrefixBGPPeer = "dxpeer-"

// Address families, as the model spells them.
const (
	FamilyIPv4 = "ipv4"
	FamilyIPv6 = "ipv6"
)

// Rules of BGP peers.
const (
	RuleLastPeer = "last-bgp-peer" // a VIF keeps at least one BGP peer
)

// BGPPeer is one BGP session's provisioning on a VIF.
type BGPPeer struct {
	ID              string    `json:"id"`
	ASN             int64     `json:"asn"`
	AuthKey         string    `json:"authKey"`
	AddressFamily   string    `json:"addressFamily"`
	AmazonAddress   string    `json:"amazonAddress"`
	CustomerAddress string    `json:"customerAddress"`
	State           string    `json:"state"` // pending, available, deleting, deleted
	Since           time.Time `json:"since"`
}

// live reports whether a peer still counts: one being deleted does not.
func (p BGPPeer) live() bool { return p.State != StateDeleting && p.State != StateDeleted }

// implicitPeer is the peer a VIF was created with, from its own fields.
func implicitPeer(v *VIF) BGPPeer {
	family := v.AddressFamily
	if family == "" {
		family = FamilyIPv4
	}
	return BGPPeer{
		ID: PrefixBGPPeer + v.ID[len(PrefixVIF):], ASN: v.ASN, AuthKey: v.AuthKey, AddressFamily: family,
		AmazonAddress: v.AmazonAddress, CustomerAddress: v.CustomerAddress, State: StateAvailable, Since: v.Since,
	}
}

// peers returns a VIF's stored peers, or the one it was created with.
func (v *VIF) peers() []BGPPeer {
	if len(v.Peers) > 0 {
		return v.Peers
	}
	return []BGPPeer{implicitPeer(v)}
}

// BGPPeers returns a VIF's peers as clients see them: a peer cannot be
// further along than its VIF, so while the VIF awaits confirmation,
// verification or provisioning its available peers are pending.
func (v *VIF) BGPPeers() []BGPPeer {
	out := append([]BGPPeer(nil), v.peers()...)
	for i := range out {
		switch {
		case v.State == StateDeleting || v.State == StateDeleted:
			if out[i].State != StateDeleted {
				out[i].State = v.State
			}
		case v.State == StateConfirming || v.State == StateVerifying || v.State == StatePending:
			if out[i].State == StateAvailable {
				out[i].State = StatePending
			}
		}
	}
	return out
}

// BGPStatus is a peer's session status as the API reports it: its session's
// where the data plane runs it (see BGPRouters), else up when the peer and
// its VIF are available; down otherwise.
func (v *VIF) BGPStatus(p BGPPeer) string {
	if up, ok := v.live[p.ID]; ok && p.State == StateAvailable {
		if up {
			return "up"
		}
		return "down"
	}
	if p.State == StateAvailable && v.State == StateAvailable {
		return "up"
	}
	return "down"
}

// ipv6PeerSpace is where dxsim assigns IPv6 peer /125s from. AWS assigns
// them from Amazon's own IPv6 space and documents no range; this /40 lies in
// ARIN's 2600::/12, where Amazon's allocations are, so the addresses look as
// AWS's do. It is dxsim's choice, not a published AWS range.
var ipv6PeerSpace = netip.MustParsePrefix("2600:1f1e:dc00::/40")

// newIPv6PeerAddresses picks a /125 of ipv6PeerSpace that no peer in st
// uses; Amazon takes its first host address, the customer the second.
func newIPv6PeerAddresses(st *State, r io.Reader) (amazon, customer string, err error) {
	used := map[netip.Prefix]bool{}
	for _, v := range st.VIFs {
		for _, p := range v.peers() {
			if a, err := netip.ParsePrefix(p.AmazonAddress); err == nil && a.Addr().Is6() {
				used[a.Masked()] = true
			}
		}
	}
	base := ipv6PeerSpace.Addr().As16()
	for range 64 { // 2^85 /125s: a clash is all but impossible
		var b [11]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return "", "", serverErr(fmt.Errorf("reading random address bytes: %w", err))
		}
		a := base
		copy(a[5:], b[:])
		a[15] &^= 7
		p := netip.PrefixFrom(netip.AddrFrom16(a), 125)
		if used[p] {
			continue
		}
		first := p.Addr().Next()
		return netip.PrefixFrom(first, 125).String(), netip.PrefixFrom(first.Next(), 125).String(), nil
	}
	return "", "", serverErr(fmt.Errorf("no free /125 found in %s", ipv6PeerSpace))
}

// newPeerID returns a dxpeer- ID no VIF's peer has.
func (s *Service) newPeerID(st *State) (string, error) {
	for {
		id, err := newID(PrefixBGPPeer, s.rand)
		if err != nil {
			return "", serverErr(err)
		}
		if !peerIDUsed(st, id) {
			return id, nil
		}
	}
}

func peerIDUsed(st *State, id string) bool {
	for _, v := range st.VIFs {
		for _, p := range v.peers() {
			if p.ID == id {
				return true
			}
		}
	}
	return false
}

// peerDeadline returns when a peer's state next moves on its own, and to
// what ("" when it is then no longer described).
func (s *Service) peerDeadline(p BGPPeer) (time.Time, string, bool) {
	switch p.State {
	case StatePending:
		return p.Since.Add(s.schedule.Confirm), StateAvailable, true
	case StateDeleting:
		return p.Since.Add(s.schedule.Deleting), StateDeleted, true
	case StateDeleted:
		return p.Since.Add(s.schedule.Retain), "", true
	}
	return time.Time{}, "", false
}

// advancePeers moves every stored peer whose deadline has passed, one step
// at a time, each step dated at its deadline.
func (s *Service) advancePeers(t *txn) {
	for _, v := range t.st.VIFs {
		if len(v.Peers) == 0 {
			continue
		}
		var out []BGPPeer
		changed := false
		for _, p := range v.Peers {
			keep := true
			for at, to, ok := s.peerDeadline(p); ok && !t.now.Before(at); at, to, ok = s.peerDeadline(p) {
				changed = true
				if to == "" {
					keep = false
					break
				}
				p.State, p.Since = to, at
			}
			if keep {
				out = append(out, p)
			}
		}
		if changed {
			n := v.clone()
			n.Peers = out
			t.putVIF(n)
		}
	}
}

// peersNext offers the earliest peer deadline.
func (s *Service) peersNext(consider func(time.Time, bool)) {
	for _, v := range s.state.VIFs {
		for _, p := range v.Peers {
			consider(s.peerDeadlineOf(p))
		}
	}
}

func (s *Service) peerDeadlineOf(p BGPPeer) (time.Time, bool) {
	at, _, ok := s.peerDeadline(p)
	return at, ok
}
