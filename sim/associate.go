package sim

import (
	"context"
	"slices"
)

// AssociateConnectionWithLag makes a connection (or interconnect) a member of
// a LAG. The change is committed first; then, on the data plane, the port is
// taken down, enslaved and brought up (AttachPort) and its VIFs and hosted
// connections are moved onto the LAG. The connection is "transitioning"
// until the member collects and distributes (reported by the data plane's
// events, or after Schedule.Associate with no data plane). The response
// shows the connection in state requested, as AWS's does.
func (s *Service) AssociateConnectionWithLag(ctx context.Context, account, connID, lagID string) (*Connection, error) {
	var (
		resp  *Connection
		rec   *AssociationRecord
		moved []string
	)
	s.mu.Lock()
	err := s.mutateLocked(func(t *txn) error {
		c, lag, err := CheckAssociate(t.st, account, connID, lagID)
		if err != nil {
			return err
		}
		if c.LAGID == "" {
			for _, v := range t.st.VIFsOn(c.ID) {
				moved = append(moved, v.ID)
			}
			for _, h := range t.st.Hosted(c.ID) {
				moved = append(moved, h.ID)
			}
		}
		n := s.joinLAG(t, c, lag)
		rec = &AssociationRecord{Op: "associate", ConnectionID: c.ID, LAGID: lag.ID, FromLAGID: c.LAGID, Requested: t.now}
		resp = n.clone()
		resp.State = StateRequested
		return nil
	})
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	s.recs[rec.ConnectionID] = rec // only once the change is committed
	release := s.handOff()
	defer release()
	if err := s.attach(ctx, connID, lagID, moved); err != nil {
		return nil, err
	}
	return resp, nil
}

// attach runs an association on the data plane and records its step times.
// The caller has its data-plane turn.
func (s *Service) attach(ctx context.Context, connID, lagID string, moved []string) error {
	if s.dp == nil {
		return nil
	}
	from := ""
	s.mu.RLock()
	if r := s.recs[connID]; r != nil {
		from = r.FromLAGID
	}
	s.mu.RUnlock()
	if from != "" {
		if _, err := s.dp.DetachPort(ctx, from, connID); err != nil {
			return s.dataPlaneFailed(connID, "DetachPort", err)
		}
	}
	steps, err := s.dp.AttachPort(ctx, lagID, connID)
	s.mu.Lock()
	if r := s.recs[connID]; r != nil {
		r.Steps = steps
	}
	s.mu.Unlock()
	if err != nil {
		return s.dataPlaneFailed(connID, "AttachPort", err)
	}
	for _, id := range moved {
		if err := s.dp.MoveVLAN(ctx, id, lagID); err != nil {
			return s.dataPlaneFailed(connID, "MoveVLAN", err)
		}
	}
	return nil
}

// dataPlaneFailed records a data-plane failure and ends the transition, so
// the connection is not stuck refusing requests: its link is down.
func (s *Service) dataPlaneFailed(connID, op string, err error) error {
	apiErr := dataPlaneErr(op, err)
	_ = s.mutate(func(t *txn) error {
		if r := s.recs[connID]; r != nil {
			r.Err = apiErr.Error() + ": " + err.Error()
		}
		if c, ok := t.st.Connections[connID]; ok && c.Transitioning {
			n := c.clone()
			n.Transitioning, n.State = false, StateDown
			t.putConn(n)
		}
		return nil
	})
	s.log.Error("data plane call failed", "op", op, "connection", connID, "err", err)
	return apiErr
}

// DisassociateConnectionFromLag makes a LAG member a standalone connection
// again. Its VIFs and hosted connections stay with the LAG; an emptied LAG
// keeps existing. The response shows the connection in state requested.
func (s *Service) DisassociateConnectionFromLag(ctx context.Context, account, connID, lagID string) (*Connection, error) {
	var (
		resp *Connection
		rec  *AssociationRecord
	)
	s.mu.Lock()
	err := s.mutateLocked(func(t *txn) error {
		c, lag, err := CheckDisassociate(t.st, account, connID, lagID)
		if err != nil {
			return err
		}
		n := c.clone()
		n.LAGID, n.Transitioning, n.State = "", true, StateDown
		t.putConn(n)
		s.settleLAG(t, lag.ID)
		rec = &AssociationRecord{Op: "disassociate", ConnectionID: c.ID, LAGID: lag.ID, Requested: t.now}
		resp = n.clone()
		resp.State = StateRequested
		return nil
	})
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	s.recs[rec.ConnectionID] = rec // only once the change is committed
	release := s.handOff()
	defer release()
	if s.dp == nil {
		return resp, nil
	}
	steps, err := s.dp.DetachPort(ctx, lagID, connID)
	if err != nil {
		return nil, s.dataPlaneFailed(connID, "DetachPort", err)
	}
	// DetachPort returns with the port up again: a standalone port needs no
	// convergence, so the transition ends here.
	err = s.mutate(func(t *txn) error {
		if r := s.recs[connID]; r != nil {
			r.Steps, r.Converged = steps, steps.Up
		}
		if c, ok := t.st.Connections[connID]; ok && c.Transitioning && c.LAGID == "" {
			n := c.clone()
			n.Transitioning, n.State = false, StateAvailable
			t.putConn(n)
		}
		return nil
	})
	return resp, err
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
	s.record(ev)
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
			if r := s.recs[c.ID]; r != nil && r.Op == "associate" && r.Converged.IsZero() {
				r.Converged = ev.Time
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
func (s *Service) record(ev Event) {
	for _, r := range s.recs {
		// Events stamped before the request are stale: still queued from
		// before it began.
		if !r.Converged.IsZero() || len(r.Events) >= maxRecordEvents || ev.Time.Before(r.Requested) {
			continue
		}
		if ev.ConnectionID == r.ConnectionID || (ev.ConnectionID == "" && slices.Contains([]string{r.LAGID, r.FromLAGID}, ev.LAGID)) {
			r.Events = append(r.Events, ev)
		}
	}
}
