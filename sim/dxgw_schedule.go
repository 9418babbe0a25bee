package sim

import "time"

// The Direct Connect gateway objects' schedule (see dxgw.go): each state's
// deadline, and what it moves to then ("" when the object is then no longer
// described).

func (s *Service) gatewayDeadline(g *DXGateway) (time.Time, string, bool) {
	switch g.State {
	case StatePending:
		return g.Since.Add(s.schedule.Confirm), StateAvailable, true
	case StateDeleting:
		return g.Since.Add(s.schedule.Deleting), "", true
	}
	return time.Time{}, "", false
}

func (s *Service) associationDeadline(a *GatewayAssociation) (time.Time, string, bool) {
	switch a.State {
	case StateAssociating, StateUpdating:
		return a.Since.Add(s.schedule.Confirm), StateAssociated, true
	case StateDisassociating:
		return a.Since.Add(s.schedule.Deleting), StateDisassociated, true
	case StateDisassociated:
		return a.Since.Add(s.schedule.Retain), "", true
	}
	return time.Time{}, "", false
}

func (s *Service) proposalDeadline(p *GatewayProposal) (time.Time, string, bool) {
	if p.State == StateAccepted || p.State == StateDeleted {
		return p.Since.Add(s.schedule.Retain), "", true
	}
	return time.Time{}, "", false
}

// advanceGateways moves every gateway, association and proposal whose
// deadline has passed, one step at a time, each step dated at its deadline.
func (s *Service) advanceGateways(t *txn) {
	for id, g := range t.st.Gateways {
		for at, to, ok := s.gatewayDeadline(g); ok && !t.now.Before(at); at, to, ok = s.gatewayDeadline(g) {
			if to == "" {
				drop(t, t.st.Gateways, id)
				break
			}
			g = g.clone()
			g.State = to
			t.putGateway(g)
			g.Since = at
		}
	}
	for id, a := range t.st.GatewayAssociations {
		for at, to, ok := s.associationDeadline(a); ok && !t.now.Before(at); at, to, ok = s.associationDeadline(a) {
			if to == "" {
				drop(t, t.st.GatewayAssociations, id)
				break
			}
			a = a.clone()
			a.State = to
			t.putAssociation(a)
			a.Since = at
		}
	}
	for id, p := range t.st.GatewayProposals {
		if at, _, ok := s.proposalDeadline(p); ok && !t.now.Before(at) {
			drop(t, t.st.GatewayProposals, id)
		}
	}
}

// gatewaysNext is the earliest deadline of the gateway objects.
func (s *Service) gatewaysNext(consider func(time.Time, bool)) {
	for _, g := range s.state.Gateways {
		at, _, ok := s.gatewayDeadline(g)
		consider(at, ok)
	}
	for _, a := range s.state.GatewayAssociations {
		at, _, ok := s.associationDeadline(a)
		consider(at, ok)
	}
	for _, p := range s.state.GatewayProposals {
		at, _, ok := s.proposalDeadline(p)
		consider(at, ok)
	}
}
