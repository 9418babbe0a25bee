package sim

import (
	"fmt"
	"time"
)

// The provisioning schedule: with no data plane, a dedicated connection or
// interconnect moves requested → pending → available, and an associated or
// disassociated link is down until Schedule.Associate has passed. Hosted
// connections and VIFs, which have no link of their own, always follow it
// (pending → available after Schedule.Confirm). States are advanced lazily,
// under the state lock, whenever a request finds a deadline has passed, so a
// fake clock drives them deterministically.

// deadline returns when a connection's state next moves on its own, and to what.
func (s *Service) connDeadline(c *Connection) (time.Time, string, bool) {
	linked := c.Kind != KindHosted
	if linked && s.dp != nil {
		// The data plane's events move it; only a member that never
		// converges is given up on.
		if c.Transitioning {
			return c.Since.Add(s.schedule.Converge), StateDown, true
		}
		return time.Time{}, "", false
	}
	switch {
	case c.Transitioning:
		return c.Since.Add(s.schedule.Associate), StateAvailable, true
	case c.State == StateRequested && linked:
		return c.Since.Add(s.schedule.Requested), StatePending, true
	case c.State == StatePending && linked:
		return c.Since.Add(s.schedule.Pending), StateAvailable, true
	case c.State == StatePending:
		return c.Since.Add(s.schedule.Confirm), StateAvailable, true
	}
	return time.Time{}, "", false
}

func (s *Service) vifDeadline(v *VIF) (time.Time, string, bool) {
	switch v.State {
	case StateVerifying:
		// A public VIF waits while AWS verifies that its customer owns the
		// public prefixes; in a lab they are taken as verified.
		return v.Since.Add(s.schedule.Confirm), StatePending, true
	case StatePending:
		return v.Since.Add(s.schedule.Confirm), StateAvailable, true
	}
	return time.Time{}, "", false
}

// advance moves every object whose deadline has passed, one step at a time
// (a step's new state is dated at its deadline, so a late request still sees
// the schedule's times).
func (s *Service) advance(t *txn) {
	if s.next.IsZero() || t.now.Before(s.next) {
		return
	}
	lags := map[string]bool{}
	for _, c := range s.state.Connections {
		cur := c
		for {
			at, to, ok := s.connDeadline(cur)
			if !ok || t.now.Before(at) {
				break
			}
			n := cur.clone()
			n.State, n.Transitioning = to, false
			if r := s.recs[n.ID]; r != nil && s.dp != nil && r.Converged.IsZero() && r.Err == "" {
				r.Err = fmt.Sprintf("the link did not converge within %s of the request", s.schedule.Converge)
				t.keep(r)
			}
			if to == StatePending && n.LOAIssueTime.IsZero() {
				n.LOAIssueTime = at
			}
			t.putConn(n)
			n.Since = at
			cur = n
		}
		if cur != c && cur.LAGID != "" {
			lags[cur.LAGID] = true
		}
	}
	for _, v := range s.state.VIFs {
		if at, to, ok := s.vifDeadline(v); ok && !t.now.Before(at) {
			n := v.clone()
			n.State = to
			t.putVIF(n)
			n.Since = at
		}
	}
	for id := range lags {
		s.settleLAG(t, id)
	}
	s.advanceGateways(t)
	s.advanceBGP(t)
}

// recomputeNext finds the earliest deadline, so requests skip advance until then.
func (s *Service) recomputeNext() {
	var next time.Time
	consider := func(at time.Time, ok bool) {
		if ok && (next.IsZero() || at.Before(next)) {
			next = at
		}
	}
	for _, c := range s.state.Connections {
		at, _, ok := s.connDeadline(c)
		consider(at, ok)
	}
	for _, v := range s.state.VIFs {
		at, _, ok := s.vifDeadline(v)
		consider(at, ok)
	}
	s.gatewaysNext(consider)
	s.bgpNext(consider)
	s.next = next
}

// settleLAG derives a LAG's state from its members: available when at least
// max(1, minimumLinks) members are operational, otherwise down (or still
// pending if it has never been available).
func (s *Service) settleLAG(t *txn, id string) {
	l, ok := t.st.LAGs[id]
	if !ok || l.State == StateDeleting || l.State == StateDeleted {
		return
	}
	want := l.State
	if t.st.Operational(id) >= max(1, l.MinimumLinks) {
		want = StateAvailable
	} else if l.State != StatePending && l.State != StateRequested {
		want = StateDown
	}
	if want != l.State {
		n := l.clone()
		n.State = want
		t.putLAG(n)
	}
}
