package sim

import (
	"slices"
	"time"
)

// Deleted objects, as AWS shows them: a deleted connection, LAG or VIF is
// still described for Schedule.Retain, in state deleted (a VIF first in
// deleting, for Schedule.Deleting), by its ID and in lists, and then drops
// out. The rules never see it: it is out of the live state at once. It is
// kept in the store, so a restart shows the same.

// Gone is a deleted connection, LAG or VIF, as it was when deleted.
type Gone struct {
	Deleted    time.Time   `json:"deleted"`
	Connection *Connection `json:"connection,omitempty"`
	LAG        *LAG        `json:"lag,omitempty"`
	VIF        *VIF        `json:"vif,omitempty"`
}

// ID is the deleted object's.
func (g *Gone) ID() string {
	switch {
	case g.Connection != nil:
		return g.Connection.ID
	case g.LAG != nil:
		return g.LAG.ID
	case g.VIF != nil:
		return g.VIF.ID
	}
	return ""
}

// bury keeps a deleted object for describing.
func (t *txn) bury(g *Gone) {
	id := g.ID()
	old, had := t.st.Gone[id]
	t.undo = append(t.undo, func() {
		if had {
			t.st.Gone[id] = old
		} else {
			delete(t.st.Gone, id)
		}
	})
	t.st.Gone[id] = g
	t.buried = append(t.buried, g)
}

// purge forgets the deleted objects described long enough. Every mutation
// calls it (data-plane events included), so it looks at them only once the
// earliest is due: objects buried since are due later still. The describes
// filter by age themselves, so a late purge shows nothing stale.
func (s *Service) purge(t *txn) {
	if !s.purgeAt.IsZero() && t.now.Before(s.purgeAt) {
		return
	}
	s.purgeAt = time.Time{}
	for id, g := range t.st.Gone {
		due := g.Deleted.Add(s.schedule.Retain)
		if t.now.Before(due) {
			if s.purgeAt.IsZero() || due.Before(s.purgeAt) {
				s.purgeAt = due
			}
			continue
		}
		t.undo = append(t.undo, func() { t.st.Gone[id] = g })
		delete(t.st.Gone, id)
		t.purged = append(t.purged, id)
	}
}

// shownGone returns the deleted objects still described at now, of account,
// sorted by ID; a VIF deleted less than Schedule.Deleting ago is still
// deleting.
func (s *Service) shownGone(st *State, account string, now time.Time) (conns []*Connection, lags []*LAG, vifs []*VIF) {
	for _, g := range st.Gone {
		if now.Sub(g.Deleted) >= s.schedule.Retain {
			continue
		}
		switch {
		case g.Connection != nil && g.Connection.Owner == account:
			conns = append(conns, g.Connection)
		case g.LAG != nil && g.LAG.Owner == account:
			lags = append(lags, g.LAG)
		case g.VIF != nil && g.VIF.visibleTo(account):
			v := g.VIF
			if now.Sub(g.Deleted) < s.schedule.Deleting {
				v = v.clone()
				v.State = StateDeleting
			}
			vifs = append(vifs, v)
		}
	}
	slices.SortFunc(conns, func(a, b *Connection) int { return compareIDs(a.ID, b.ID) })
	slices.SortFunc(lags, func(a, b *LAG) int { return compareIDs(a.ID, b.ID) })
	slices.SortFunc(vifs, func(a, b *VIF) int { return compareIDs(a.ID, b.ID) })
	return conns, lags, vifs
}
