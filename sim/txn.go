package sim

import (
	"slices"
	"time"
)

// txn is one mutation of the state. Puts replace objects in the live state
// at once (copy-on-write), and remember how to undo themselves; commit
// writes the changed objects to the store, and on any error the undo log
// puts the state back as it was.
type txn struct {
	st      *State
	now     time.Time
	undo    []func()
	dirty   map[string]any // ID → *Connection, *LAG, *VIF, a gateway object, a *FailoverTest, nil when deleted, gatewayDropped
	order   []string
	changes []StateChange

	effects []Effect             // the data-plane effects the change implies
	intent  *Intent              // committed with the change, when it has effects
	done    []uint64             // intents this mutation marks done
	recs    []*AssociationRecord // new association records, installed once committed
	kept    []*AssociationRecord // existing records changed
	buried  []*Gone              // objects deleted now, still described for a while
	purged  []string             // deleted objects described long enough

	agreements []*Agreements // accounts whose customer agreements changed
	faults     []FaultChange // faults set or cleared
}

func newTxn(st *State, now time.Time) *txn {
	return &txn{st: st, now: now}
}

func (t *txn) mark(id string, v any) {
	if t.dirty == nil {
		t.dirty = map[string]any{} // most event-driven mutations change nothing
	}
	if _, ok := t.dirty[id]; !ok {
		t.order = append(t.order, id)
	}
	t.dirty[id] = v
}

func (t *txn) putConn(c *Connection) { put(t, t.st.Connections, c) }
func (t *txn) putLAG(l *LAG)         { put(t, t.st.LAGs, l) }
func (t *txn) putVIF(v *VIF)         { put(t, t.st.VIFs, v) }

// stateful is an object with a lifecycle: connections, LAGs and VIFs.
type stateful interface {
	comparable
	lifecycle() (id, state string, since *time.Time)
}

func (c *Connection) lifecycle() (string, string, *time.Time) { return c.ID, c.State, &c.Since }
func (l *LAG) lifecycle() (string, string, *time.Time)        { return l.ID, l.State, &l.Since }
func (v *VIF) lifecycle() (string, string, *time.Time)        { return v.ID, v.State, &v.Since }

// put replaces (or adds) v in m, remembers how to undo that, and records a
// state change when v enters a new state (or is new).
func put[T stateful](t *txn, m map[string]T, v T) {
	id, state, since := v.lifecycle()
	old, had := m[id]
	t.undo = append(t.undo, func() {
		if had {
			m[id] = old
		} else {
			delete(m, id)
		}
	})
	if had {
		if _, oldState, _ := old.lifecycle(); oldState != state {
			*since = t.now
			t.changes = append(t.changes, StateChange{Time: t.now, ID: id, From: oldState, To: state})
		}
	} else {
		t.changes = append(t.changes, StateChange{Time: t.now, ID: id, To: state})
	}
	m[id] = v
	t.mark(id, v)
}

// remove deletes an object of any kind by ID.
func (t *txn) remove(id string) {
	if c, ok := t.st.Connections[id]; ok {
		t.undo = append(t.undo, func() { t.st.Connections[id] = c })
		delete(t.st.Connections, id)
		t.changes = append(t.changes, StateChange{Time: t.now, ID: id, From: c.State, To: StateDeleted})
		g := c.clone()
		g.State, g.Since, g.Transitioning = StateDeleted, t.now, false
		t.bury(&Gone{Deleted: t.now, Connection: g})
	}
	if l, ok := t.st.LAGs[id]; ok {
		t.undo = append(t.undo, func() { t.st.LAGs[id] = l })
		delete(t.st.LAGs, id)
		t.changes = append(t.changes, StateChange{Time: t.now, ID: id, From: l.State, To: StateDeleted})
		g := l.clone()
		g.State, g.Since = StateDeleted, t.now
		t.bury(&Gone{Deleted: t.now, LAG: g})
	}
	if v, ok := t.st.VIFs[id]; ok {
		t.undo = append(t.undo, func() { t.st.VIFs[id] = v })
		delete(t.st.VIFs, id)
		t.changes = append(t.changes, StateChange{Time: t.now, ID: id, From: v.State, To: StateDeleted})
		g := v.clone()
		g.State, g.Since = StateDeleted, t.now
		t.bury(&Gone{Deleted: t.now, VIF: g})
	}
	t.clearFaultsOf(id)
	t.mark(id, nil)
}

// keep marks an association record changed, so the commit writes it.
func (t *txn) keep(r *AssociationRecord) {
	if !slices.Contains(t.recs, r) && !slices.Contains(t.kept, r) {
		t.kept = append(t.kept, r)
	}
}

func (t *txn) rollback() {
	for i := len(t.undo) - 1; i >= 0; i-- {
		t.undo[i]()
	}
}

func (t *txn) batch() Batch {
	b := Batch{Intent: t.intent, Done: t.done, Records: append(slices.Clone(t.recs), t.kept...), Gone: t.buried, Purged: t.purged, Agreements: t.agreements}
	for _, id := range t.order {
		switch v := t.dirty[id].(type) {
		case *Connection:
			b.Connections = append(b.Connections, v)
		case *LAG:
			b.LAGs = append(b.LAGs, v)
		case *VIF:
			b.VIFs = append(b.VIFs, v)
		case *DXGateway:
			b.Gateways = append(b.Gateways, v)
		case *GatewayAssociation:
			b.GatewayAssociations = append(b.GatewayAssociations, v)
		case *GatewayProposal:
			b.GatewayProposals = append(b.GatewayProposals, v)
		case *FailoverTest:
			b.FailoverTests = append(b.FailoverTests, v)
		case *Fault:
			b.Faults = append(b.Faults, v)
		case faultDropped:
			b.FaultsCleared = append(b.FaultsCleared, id)
		case gatewayDropped:
			b.GatewayDropped = append(b.GatewayDropped, id)
		case nil:
			b.Deleted = append(b.Deleted, id)
		}
	}
	return b
}
