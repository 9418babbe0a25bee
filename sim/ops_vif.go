package sim

import (
	"context"
	"slices"
	"strings"
)

// CreateVIFInput is a Create{Private,Public,Transit}VirtualInterface request.
type CreateVIFInput struct {
	Type                   string // VIFPrivate, VIFPublic or VIFTransit
	ConnectionID           string // dxcon-… or dxlag-…
	Name                   string
	VLAN                   int
	ASN                    int64
	MTU                    int
	AuthKey                string
	AmazonAddress          string
	CustomerAddress        string
	AddressFamily          string
	VirtualGatewayID       string
	DirectConnectGatewayID string
	RouteFilterPrefixes    []string
	EnableSiteLink         bool
	Tags                   []Tag
}

// CreateVirtualInterface creates a VIF on a connection, hosted connection or LAG.
func (s *Service) CreateVirtualInterface(ctx context.Context, account string, in CreateVIFInput) (*VIF, error) {
	var v *VIF
	err := s.do(ctx, "Create"+vifOpNoun(in.Type)+"VirtualInterface", func(t *txn) error {
		var err error
		v, err = s.newVIF(t, account, in, func() error {
			if in.Type == VIFPrivate && (in.VirtualGatewayID == "") == (in.DirectConnectGatewayID == "") {
				return clientErr(RuleInvalidArgument, "A private virtual interface needs exactly one of virtualGatewayId and directConnectGatewayId.")
			}
			return nil
		}, func() error { return CheckVIFAttachment(t.st, account, in) })
		if err != nil {
			return err
		}
		s.addVIF(t, v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// newVIF checks a new VIF on a connection or LAG of account, in the order
// AWS checks, with the checks of its gateways (gateway, attach) in their
// place, and returns it, owned by account, not yet stored.
func (s *Service) newVIF(t *txn, account string, in CreateVIFInput, gateway, attach func() error) (*VIF, error) {
	if err := CheckVIFInput(in); err != nil {
		return nil, err
	}
	loc, device, err := s.vifParent(t.st, account, in.ConnectionID)
	if err != nil {
		return nil, err
	}
	if err := CheckVIFQuota(t.st, in.ConnectionID, s.quotas); err != nil {
		return nil, err
	}
	if err := CheckVLAN(t.st, in.ConnectionID, in.VLAN, ""); err != nil {
		return nil, err
	}
	if err := gateway(); err != nil {
		return nil, err
	}
	if in.Type == VIFPublic && in.AddressFamily != "ipv6" && (in.AmazonAddress == "" || in.CustomerAddress == "") {
		return nil, clientErr(RuleInvalidArgument, "A public virtual interface needs amazonAddress and customerAddress.")
	}
	if in.AddressFamily == FamilyIPv6 && (in.AmazonAddress != "" || in.CustomerAddress != "") {
		return nil, clientErr(RuleInvalidArgument, "IPv6 BGP peer addresses are assigned by Amazon; omit amazonAddress and customerAddress.")
	}
	if err := attach(); err != nil {
		return nil, err
	}
	tags, err := CheckTags(nil, in.Tags, s.quotas)
	if err != nil {
		return nil, err
	}
	id, err := s.newID(PrefixVIF)
	if err != nil {
		return nil, err
	}
	family := in.AddressFamily
	if family == "" {
		family = "ipv4"
	}
	mtu := in.MTU
	if mtu == 0 {
		mtu = 1500
	}
	// What the request leaves out, Amazon assigns: a BGP key, a private or
	// transit VIF's IPv4 peer addresses, and always the IPv6 ones.
	if in.AuthKey == "" {
		if in.AuthKey, err = newAuthKey(s.rand); err != nil {
			return nil, serverErr(err)
		}
	}
	switch {
	case family == FamilyIPv6:
		if in.AmazonAddress, in.CustomerAddress, err = newIPv6PeerAddresses(t.st, s.rand); err != nil {
			return nil, err
		}
	case in.Type != VIFPublic && in.AmazonAddress == "":
		if in.AmazonAddress, in.CustomerAddress, err = newPeerAddresses(t.st, s.rand); err != nil {
			return nil, err
		}
	}
	state := StatePending
	if in.Type == VIFPublic {
		state = StateVerifying
	}
	return &VIF{
		ID: id, Type: in.Type, Name: in.Name, Owner: account, State: state, Region: s.region,
		Location: loc, Device: device, ConnectionID: in.ConnectionID, VLAN: in.VLAN, ASN: in.ASN,
		AmazonSideASN: gatewayASN(t.st, in.DirectConnectGatewayID),
		AuthKey:       in.AuthKey, AmazonAddress: in.AmazonAddress, CustomerAddress: in.CustomerAddress,
		AddressFamily: family, MTU: mtu, VirtualGatewayID: in.VirtualGatewayID,
		DirectConnectGatewayID: in.DirectConnectGatewayID, RouteFilterPrefixes: slices.Clone(in.RouteFilterPrefixes),
		EnableSiteLink: in.EnableSiteLink, Tags: tags, Since: t.now,
	}, nil
}

// addVIF stores a new VIF and names its VLAN for the data plane.
func (s *Service) addVIF(t *txn, v *VIF) {
	t.putVIF(v)
	t.effect(Effect{Kind: EffectCreateVLAN, ID: v.ID, VLAN: ref(vlanSpec(v))})
}

// vifParent finds what a VIF may sit on: the caller's connection, hosted
// connection or LAG.
func (s *Service) vifParent(st *State, account, id string) (location, device string, err error) {
	if strings.HasPrefix(id, PrefixLAG) {
		l, err := findLAG(st, account, id)
		if err != nil {
			return "", "", err
		}
		return l.Location, l.Device, nil
	}
	c, err := findConnection(st, account, id)
	if err != nil {
		return "", "", err
	}
	switch c.State {
	case StateDeleting, StateDeleted, StateRejected, StateOrdering:
		return "", "", clientErr(RuleState, "Connection %s is in state %s.", c.ID, c.State)
	}
	return c.Location, c.Device, nil
}

// VirtualInterfaces describes the caller's VIFs, and those it allocated for
// other accounts, all of them or those on one connection or LAG, or one VIF.
func (s *Service) VirtualInterfaces(account, connectionID, vifID string) ([]*VIF, error) {
	var out []*VIF
	now := s.clock.Now()
	err := s.read(func(st *State) error {
		_, _, gone := s.shownGone(st, account, now)
		if vifID != "" {
			v, err := findVisibleVIF(st, account, vifID)
			if err != nil {
				i := slices.IndexFunc(gone, func(g *VIF) bool { return g.ID == vifID })
				if i < 0 {
					return err
				}
				v = gone[i]
			}
			if connectionID == "" || v.ConnectionID == connectionID {
				out = []*VIF{v}
			}
			return nil
		}
		if connectionID != "" {
			if _, _, err := s.vifParent(st, account, connectionID); err != nil && RuleOf(err) == RuleNotFound {
				return err
			}
		}
		for _, v := range st.VIFs {
			if v.visibleTo(account) && (connectionID == "" || v.ConnectionID == connectionID) {
				out = append(out, v)
			}
		}
		for _, v := range gone {
			if connectionID == "" || v.ConnectionID == connectionID {
				out = append(out, v)
			}
		}
		slices.SortFunc(out, func(a, b *VIF) int { return compareIDs(a.ID, b.ID) })
		return nil
	})
	for i, v := range out {
		out[i] = s.withSessions(v)
	}
	return out, err
}

// DeleteVirtualInterface deletes a VIF (deleting, then deleted). A hosted
// VIF is deleted by its owner or by the account that allocated it; one still
// confirming that its owner deletes is declined instead: rejected, as AWS
// keeps it, until the allocator deletes it.
func (s *Service) DeleteVirtualInterface(ctx context.Context, account, id string) (string, error) {
	var state string
	err := s.do(ctx, "DeleteVirtualInterface", func(t *txn) error {
		v, err := findVIF(t.st, account, id)
		if err != nil {
			// The account that allocated a hosted VIF (the connection's
			// owner) may delete it too.
			if a, ok := t.st.VIFs[id]; ok && a.Allocator == account && a.State != StateDeleted {
				v, err = a, nil
			} else {
				return err
			}
		}
		if v.State == StateConfirming && v.Allocator != "" && v.Owner == account {
			// Its owner declines a hosted VIF: rejected, as AWS keeps it,
			// until the allocator deletes it.
			n := v.clone()
			n.State = StateRejected
			t.putVIF(n)
			state = StateRejected
			return nil
		}
		t.remove(v.ID)
		t.effect(Effect{Kind: EffectDeleteVLAN, ID: v.ID})
		state = StateDeleting // as AWS answers; described so, then deleted
		return nil
	})
	if err != nil {
		return "", err
	}
	return state, nil
}

// AssociateVirtualInterface moves a VIF to another connection or LAG on the
// same device.
func (s *Service) AssociateVirtualInterface(ctx context.Context, account, vifID, connectionID string) (*VIF, error) {
	var out *VIF
	err := s.do(ctx, "AssociateVirtualInterface", func(t *txn) error {
		v, err := findVIF(t.st, account, vifID)
		if err != nil {
			return err
		}
		loc, device, err := s.vifParent(t.st, account, connectionID)
		if err != nil {
			return err
		}
		if loc != v.Location {
			return clientErr(RuleDifferentDevice, "Virtual interface %s is in %s, but %s is in %s.", v.ID, v.Location, connectionID, loc)
		}
		if v.Device != "" && device != v.Device {
			return clientErr(RuleDifferentDevice, "Virtual interface %s is on device %s, but %s is on %s.", v.ID, v.Device, connectionID, device)
		}
		if err := CheckVIFQuota(t.st, connectionID, s.quotas); err != nil {
			return err
		}
		if err := CheckVLAN(t.st, connectionID, v.VLAN, v.ID); err != nil {
			return err
		}
		n := v.clone()
		n.ConnectionID, n.Device = connectionID, device
		t.putVIF(n)
		t.effect(Effect{Kind: EffectMoveVLAN, ID: v.ID, To: connectionID})
		out = n
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
