package sim

import (
	"context"
	"fmt"
	"slices"
)

// CreateLagInput is a CreateLag request.
type CreateLagInput struct {
	NumberOfConnections int
	Location, Bandwidth string
	Name                string
	ConnectionID        string // an existing connection to convert into the first member
	Tags, ChildTags     []Tag
	ProviderName        string
	RequestMACsec       bool
}

// LAGView is a LAG with its members, as the API returns it.
type LAGView struct {
	LAG     *LAG
	Members []*Connection
}

// CreateLag creates a LAG with NumberOfConnections members: new connections
// named "Requested Connection i for Lag dxlag-…", or, with ConnectionID, that
// connection and NumberOfConnections-1 new ones.
func (s *Service) CreateLag(ctx context.Context, account string, in CreateLagInput) (LAGView, error) {
	var view LAGView
	err := s.do(ctx, "CreateLag", func(t *txn) error {
		loc, err := CheckPortSpeed(s.cat, s.region, in.Location, in.Bandwidth)
		if err != nil {
			return err
		}
		if err := CheckLAGQuota(t.st, account, s.region, s.quotas); err != nil {
			return err
		}
		min, max := 0, MaxMembers(in.Bandwidth)
		if in.ConnectionID != "" {
			min = 1
		}
		if in.NumberOfConnections < min || in.NumberOfConnections > max {
			return clientErr(RuleLAGFull, "numberOfConnections %d is out of range: a %s LAG has between %d and %d connections.", in.NumberOfConnections, in.Bandwidth, min, max)
		}
		macsec := slices.Contains(loc.MACsecPortSpeeds, in.Bandwidth)
		if in.RequestMACsec {
			if err := CheckMACsecCapable("A "+in.Bandwidth+" LAG", in.Bandwidth, macsec); err != nil {
				return err
			}
		}
		tags, err := CheckTags(nil, in.Tags, s.quotas)
		if err != nil {
			return err
		}
		childTags, err := CheckTags(nil, in.ChildTags, s.quotas)
		if err != nil {
			return err
		}
		id, err := s.newID(PrefixLAG)
		if err != nil {
			return err
		}
		lag := &LAG{
			ID: id, Name: in.Name, Owner: account, State: StatePending, Region: s.region,
			Location: loc.Code, Bandwidth: in.Bandwidth, Encryption: EncryptNo, ProviderName: in.ProviderName,
			MACsecCapable: in.RequestMACsec, Tags: tags, Since: t.now, Created: t.now,
		}
		if in.RequestMACsec {
			lag.Encryption = EncryptShould
		}
		if in.ConnectionID != "" {
			c, err := findLinkable(t.st, account, in.ConnectionID)
			if err != nil {
				return err
			}
			lag.Device = c.Device
			if c.LAGID != "" {
				return clientErr(RuleInvalidArgument, "Connection %s is already associated with Lag %s.", c.ID, c.LAGID)
			}
			for _, rule := range []error{ruleHostedNotInLAG(c, lag), ruleNotTransitioning(c), ruleUsable(c), ruleBandwidth(c, lag), ruleSameDevice(c, lag)} {
				if rule != nil {
					return rule
				}
			}
			t.putLAG(lag)
			t.effect(Effect{Kind: EffectCreateLAG, ID: lag.ID, LAG: lagSpec(lag)})
			s.joinLAG(t, c, lag)
			t.recs = append(t.recs, &AssociationRecord{Op: OpAssociate, ConnectionID: c.ID, LAGID: lag.ID, Requested: t.now})
		} else {
			if lag.Device, err = s.place(t.st, account, loc, lag.Tags); err != nil {
				return err
			}
			t.putLAG(lag)
			t.effect(Effect{Kind: EffectCreateLAG, ID: lag.ID, LAG: lagSpec(lag)})
		}
		for i := len(t.st.Members(lag.ID)); i < in.NumberOfConnections; i++ {
			c, err := s.newConnection(t, account, KindDedicated, loc, lag.Device, in.Bandwidth, fmt.Sprintf("Requested Connection %d for Lag %s", i+1, lag.ID), slices.Clone(childTags))
			if err != nil {
				return err
			}
			c.LAGID, c.Encryption, c.ProviderName, c.MACsecCapable = lag.ID, lag.Encryption, in.ProviderName, in.RequestMACsec
			t.putConn(c)
			t.effect(Effect{Kind: EffectCreatePort, ID: c.ID, Port: ref(portSpec(c))})
		}
		view = LAGView{LAG: lag, Members: t.st.Members(lag.ID)}
		return nil
	})
	if err != nil {
		return LAGView{}, err
	}
	return view, nil
}

