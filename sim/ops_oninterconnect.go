package sim

import (
	"context"
	"strings"
)

// DescribeConnectionsOnInterconnect and AllocateConnectionOnInterconnect are
// the deprecated forms of DescribeHostedConnections and
// AllocateHostedConnection, from before a LAG could carry hosted
// connections: they name their parent interconnectId, and take only an
// interconnect (a LAG's ID is not found). Otherwise the rules, states and
// errors are those of the current operations.

// ConnectionsOnInterconnect lists the hosted connections an interconnect of
// the caller's carries.
func (s *Service) ConnectionsOnInterconnect(account, interconnectID string) ([]*Connection, error) {
	var out []*Connection
	err := s.read(func(st *State) error {
		ic, err := findInterconnect(st, account, interconnectID)
		if err != nil {
			return err
		}
		out = st.Hosted(ic.ID)
		return nil
	})
	return out, err
}

// AllocateConnectionOnInterconnect allocates a hosted connection on an
// interconnect of the caller's, as AllocateHostedConnection does.
func (s *Service) AllocateConnectionOnInterconnect(ctx context.Context, account string, in AllocateHostedConnectionInput) (*Connection, error) {
	if strings.HasPrefix(in.ParentID, PrefixLAG) {
		return nil, clientErr(RuleNotFound, "Could not find Interconnect with ID %s", in.ParentID)
	}
	// Any other ID is looked up as an interconnect by the shared rules.
	return s.allocateHosted(ctx, "AllocateConnectionOnInterconnect", account, in)
}
