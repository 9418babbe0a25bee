package sim

import (
	"context"
	"maps"
	"slices"
)

// CreateConnectionInput is a CreateConnection request.
type CreateConnectionInput struct {
	Location, Bandwidth, Name string
	LAGID                     string
	Tags                      []Tag
	ProviderName              string
	RequestMACsec             bool
}

// CreateConnection orders a dedicated connection, optionally straight into a LAG.
func (s *Service) CreateConnection(ctx context.Context, account string, in CreateConnectionInput) (*Connection, error) {
	return s.createPort(ctx, account, KindDedicated, in)
}

func (s *Service) createPort(ctx context.Context, account string, kind ConnectionKind, in CreateConnectionInput) (*Connection, error) {
	var c *Connection
	err := s.do(ctx, "Create"+kind.operationNoun(), func(t *txn) error {
		loc, err := CheckPortSpeed(s.cat, s.region, in.Location, in.Bandwidth)
		if err != nil {
			return err
		}
		if in.RequestMACsec {
			if err := CheckMACsecCapable("A "+in.Bandwidth+" connection", in.Bandwidth, slices.Contains(loc.MACsecPortSpeeds, in.Bandwidth)); err != nil {
				return err
			}
		}
		tags, err := CheckTags(nil, in.Tags, s.quotas)
		if err != nil {
			return err
		}
		var lag *LAG
		device := ""
		if in.LAGID != "" {
			if lag, err = findLAG(t.st, account, in.LAGID); err != nil {
				return err
			}
			device = lag.Device // a connection ordered into a LAG is placed on its device
		} else if device, err = s.place(t.st, account, loc, tags); err != nil {
			return err
		}
		c, err = s.newConnection(t, account, kind, loc, device, in.Bandwidth, in.Name, tags)
		if err != nil {
			return err
		}
		c.ProviderName, c.MACsecCapable = in.ProviderName, in.RequestMACsec
		if lag != nil {
			for _, rule := range []error{ruleBandwidth(c, lag), ruleSameDevice(c, lag), ruleCapacity(t.st, lag, 1)} {
				if rule != nil {
					return rule
				}
			}
			c.LAGID, c.Encryption = lag.ID, lag.Encryption
		}
		t.putConn(c)
		t.effect(Effect{Kind: EffectCreatePort, ID: c.ID, Port: ref(portSpec(c))})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// newConnection builds (but does not store) a connection on a device of a
// location.
func (s *Service) newConnection(t *txn, account string, kind ConnectionKind, loc Location, device, bandwidth, name string, tags []Tag) (*Connection, error) {
	id, err := s.newID(PrefixConnection)
	if err != nil {
		return nil, err
	}
	state := StateRequested
	if s.dp != nil {
		state = StatePending
	}
	return &Connection{
		ID: id, Kind: kind, Name: name, Owner: account, State: state, Region: s.region,
		Location: loc.Code, Bandwidth: bandwidth, Device: device, Encryption: EncryptNo,
		Tags: tags, Since: t.now, Created: t.now,
	}, nil
}

// Connections describes the caller's connections (dedicated and hosted), or
// one of them.
func (s *Service) Connections(account, id string) ([]*Connection, error) {
	return s.describeConns(account, id, findConnection, func(c *Connection) bool { return c.Kind != KindInterconnect })
}

// describeConns reads one connection-shaped object (found by find) or every
// one of the caller's that keep accepts, sorted by ID.
func (s *Service) describeConns(account, id string, find func(*State, string, string) (*Connection, error), keep func(*Connection) bool) ([]*Connection, error) {
	var out []*Connection
	now := s.clock.Now()
	err := s.read(func(st *State) error {
		gone, _, _ := s.shownGone(st, account, now)
		if id != "" {
			c, err := find(st, account, id)
			if err == nil {
				out = []*Connection{st.Present(c)}
				return nil
			}
			if i := slices.IndexFunc(gone, func(g *Connection) bool { return g.ID == id && keep(g) }); i >= 0 {
				out = []*Connection{gone[i]}
				return nil
			}
			return err
		}
		out = slices.DeleteFunc(s.connsInOrder(st), func(c *Connection) bool { return c.Owner != account || !keep(c) })
		for i, c := range out {
			out[i] = st.Present(c)
		}
		var shown []*Connection
		for _, g := range gone {
			if keep(g) {
				shown = append(shown, g)
			}
		}
		if len(shown) > 0 {
			// Deleted and live IDs never repeat: merge the two ordered lists.
			slices.SortFunc(shown, func(a, b *Connection) int { return compareIDs(a.ID, b.ID) })
			out = mergeSorted(out, shown)
		}
		return nil
	})
	return out, err
}

// UpdateConnection renames a connection or changes its encryption mode.
func (s *Service) UpdateConnection(account, id string, name, encryption *string) (*Connection, error) {
	var out *Connection
	err := s.mutate(func(t *txn) error {
		c, err := findConnection(t.st, account, id)
		if err != nil {
			return err
		}
		n := c.clone()
		if name != nil {
			n.Name = *name
		}
		if encryption != nil {
			if err := CheckEncryptionMode(*encryption); err != nil {
				return err
			}
			if c.LAGID != "" {
				return clientErr(RuleMACsec, "Connection %s is a member of Lag %s; its encryptionMode follows the LAG's.", c.ID, c.LAGID)
			}
			if err := CheckMACsecCapable(c.ID, c.Bandwidth, c.MACsecCapable); err != nil {
				return err
			}
			n.Encryption = *encryption
		}
		t.putConn(n)
		out = n
		return nil
	})
	return out, err
}

// DeleteConnection deletes a dedicated or hosted connection. A connection
// still carrying VIFs or hosted connections is refused, as is a LAG member
// whose removal would break the LAG's minimumLinks.
func (s *Service) DeleteConnection(ctx context.Context, account, id string) (*Connection, error) {
	var out *Connection
	err := s.do(ctx, "DeleteConnection", func(t *txn) error {
		c, err := findConnection(t.st, account, id)
		if h, ok := t.st.Connections[id]; err != nil && ok && h.Kind == KindHosted && h.Partner == account && h.State != StateDeleted {
			c, err = h, nil // the partner that allocated a hosted connection may delete it
		}
		if err != nil {
			return err
		}
		if err := s.checkRemovable(t.st, c); err != nil {
			return err
		}
		out = c.clone()
		out.State = StateDeleted
		s.unprovision(t, c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) checkRemovable(st *State, c *Connection) error {
	if vifs := st.VIFsOn(c.ID); len(vifs) > 0 {
		return clientErr(RuleInUse, "Connection %s has virtual interfaces (%s); delete them first.", c.ID, vifIDs(vifs))
	}
	if hosted := st.Hosted(c.ID); len(hosted) > 0 {
		return clientErr(RuleInUse, "Connection %s has hosted connections (%s); delete them first.", c.ID, connIDs(hosted))
	}
	if err := ruleNotTransitioning(c); err != nil {
		return err
	}
	if lag, ok := st.LAGs[c.LAGID]; ok {
		return ruleMinimumLinks(st, lag, c, true)
	}
	return nil
}

// unprovision removes a connection from the state within t, with the
// effects that remove its link (a port, released from its LAG first) or its
// VLAN (a hosted connection).
func (s *Service) unprovision(t *txn, c *Connection) {
	t.remove(c.ID)
	switch {
	case c.Kind == KindHosted:
		t.effect(Effect{Kind: EffectDeleteVLAN, ID: c.ID})
	case c.LAGID != "":
		s.settleLAG(t, c.LAGID)
		t.effect(Effect{Kind: EffectMovePort, ID: c.ID, From: c.LAGID})
		fallthrough
	default:
		t.effect(Effect{Kind: EffectDeletePort, ID: c.ID})
	}
}

// ConfirmConnection accepts a hosted connection on order.
func (s *Service) ConfirmConnection(account, id string) (string, error) {
	var state string
	err := s.mutate(func(t *txn) error {
		c, err := findConnection(t.st, account, id)
		if err != nil {
			return err
		}
		if c.State != StateOrdering {
			return clientErr(RuleState, "Connection %s is in state %s; only a hosted connection in state ordering can be confirmed.", c.ID, c.State)
		}
		n := c.clone()
		n.State = StatePending
		t.putConn(n)
		state = n.State
		return nil
	})
	return state, err
}

// connsInOrder returns st's connections ordered by ID, in a new slice.
// Sorting 1,000 IDs on every describe was a seventh of its time; the order
// is kept and sorted again only when the set of connections changed, which
// looking up each kept ID (as a describe must anyway) tells: as many IDs,
// all present. Callers hold the state lock (read or write).
func (s *Service) connsInOrder(st *State) []*Connection {
	if p := s.connOrder.Load(); p != nil && len(*p) == len(st.Connections) {
		out := make([]*Connection, len(*p))
		for i, id := range *p {
			c, ok := st.Connections[id]
			if !ok {
				out = nil
				break
			}
			out[i] = c
		}
		if out != nil {
			return out
		}
	}
	ids := slices.Sorted(maps.Keys(st.Connections))
	s.connOrder.Store(&ids)
	out := make([]*Connection, len(ids))
	for i, id := range ids {
		out[i] = st.Connections[id]
	}
	return out
}

// mergeSorted merges two lists of connections ordered by ID.
func mergeSorted(a, b []*Connection) []*Connection {
	out := make([]*Connection, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if compareIDs(a[0].ID, b[0].ID) <= 0 {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	out = append(out, a...)
	return append(out, b...)
}
