package sim

import (
	"context"
	"net/netip"
)

// NewBGPPeerInput is a CreateBGPPeer request's newBGPPeer.
type NewBGPPeerInput struct {
	ASN             int64
	AuthKey         string
	AddressFamily   string
	AmazonAddress   string
	CustomerAddress string
}

// CreateBGPPeer adds a BGP peer of the other address family to a VIF.
// Amazon assigns what the request leaves out: the key, a private or transit
// VIF's IPv4 addresses (a /30 of 169.254.0.0/16) and always the IPv6 ones.
func (s *Service) CreateBGPPeer(ctx context.Context, account, vifID string, in NewBGPPeerInput) (*VIF, error) {
	var out *VIF
	err := s.do(ctx, "CreateBGPPeer", func(t *txn) error {
		v, err := findVIF(t.st, account, vifID)
		if err != nil {
			return err
		}
		p, err := s.newPeer(t, v, in)
		if err != nil {
			return err
		}
		out = v.clone()
		out.Peers = append(append([]BGPPeer(nil), v.peers()...), p)
		t.putVIF(out)
		t.effect(Effect{Kind: EffectSetVLAN, ID: v.ID, VLAN: ref(vlanSpec(out))})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// newPeer checks a new peer against its VIF and fills in what Amazon assigns.
func (s *Service) newPeer(t *txn, v *VIF, in NewBGPPeerInput) (BGPPeer, error) {
	if err := checkNewPeer(v, in); err != nil {
		return BGPPeer{}, err
	}
	p := BGPPeer{ASN: in.ASN, AuthKey: in.AuthKey, AddressFamily: in.AddressFamily, AmazonAddress: in.AmazonAddress,
		CustomerAddress: in.CustomerAddress, State: StatePending, Since: t.now}
	var err error
	if p.AuthKey == "" {
		if p.AuthKey, err = newAuthKey(s.rand); err != nil {
			return BGPPeer{}, serverErr(err)
		}
	}
	switch {
	case p.AddressFamily == FamilyIPv6:
		p.AmazonAddress, p.CustomerAddress, err = newIPv6PeerAddresses(t.st, s.rand)
	case p.AmazonAddress == "":
		p.AmazonAddress, p.CustomerAddress, err = newPeerAddresses(t.st, s.rand)
	}
	if err != nil {
		return BGPPeer{}, err
	}
	if p.ID, err = s.newPeerID(t.st); err != nil {
		return BGPPeer{}, err
	}
	return p, nil
}

// checkNewPeer applies CreateBGPPeer's rules: the model's ASN, key and
// address checks; IPv6 addresses are Amazon's to choose (model: "you cannot
// specify custom IPv6 addresses"); a public VIF's IPv4 peer needs its
// public addresses, as CreatePublicVirtualInterface does; and at most one
// peer per address family (a peer being deleted still holds its family).
func checkNewPeer(v *VIF, in NewBGPPeerInput) error {
	switch v.State {
	case StateConfirming, StateRejected, StateDeleting, StateDeleted:
		return clientErr(RuleState, "Virtual interface %s is in state %s; BGP peers can be added once it is confirmed.", v.ID, v.State)
	}
	if in.AddressFamily == "" {
		return clientErr(RuleInvalidArgument, "newBGPPeer.addressFamily is required: ipv4 or ipv6.")
	}
	checks := []func() error{
		func() error { return CheckASN(in.ASN) },
		func() error { return CheckAuthKey(in.AuthKey) },
		func() error {
			return CheckPeerAddresses(v.Type, in.AddressFamily, in.AmazonAddress, in.CustomerAddress)
		},
	}
	for _, check := range checks {
		if err := check(); err != nil {
			return err
		}
	}
	if in.AddressFamily == FamilyIPv6 && in.AmazonAddress != "" {
		return clientErr(RuleInvalidArgument, "IPv6 BGP peer addresses are assigned by Amazon; omit amazonAddress and customerAddress.")
	}
	if in.AddressFamily == FamilyIPv4 && v.Type == VIFPublic && in.AmazonAddress == "" {
		return clientErr(RuleInvalidArgument, "An IPv4 BGP peer on a public virtual interface needs amazonAddress and customerAddress.")
	}
	for _, p := range v.peers() {
		if p.AddressFamily == in.AddressFamily && p.State != StateDeleted {
			return clientErr(RuleInUse, "Virtual interface %s already has an %s BGP peer (%s); a virtual interface has at most one BGP peer per address family.", v.ID, in.AddressFamily, p.ID)
		}
	}
	return nil
}

// DeleteBGPPeerInput names the peer to delete: by ID, or by its ASN and
// customer address.
type DeleteBGPPeerInput struct {
	PeerID          string
	ASN             int64
	CustomerAddress string
}

// DeleteBGPPeer starts deleting a BGP peer of a VIF; it is deleting, then
// deleted. A VIF's last peer cannot be deleted.
func (s *Service) DeleteBGPPeer(ctx context.Context, account, vifID string, in DeleteBGPPeerInput) (*VIF, error) {
	var out *VIF
	err := s.do(ctx, "DeleteBGPPeer", func(t *txn) error {
		v, err := findVIF(t.st, account, vifID)
		if err != nil {
			return err
		}
		peers := append([]BGPPeer(nil), v.peers()...)
		i, err := findPeer(v, peers, in)
		if err != nil {
			return err
		}
		if !peers[i].live() {
			return clientErr(RuleState, "BGP peer %s of virtual interface %s is already %s.", peers[i].ID, v.ID, peers[i].State)
		}
		if livePeers(peers) == 1 {
			return clientErr(RuleLastPeer, "BGP peer %s is the last BGP peer of virtual interface %s; a virtual interface keeps at least one.", peers[i].ID, v.ID)
		}
		peers[i].State, peers[i].Since = StateDeleting, t.now
		out = v.clone()
		out.Peers = peers
		t.putVIF(out)
		// The session closes and its addresses go with it.
		t.effect(Effect{Kind: EffectSetVLAN, ID: v.ID, VLAN: ref(vlanSpec(out))})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// findPeer finds the peer a DeleteBGPPeer request names.
func findPeer(v *VIF, peers []BGPPeer, in DeleteBGPPeerInput) (int, error) {
	if in.PeerID == "" && (in.ASN == 0 || in.CustomerAddress == "") {
		return 0, clientErr(RuleInvalidArgument, "Specify bgpPeerId, or asn and customerAddress.")
	}
	for i, p := range peers {
		if in.PeerID != "" && p.ID == in.PeerID {
			return i, nil
		}
		if in.PeerID == "" && p.ASN == in.ASN && sameAddress(p.CustomerAddress, in.CustomerAddress) {
			return i, nil
		}
	}
	if in.PeerID != "" {
		return 0, clientErr(RuleNotFound, "Could not find BGP peer %s on virtual interface %s.", in.PeerID, v.ID)
	}
	return 0, clientErr(RuleNotFound, "Could not find a BGP peer with asn %d and customerAddress %s on virtual interface %s.", in.ASN, in.CustomerAddress, v.ID)
}

// sameAddress compares two CIDRs as addresses, so 2600:1f1e:dc00::2/125
// matches however it is written.
func sameAddress(a, b string) bool {
	pa, errA := netip.ParsePrefix(a)
	pb, errB := netip.ParsePrefix(b)
	if errA != nil || errB != nil {
		return a == b
	}
	return pa == pb
}

func livePeers(peers []BGPPeer) int {
	n := 0
	for _, p := range peers {
		if p.live() {
			n++
		}
	}
	return n
}
