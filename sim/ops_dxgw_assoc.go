package sim

import (
	"context"
	"slices"
)

// CreateAssociationInput is a CreateDirectConnectGatewayAssociation request.
type CreateAssociationInput struct {
	GatewayID string // the Direct Connect gateway
	// AssociatedID is gatewayId, or the older virtualGatewayId: one of them.
	AssociatedID     string
	VirtualGatewayID string
	Prefixes         []string
}

// AssociationFilter selects associations: every field given must match.
type AssociationFilter struct {
	AssociationID, GatewayID, AssociatedID, VirtualGatewayID string
}

func associationNotFound(id string) error {
	return clientErr(RuleNotFound, "Direct Connect gateway association %s does not exist.", id)
}

// visibleTo: an association is the Direct Connect gateway owner's and the
// associated gateway owner's.
func (a *GatewayAssociation) visibleTo(account string) bool {
	return a.GatewayOwner == account || a.AssociatedOwner == account
}

// CreateDirectConnectGatewayAssociation associates the caller's Direct
// Connect gateway with its virtual private gateway or transit gateway.
func (s *Service) CreateDirectConnectGatewayAssociation(ctx context.Context, account string, in CreateAssociationInput) (*GatewayAssociation, error) {
	var out *GatewayAssociation
	err := s.do(ctx, "CreateDirectConnectGatewayAssociation", func(t *txn) error {
		associated := in.AssociatedID
		switch {
		case associated == "" && in.VirtualGatewayID == "":
			return clientErr(RuleInvalidArgument, "Specify the gateway to associate: gatewayId.")
		case associated != "" && in.VirtualGatewayID != "" && associated != in.VirtualGatewayID:
			return clientErr(RuleInvalidArgument, "Specify one of gatewayId and virtualGatewayId.")
		case associated == "":
			associated = in.VirtualGatewayID
		}
		kind, err := CheckAssociatedGatewayID(associated)
		if err != nil {
			return err
		}
		g, err := findGateway(t.st, account, in.GatewayID)
		if err != nil {
			return err
		}
		prefixes, err := CheckPrefixes(in.Prefixes)
		if err != nil {
			return err
		}
		if err := CheckNewAssociation(t.st, g, kind, associated, prefixes); err != nil {
			return err
		}
		out, err = s.associate(t, g, kind, associated, account, prefixes)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// associate adds a new association, associating.
func (s *Service) associate(t *txn, g *DXGateway, kind, associated, owner string, prefixes []string) (*GatewayAssociation, error) {
	id, err := s.newUUID()
	if err != nil {
		return nil, err
	}
	if kind == GatewayVirtualPrivate && len(prefixes) == 0 {
		// As AWS: the VPC's CIDRs, when the association names none.
		if vgw, ok := s.cat.VirtualGateway(associated); ok {
			prefixes = slices.Clone(vgw.VPCCIDRs)
		}
	}
	a := &GatewayAssociation{
		ID: id, GatewayID: g.ID, GatewayOwner: g.Owner, AssociatedID: associated, AssociatedType: kind,
		AssociatedOwner: owner, AssociatedRegion: s.region, AllowedPrefixes: prefixes, State: StateAssociating, Since: t.now,
	}
	t.putAssociation(a)
	return a, nil
}

// GatewayAssociations describes the associations the caller sees (of its
// Direct Connect gateways or of its associated gateways) that match f.
// Disassociated ones are still described for a while. A filter that matches
// nothing is no error: an empty answer is AWS's "not found".
func (s *Service) GatewayAssociations(account string, f AssociationFilter) ([]*GatewayAssociation, error) {
	var out []*GatewayAssociation
	err := s.read(func(st *State) error {
		for _, a := range st.GatewayAssociations {
			if a.visibleTo(account) && f.matches(a) {
				out = append(out, a)
			}
		}
		slices.SortFunc(out, func(a, b *GatewayAssociation) int { return compareIDs(a.ID, b.ID) })
		return nil
	})
	return out, err
}

func (f AssociationFilter) matches(a *GatewayAssociation) bool {
	return (f.AssociationID == "" || a.ID == f.AssociationID) &&
		(f.GatewayID == "" || a.GatewayID == f.GatewayID) &&
		(f.AssociatedID == "" || a.AssociatedID == f.AssociatedID) &&
		(f.VirtualGatewayID == "" || a.AssociatedID == f.VirtualGatewayID)
}

// UpdateDirectConnectGatewayAssociation adds and removes allowed prefixes
// (removing one the association does not have changes nothing). The
// association is updating until the schedule's Confirm has passed. Only the
// Direct Connect gateway's owner updates it; the associated gateway's owner
// proposes the change instead.
func (s *Service) UpdateDirectConnectGatewayAssociation(ctx context.Context, account, id string, add, remove []string) (*GatewayAssociation, error) {
	var out *GatewayAssociation
	err := s.do(ctx, "UpdateDirectConnectGatewayAssociation", func(t *txn) error {
		if id == "" {
			return clientErr(RuleInvalidArgument, "Specify the association to update: associationId.")
		}
		a, ok := t.st.GatewayAssociations[id]
		if !ok || !a.visibleTo(account) || !a.live() {
			return associationNotFound(id)
		}
		if a.GatewayOwner != account {
			return clientErr(RuleInvalidArgument, "Direct Connect gateway %s is account %s's: propose the change with CreateDirectConnectGatewayAssociationProposal.", a.GatewayID, a.GatewayOwner)
		}
		if a.State != StateAssociated {
			return clientErr(RuleState, "Direct Connect gateway association %s is in state %s.", a.ID, a.State)
		}
		prefixes, err := applyPrefixes(a.AllowedPrefixes, add, remove)
		if err != nil {
			return err
		}
		if err := checkPrefixCount(a.AssociatedType, a.AssociatedID, prefixes); err != nil {
			return err
		}
		out = a
		if slices.Equal(prefixes, a.AllowedPrefixes) {
			return nil
		}
		out = a.clone()
		out.AllowedPrefixes, out.State = prefixes, StateUpdating
		t.putAssociation(out)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// applyPrefixes returns have with add added and remove removed, all checked.
func applyPrefixes(have, add, remove []string) ([]string, error) {
	add, err := CheckPrefixes(add)
	if err != nil {
		return nil, err
	}
	remove, err = CheckPrefixes(remove)
	if err != nil {
		return nil, err
	}
	out, _ := CheckPrefixes(append(slices.Clone(have), add...))
	return slices.DeleteFunc(out, func(p string) bool { return slices.Contains(remove, p) }), nil
}

// DeleteDirectConnectGatewayAssociation disassociates, by association ID or
// by Direct Connect gateway and virtual private gateway. Either owner may.
// The association is disassociating until the schedule's Deleting has
// passed, then disassociated.
func (s *Service) DeleteDirectConnectGatewayAssociation(ctx context.Context, account, id, gatewayID, vgwID string) (*GatewayAssociation, error) {
	var out *GatewayAssociation
	err := s.do(ctx, "DeleteDirectConnectGatewayAssociation", func(t *txn) error {
		a, err := findAssociation(t.st, account, id, gatewayID, vgwID)
		if err != nil {
			return err
		}
		if a.State == StateDisassociating {
			return clientErr(RuleState, "Direct Connect gateway association %s is in state %s.", a.ID, a.State)
		}
		out = a.clone()
		out.State = StateDisassociating
		t.putAssociation(out)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func findAssociation(st *State, account, id, gatewayID, vgwID string) (*GatewayAssociation, error) {
	if id != "" {
		a, ok := st.GatewayAssociations[id]
		if !ok || !a.visibleTo(account) || !a.live() {
			return nil, associationNotFound(id)
		}
		return a, nil
	}
	if gatewayID == "" || vgwID == "" {
		return nil, clientErr(RuleInvalidArgument, "Specify the association: associationId, or directConnectGatewayId and virtualGatewayId.")
	}
	for _, a := range st.GatewayAssociations {
		if a.GatewayID == gatewayID && a.AssociatedID == vgwID && a.visibleTo(account) && a.live() {
			return a, nil
		}
	}
	return nil, clientErr(RuleNotFound, "The association of Direct Connect gateway %s with %s does not exist.", gatewayID, vgwID)
}
