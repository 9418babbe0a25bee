package sim

import (
	"context"
	"slices"
)

// CreateProposalInput is a CreateDirectConnectGatewayAssociationProposal
// request: the caller proposes its gateway for another account's Direct
// Connect gateway.
type CreateProposalInput struct {
	GatewayID, GatewayOwner string
	AssociatedID            string
	Add, Remove             []string
}

// ProposalFilter selects proposals: every field given must match.
type ProposalFilter struct {
	ProposalID, GatewayID, AssociatedID string
}

func proposalNotFound(id string) error {
	return clientErr(RuleNotFound, "Direct Connect gateway association proposal %s does not exist.", id)
}

// CreateDirectConnectGatewayAssociationProposal proposes to associate the
// caller's virtual private or transit gateway with a Direct Connect gateway
// (of any account), or, when they are associated already, to change the
// association's allowed prefixes. The gateway's owner accepts it.
func (s *Service) CreateDirectConnectGatewayAssociationProposal(ctx context.Context, account string, in CreateProposalInput) (*GatewayProposal, error) {
	var out *GatewayProposal
	err := s.do(ctx, "CreateDirectConnectGatewayAssociationProposal", func(t *txn) error {
		kind, err := CheckAssociatedGatewayID(in.AssociatedID)
		if err != nil {
			return err
		}
		g, err := findGateway(t.st, in.GatewayOwner, in.GatewayID)
		if err != nil {
			return err
		}
		for _, p := range t.st.GatewayProposals {
			if p.GatewayID == g.ID && p.AssociatedID == in.AssociatedID && p.State == StateRequested {
				return clientErr(RuleGatewayInUse, "Proposal %s to associate %s with Direct Connect gateway %s is still requested; delete it first.", p.ID, in.AssociatedID, g.ID)
			}
		}
		existing, err := proposedFrom(t.st, g, kind, in.AssociatedID, account)
		if err != nil {
			return err
		}
		requested, err := applyPrefixes(existing, in.Add, in.Remove)
		if err != nil {
			return err
		}
		if err := checkPrefixCount(kind, in.AssociatedID, requested); err != nil {
			return err
		}
		id, err := s.newUUID()
		if err != nil {
			return err
		}
		out = &GatewayProposal{
			ID: id, GatewayID: g.ID, GatewayOwner: g.Owner, AssociatedID: in.AssociatedID, AssociatedType: kind,
			AssociatedOwner: account, AssociatedRegion: s.region, Existing: existing, Requested: requested,
			State: StateRequested, Since: t.now,
		}
		t.putProposal(out)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// proposedFrom returns the allowed prefixes of the association a proposal
// would change (none for a new one), after the rules a proposer can be told
// of at once: its virtual private gateway is not another Direct Connect
// gateway's. The rest are checked when the proposal is accepted.
func proposedFrom(st *State, g *DXGateway, kind, associated, account string) ([]string, error) {
	for _, a := range st.GatewayAssociations {
		if !a.live() || a.AssociatedID != associated {
			continue
		}
		switch {
		case a.GatewayID == g.ID && a.AssociatedOwner == account:
			return slices.Clone(a.AllowedPrefixes), nil
		case a.GatewayID == g.ID:
			return nil, clientErr(RuleGatewayInUse, "%s is already associated with Direct Connect gateway %s by account %s.", associated, g.ID, a.AssociatedOwner)
		case kind == GatewayVirtualPrivate:
			return nil, clientErr(RuleGatewayInUse, "Virtual private gateway %s is already associated with Direct Connect gateway %s; a virtual private gateway can be associated with one Direct Connect gateway.", associated, a.GatewayID)
		}
	}
	return nil, nil
}

// GatewayProposals describes the proposals the caller made or received
// that match f; accepted and deleted ones are still described for a while.
// A filter that matches nothing is no error.
func (s *Service) GatewayProposals(account string, f ProposalFilter) ([]*GatewayProposal, error) {
	var out []*GatewayProposal
	err := s.read(func(st *State) error {
		for _, p := range st.GatewayProposals {
			if (p.AssociatedOwner == account || p.GatewayOwner == account) &&
				(f.ProposalID == "" || p.ID == f.ProposalID) && (f.GatewayID == "" || p.GatewayID == f.GatewayID) &&
				(f.AssociatedID == "" || p.AssociatedID == f.AssociatedID) {
				out = append(out, p)
			}
		}
		slices.SortFunc(out, func(a, b *GatewayProposal) int { return compareIDs(a.ID, b.ID) })
		return nil
	})
	return out, err
}

// AcceptProposalInput is an AcceptDirectConnectGatewayAssociationProposal request.
type AcceptProposalInput struct {
	GatewayID, ProposalID, AssociatedOwner string
	// Override, when set, replaces the proposal's prefixes.
	Override []string
}

// AcceptDirectConnectGatewayAssociationProposal accepts a requested
// proposal made to the caller's Direct Connect gateway: a new association
// (associating), or the prefixes of an existing one (updating). All the
// rules of CreateDirectConnectGatewayAssociation apply.
func (s *Service) AcceptDirectConnectGatewayAssociationProposal(ctx context.Context, account string, in AcceptProposalInput) (*GatewayAssociation, error) {
	var out *GatewayAssociation
	err := s.do(ctx, "AcceptDirectConnectGatewayAssociationProposal", func(t *txn) error {
		p, g, err := acceptable(t.st, account, in)
		if err != nil {
			return err
		}
		prefixes := p.Requested
		if in.Override != nil {
			if prefixes, err = CheckPrefixes(in.Override); err != nil {
				return err
			}
		}
		if out, err = s.applyProposal(t, g, p, prefixes); err != nil {
			return err
		}
		accepted := p.clone()
		accepted.State = StateAccepted
		t.putProposal(accepted)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// acceptable finds a proposal the caller may accept, and its gateway.
func acceptable(st *State, account string, in AcceptProposalInput) (*GatewayProposal, *DXGateway, error) {
	p, ok := st.GatewayProposals[in.ProposalID]
	if !ok || p.GatewayOwner != account || p.GatewayID != in.GatewayID {
		return nil, nil, proposalNotFound(in.ProposalID)
	}
	if p.AssociatedOwner != in.AssociatedOwner {
		return nil, nil, clientErr(RuleInvalidArgument, "Proposal %s was made by account %s, not %s (associatedGatewayOwnerAccount).", p.ID, p.AssociatedOwner, in.AssociatedOwner)
	}
	if p.State != StateRequested {
		return nil, nil, clientErr(RuleState, "Direct Connect gateway association proposal %s is in state %s.", p.ID, p.State)
	}
	g, err := findGateway(st, account, p.GatewayID)
	if err != nil {
		return nil, nil, err
	}
	return p, g, nil
}

// applyProposal makes an accepted proposal's association, or updates the
// one it changes.
func (s *Service) applyProposal(t *txn, g *DXGateway, p *GatewayProposal, prefixes []string) (*GatewayAssociation, error) {
	for _, a := range t.st.liveAssociations(g.ID) {
		if a.AssociatedID != p.AssociatedID || a.AssociatedOwner != p.AssociatedOwner {
			continue
		}
		if a.State != StateAssociated {
			return nil, clientErr(RuleState, "Direct Connect gateway association %s is in state %s.", a.ID, a.State)
		}
		if err := checkPrefixCount(a.AssociatedType, a.AssociatedID, prefixes); err != nil {
			return nil, err
		}
		n := a.clone()
		n.AllowedPrefixes, n.State = prefixes, StateUpdating
		t.putAssociation(n)
		return n, nil
	}
	if err := CheckNewAssociation(t.st, g, p.AssociatedType, p.AssociatedID, prefixes); err != nil {
		return nil, err
	}
	a, err := s.associate(t, g, p.AssociatedType, p.AssociatedID, p.AssociatedOwner, prefixes)
	if err != nil {
		return nil, err
	}
	a.AssociatedRegion = p.AssociatedRegion
	return a, nil
}

// DeleteDirectConnectGatewayAssociationProposal withdraws a requested
// proposal; only the account that made it may. It is then deleted.
func (s *Service) DeleteDirectConnectGatewayAssociationProposal(ctx context.Context, account, id string) (*GatewayProposal, error) {
	var out *GatewayProposal
	err := s.do(ctx, "DeleteDirectConnectGatewayAssociationProposal", func(t *txn) error {
		p, ok := t.st.GatewayProposals[id]
		if !ok || p.AssociatedOwner != account {
			return proposalNotFound(id)
		}
		if p.State != StateRequested {
			return clientErr(RuleState, "Direct Connect gateway association proposal %s is in state %s.", p.ID, p.State)
		}
		out = p.clone()
		out.State = StateDeleted
		t.putProposal(out)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
