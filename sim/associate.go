package sim

import (
	"context"
	"slices"
)

// AssociateConnectionWithLag makes a connection (or interconnect) a member of
// a LAG, or moves a member from its LAG to another. The change and its
// effects commit first; then, on the data plane, the port is taken down,
// moved and brought up once (MovePort), and the VIFs and hosted connections
// of a standalone connection follow it onto the LAG. The connection is
// "transitioning" until the member collects and distributes (reported by the
// data plane's events, or after Schedule.Associate with no data plane). The
// response shows the connection in state requested, as AWS's does.
func (s *Service) AssociateConnectionWithLag(ctx context.Context, account, connID, lagID string) (*Connection, error) {
	var resp *Connection
	err := s.do(ctx, "AssociateConnectionWithLag", func(t *txn) error {
		c, lag, err := CheckAssociate(t.st, account, connID, lagID)
		if err != nil {
			return err
		}
		if err := CheckAssociateVLANs(t.st, c, lag); err != nil {
			return err
		}
		n := s.joinLAG(t, c, lag)
		t.recs = append(t.recs, &AssociationRecord{Op: OpAssociate, ConnectionID: c.ID, LAGID: lag.ID, FromLAGID: c.LAGID, Requested: t.now})
		resp = n.clone()
		resp.State = StateRequested
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// DisassociateConnectionFromLag makes a LAG member a standalone connection
// again. Its VIFs and hosted connections stay with the LAG; an emptied LAG
// keeps existing. The response shows the connection in state requested.
func (s *Service) DisassociateConnectionFromLag(ctx context.Context, account, connID, lagID string) (*Connection, error) {
	var resp *Connection
	err := s.do(ctx, "DisassociateConnectionFromLag", func(t *txn) error {
		c, lag, err := CheckDisassociate(t.st, account, connID, lagID)
		if err != nil {
			return err
		}
		n := c.clone()
		n.LAGID, n.Transitioning, n.State = "", true, StateDown
		n.Since = t.now // the transition's clock starts now, even for a port already down
		t.putConn(n)
		s.settleLAG(t, lag.ID)
		t.effect(Effect{Kind: EffectMovePort, ID: c.ID, From: lag.ID, Op: OpDisassociate})
		t.recs = append(t.recs, &AssociationRecord{Op: OpDisassociate, ConnectionID: c.ID, LAGID: lag.ID, Requested: t.now})
		resp = n.clone()
		resp.State = StateRequested
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// consume applies the data plane's events until ctx ends.
func (s *Service) consume(ctx context.Context) {
	defer close(s.done)
	events := s.dp.Events()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				return
			}
			if err := s.mutate(func(t *txn) error { s.apply(t, ev); return nil }); err != nil {
				s.log.Error("applying data-plane event", "event", ev.Kind.String(), "connection", ev.ConnectionID, "err", err)
			}
		}
	}
}

// apply moves states on a data-plane event: a connection is down while its
// AWS-side link is down, available when up (standalone) or when its LAG
// member collects and distributes; a member that stops collecting and
// distributing is down. LAG states follow their members.
func (s *Service) apply(t *txn, ev Event) {
	s.record(t, ev)
	c, ok := t.st.Connections[ev.ConnectionID]
	if !ok || ev.Side != SideAWS {
		return
	}
	n := c.clone()
	switch ev.Kind {
	case EventLink:
		switch {
		case !ev.Up:
			n.State = StateDown
		case c.LAGID == "":
			n.State, n.Transitioning = StateAvailable, false
		}
	case EventLACP:
		if c.LAGID == "" || (ev.LAGID != "" && ev.LAGID != c.LAGID) {
			return
		}
		if ev.CollectingDistributing() {
			n.State, n.Transitioning = StateAvailable, false
			if r := s.recs[c.ID]; r != nil && r.Op == OpAssociate && r.Converged.IsZero() {
				r.Converged = ev.Time
				t.keep(r)
			}
		} else if c.State == StateAvailable {
			n.State = StateDown
		}
	default:
		return
	}
	if n.State != c.State || n.Transitioning != c.Transitioning {
		t.putConn(n)
	}
	if c.LAGID != "" {
		s.settleLAG(t, c.LAGID)
	}
}

// record appends an event to every open association record it concerns.
func (s *Service) record(t *txn, ev Event) {
	for _, r := range s.recs {
		// Events stamped before the request are stale: still queued from
		// before it began.
		if !r.Converged.IsZero() || len(r.Events) >= maxRecordEvents || ev.Time.Before(r.Requested) {
			continue
		}
		if ev.ConnectionID == r.ConnectionID || (ev.ConnectionID == "" && slices.Contains([]string{r.LAGID, r.FromLAGID}, ev.LAGID)) {
			r.Events = append(r.Events, ev)
			t.keep(r)
		}
	}
}
