package sim

import "time"

// txn is one mutation of the state. Puts replace objects in the live state
// at once (copy-on-write), and remember how to undo themselves; commit
// writes the changed objects to the store, and on any error the undo log
// puts the state back as it was.
type txn struct {
	st      *State
	now     time.Time
	undo    []func()
	dirty   map[string]any // ID → *Connection, *LAG, *VIF, or nil when deleted
	order   []string
	changes []StateChange
}

func newTxn(st *State, now time.Time) *txn {
	return &txn{st: st, now: now, dirty: map[string]any{}}
}

func (t *txn) mark(id string, v any) {
	if _, ok := t.dirty[id]; !ok {
		t.order = append(t.order, id)
	}
	t.dirty[id] = v
}

func (t *txn) putConn(c *Connection) {
	old, had := t.st.Connections[c.ID]
	t.undo = append(t.undo, func() {
		if had {
			t.st.Connections[c.ID] = old
		} else {
			delete(t.st.Connections, c.ID)
		}
	})
	if had && old.State != c.State {
		c.Since = t.now
		t.changes = append(t.changes, StateChange{Time: t.now, ID: c.ID, From: old.State, To: c.State})
	} else if !had {
		t.changes = append(t.changes, StateChange{Time: t.now, ID: c.ID, To: c.State})
	}
	t.st.Connections[c.ID] = c
	t.mark(c.ID, c)
}

func (t *txn) putLAG(l *LAG) {
	old, had := t.st.LAGs[l.ID]
	t.undo = append(t.undo, func() {
		if had {
			t.st.LAGs[l.ID] = old
		} else {
			delete(t.st.LAGs, l.ID)
		}
	})
	if had && old.State != l.State {
		l.Since = t.now
		t.changes = append(t.changes, StateChange{Time: t.now, ID: l.ID, From: old.State, To: l.State})
	} else if !had {
		t.changes = append(t.changes, StateChange{Time: t.now, ID: l.ID, To: l.State})
	}
	t.st.LAGs[l.ID] = l
	t.mark(l.ID, l)
}

func (t *txn) putVIF(v *VIF) {
	old, had := t.st.VIFs[v.ID]
	t.undo = append(t.undo, func() {
		if had {
			t.st.VIFs[v.ID] = old
		} else {
			delete(t.st.VIFs, v.ID)
		}
	})
	if had && old.State != v.State {
		v.Since = t.now
		t.changes = append(t.changes, StateChange{Time: t.now, ID: v.ID, From: old.State, To: v.State})
	} else if !had {
		t.changes = append(t.changes, StateChange{Time: t.now, ID: v.ID, To: v.State})
	}
	t.st.VIFs[v.ID] = v
	t.mark(v.ID, v)
}

// remove deletes an object of any kind by ID.
func (t *txn) remove(id string) {
	if c, ok := t.st.Connections[id]; ok {
		t.undo = append(t.undo, func() { t.st.Connections[id] = c })
		delete(t.st.Connections, id)
		t.changes = append(t.changes, StateChange{Time: t.now, ID: id, From: c.State, To: StateDeleted})
	}
	if l, ok := t.st.LAGs[id]; ok {
		t.undo = append(t.undo, func() { t.st.LAGs[id] = l })
		delete(t.st.LAGs, id)
		t.changes = append(t.changes, StateChange{Time: t.now, ID: id, From: l.State, To: StateDeleted})
	}
	if v, ok := t.st.VIFs[id]; ok {
		t.undo = append(t.undo, func() { t.st.VIFs[id] = v })
		delete(t.st.VIFs, id)
		t.changes = append(t.changes, StateChange{Time: t.now, ID: id, From: v.State, To: StateDeleted})
	}
	t.mark(id, nil)
}

func (t *txn) rollback() {
	for i := len(t.undo) - 1; i >= 0; i-- {
		t.undo[i]()
	}
}

func (t *txn) batch() Batch {
	var b Batch
	for _, id := range t.order {
		switch v := t.dirty[id].(type) {
		case *Connection:
			b.Connections = append(b.Connections, v)
		case *LAG:
			b.LAGs = append(b.LAGs, v)
		case *VIF:
			b.VIFs = append(b.VIFs, v)
		case nil:
			b.Deleted = append(b.Deleted, id)
		}
	}
	return b
}
