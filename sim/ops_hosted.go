package sim

import (
	"context"
	"slices"
	"strings"
)

// CreateInterconnect orders an interconnect: a partner's port that carries
// hosted connections and may join a LAG.
func (s *Service) CreateInterconnect(ctx context.Context, account string, in CreateConnectionInput) (*Connection, error) {
	return s.createPort(ctx, account, KindInterconnect, in)
}

// Interconnects describes the caller's interconnects, or one of them.
func (s *Service) Interconnects(account, id string) ([]*Connection, error) {
	return s.describeConns(account, id, findInterconnect, func(c *Connection) bool { return c.Kind == KindInterconnect })
}

// DeleteInterconnect deletes an interconnect with no hosted connections.
func (s *Service) DeleteInterconnect(ctx context.Context, account, id string) (string, error) {
	err := s.do(ctx, "DeleteInterconnect", func(t *txn) error {
		c, err := findInterconnect(t.st, account, id)
		if err != nil {
			return err
		}
		if err := s.checkRemovable(t.st, c); err != nil {
			return err
		}
		s.unprovision(t, c)
		return nil
	})
	if err != nil {
		return "", err
	}
	return StateDeleted, nil
}

// AllocateHostedConnectionInput is an AllocateHostedConnection request: a
// partner carves a hosted connection for a customer out of an interconnect
// or a LAG.
type AllocateHostedConnectionInput struct {
	ParentID, Owner, Bandwidth, Name string
	VLAN                             int
	Tags                             []Tag
}

// AllocateHostedConnection creates a hosted connection, in state ordering
// until its owner confirms it.
func (s *Service) AllocateHostedConnection(ctx context.Context, account string, in AllocateHostedConnectionInput) (*Connection, error) {
	return s.allocateHosted(ctx, "AllocateHostedConnection", account, in)
}

func (s *Service) allocateHosted(ctx context.Context, op, account string, in AllocateHostedConnectionInput) (*Connection, error) {
	var c *Connection
	err := s.do(ctx, op, func(t *txn) error {
		parent, err := s.findParent(t.st, account, in.ParentID)
		if err != nil {
			return err
		}
		if !slices.Contains(hostedBandwidths, in.Bandwidth) {
			return clientErr(RuleInvalidArgument, "Bandwidth %s is not a hosted connection bandwidth; valid: %s.", in.Bandwidth, strings.Join(hostedBandwidths, ", "))
		}
		if err := CheckVLAN(t.st, parent.id, in.VLAN, ""); err != nil {
			return err
		}
		tags, err := CheckTags(nil, in.Tags, s.quotas)
		if err != nil {
			return err
		}
		id, err := s.newID(PrefixConnection)
		if err != nil {
			return err
		}
		c = &Connection{
			ID: id, Kind: KindHosted, Name: in.Name, Owner: in.Owner, Partner: account, State: StateOrdering, Region: s.region,
			Location: parent.location, Bandwidth: in.Bandwidth, Device: parent.device, ParentID: parent.id,
			VLAN: in.VLAN, PartnerName: parent.provider, Encryption: EncryptNo, Tags: tags, Since: t.now,
		}
		t.putConn(c)
		t.effect(Effect{Kind: EffectCreateVLAN, ID: c.ID, VLAN: &VLANSpec{ID: c.ID, ParentID: c.ParentID, VLAN: c.VLAN}})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

type parent struct {
	id, location, device, provider string
}

// findParent finds an interconnect, or a LAG that may carry hosted connections.
func (s *Service) findParent(st *State, account, id string) (parent, error) {
	if strings.HasPrefix(id, PrefixLAG) {
		l, err := findLAG(st, account, id)
		if err != nil {
			return parent{}, err
		}
		return parent{l.ID, l.Location, l.Device, l.ProviderName}, nil
	}
	c, err := findInterconnect(st, account, id)
	if err != nil {
		return parent{}, err
	}
	return parent{c.ID, c.Location, c.Device, c.ProviderName}, nil
}

// HostedConnections describes the hosted connections on an interconnect or
// LAG, or one hosted connection by its own ID (as the AWS provider reads a
// hosted connection back), to its owner or to the partner that allocated it.
func (s *Service) HostedConnections(account, parentID string) ([]*Connection, error) {
	var out []*Connection
	now := s.clock.Now()
	err := s.read(func(st *State) error {
		if h, ok := st.Connections[parentID]; ok && h.Kind == KindHosted && (h.Owner == account || h.Partner == account) {
			out = []*Connection{h}
			return nil
		}
		// A hosted connection just deleted is described as deleted, as the
		// AWS provider's destroy waits for.
		if g, ok := st.Gone[parentID]; ok && g.Connection != nil && g.Connection.Kind == KindHosted &&
			(g.Connection.Owner == account || g.Connection.Partner == account) && now.Sub(g.Deleted) < s.schedule.Retain {
			out = []*Connection{g.Connection}
			return nil
		}
		p, err := s.findParent(st, account, parentID)
		if err != nil {
			return err
		}
		out = st.Hosted(p.id)
		return nil
	})
	return out, err
}

// AssociateHostedConnection moves a hosted connection to another interconnect or LAG.
func (s *Service) AssociateHostedConnection(ctx context.Context, account, hostedID, parentID string) (*Connection, error) {
	var out *Connection
	err := s.do(ctx, "AssociateHostedConnection", func(t *txn) error {
		h, ok := t.st.Connections[hostedID]
		if !ok || h.Kind != KindHosted || h.State == StateDeleted {
			return clientErr(RuleNotFound, "Could not find Connection with ID %s", hostedID)
		}
		p, err := s.findParent(t.st, account, parentID)
		if err != nil {
			return err
		}
		if p.location != h.Location {
			return clientErr(RuleDifferentDevice, "Hosted connection %s is in %s, but %s is in %s.", h.ID, h.Location, p.id, p.location)
		}
		if err := CheckVLAN(t.st, p.id, h.VLAN, h.ID); err != nil {
			return err
		}
		n := h.clone()
		n.ParentID, n.Device = p.id, p.device
		t.putConn(n)
		t.effect(Effect{Kind: EffectMoveVLAN, ID: h.ID, To: p.id})
		out = n
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