// joinLAG makes c a member of lag within t: its link is interrupted until
// the member converges (one MovePort, from its old LAG if it had one), its
// own MACsec keys give way to the LAG's, and, when it was standalone, its
// VIFs and hosted connections move with it. It returns the updated
// connection.
func (s *Service) joinLAG(t *txn, c *Connection, lag *LAG) *Connection {
	n := c.clone()
	from := c.LAGID
	n.LAGID, n.Transitioning, n.State = lag.ID, true, StateDown
	n.Since = t.now // the transition's clock starts now, even for a port already down
	n.MACsecKeys, n.Encryption = nil, lag.Encryption
	t.putConn(n)
	t.effect(Effect{Kind: EffectMovePort, ID: c.ID, From: from, To: lag.ID, Op: OpAssociate})
	if from == "" {
		for _, v := range t.st.VIFsOn(c.ID) {
			m := v.clone()
			m.ConnectionID = lag.ID
			t.putVIF(m)
			t.effect(Effect{Kind: EffectMoveVLAN, ID: v.ID, To: lag.ID})
		}
		for _, h := range t.st.Hosted(c.ID) {
			m := h.clone()
			m.ParentID = lag.ID
			t.putConn(m)
			t.effect(Effect{Kind: EffectMoveVLAN, ID: h.ID, To: lag.ID})
		}
	}
	s.settleLAG(t, lag.ID)
	if from != "" {
		s.settleLAG(t, from)
	}
	return n
}

// LAGs describes the caller's LAGs, or one of them.
func (s *Service) LAGs(account, id string) ([]LAGView, error) {
	var out []LAGView
	now := s.clock.Now()
	err := s.read(func(st *State) error {
		_, gone, _ := s.shownGone(st, account, now)
		if id != "" {
			l, err := findLAG(st, account, id)
			if err == nil {
				out = []LAGView{{LAG: l, Members: st.presentAll(st.Members(l.ID))}}
				return nil
			}
			if i := slices.IndexFunc(gone, func(g *LAG) bool { return g.ID == id }); i >= 0 {
				out = []LAGView{{LAG: gone[i]}}
				return nil
			}
			return err
		}
		for _, l := range st.LAGs {
			if l.Owner == account {
				out = append(out, LAGView{LAG: l, Members: st.presentAll(st.Members(l.ID))})
			}
		}
		for _, g := range gone {
			out = append(out, LAGView{LAG: g})
		}
		slices.SortFunc(out, func(a, b LAGView) int { return compareIDs(a.LAG.ID, b.LAG.ID) })
		return nil
	})
	return out, err
}

// UpdateLagInput is an UpdateLag request; nil fields are left alone.
type UpdateLagInput struct {
	Name         *string
	MinimumLinks *int
	Encryption   *string
}

// UpdateLag renames a LAG, sets its minimumLinks or its encryption mode.
func (s *Service) UpdateLag(ctx context.Context, account, id string, in UpdateLagInput) (LAGView, error) {
	var view LAGView
	err := s.do(ctx, "UpdateLag", func(t *txn) error {
		l, err := findLAG(t.st, account, id)
		if err != nil {
			return err
		}
		n := l.clone()
		if in.Name != nil {
			n.Name = *in.Name
		}
		if in.MinimumLinks != nil {
			if err := CheckMinimumLinksSetting(t.st, l, *in.MinimumLinks); err != nil {
				return err
			}
			n.MinimumLinks = *in.MinimumLinks
			t.effect(Effect{Kind: EffectSetMinLinks, ID: l.ID, MinLinks: n.MinimumLinks})
		}
		if in.Encryption != nil {
			if err := CheckEncryptionMode(*in.Encryption); err != nil {
				return err
			}
			if err := CheckMACsecCapable(l.ID, l.Bandwidth, l.MACsecCapable); err != nil {
				return err
			}
			n.Encryption = *in.Encryption
			for _, m := range t.st.Members(l.ID) {
				mc := m.clone()
				mc.Encryption = n.Encryption
				t.putConn(mc)
			}
		}
		t.putLAG(n)
		s.settleLAG(t, n.ID)
		view = LAGView{LAG: t.st.LAGs[n.ID], Members: t.st.Members(n.ID)}
		return nil
	})
	if err != nil {
		return LAGView{}, err
	}
	return view, nil
}

// DeleteLag deletes a LAG with no VIFs or hosted connections. Its members
// stay, as standalone connections.
func (s *Service) DeleteLag(ctx context.Context, account, id string) (LAGView, error) {
	var view LAGView
	err := s.do(ctx, "DeleteLag", func(t *txn) error {
		l, err := CheckDeleteLag(t.st, account, id)
		if err != nil {
			return err
		}
		for _, m := range t.st.Members(l.ID) {
			n := m.clone()
			n.LAGID = ""
			t.putConn(n)
			t.effect(Effect{Kind: EffectMovePort, ID: m.ID, From: l.ID})
		}
		t.effect(Effect{Kind: EffectDeleteLAG, ID: l.ID})
		out := l.clone()
		out.State = StateDeleted
		view = LAGView{LAG: out}
		t.remove(l.ID)
		return nil
	})
	if err != nil {
		return LAGView{}, err
	}
	return view, nil
}
