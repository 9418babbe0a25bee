package sim

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"
)

// Operations as durable intents.
//
// Every mutation goes through Service.do: the operation validates the whole
// request against the state, changes the state, and names the data-plane
// effects the change implies. The new state and those effects (an Intent) are
// committed in one store transaction, and only then does the operation take
// its turn at the data plane, run the effects in commit order, apply what
// each one's success implies (a provisioned port is available; a released
// member is standalone again) and mark the intent done, in one more commit.
//
// After a crash at any instant, New finds the intents not marked done and
// runs them again before the API answers. Effects are idempotent, so a
// half-run intent finishes and a fully run one changes nothing.

// EffectKind names a data-plane effect.
type EffectKind string

// The data-plane effects an operation may imply, one per DataPlane method.
const (
	EffectCreatePort  EffectKind = "create-port"
	EffectDeletePort  EffectKind = "delete-port"
	EffectCreateLAG   EffectKind = "create-lag"
	EffectDeleteLAG   EffectKind = "delete-lag"
	EffectSetMinLinks EffectKind = "set-min-links"
	EffectMovePort    EffectKind = "move-port"
	EffectCreateVLAN  EffectKind = "create-vlan"
	EffectMoveVLAN    EffectKind = "move-vlan"
	EffectSetVLAN     EffectKind = "set-vlan-addresses"
	EffectDeleteVLAN  EffectKind = "delete-vlan"
	EffectSetFaults   EffectKind = "set-faults"
)

// Effect is one data-plane change an operation implies. Which fields are set
// depends on Kind.
type Effect struct {
	Kind EffectKind `json:"kind"`
	// ID is the object the effect acts on: a connection (ports, move-port),
	// a LAG (LAGs, set-min-links) or a VLAN's VIF or hosted connection.
	ID       string    `json:"id"`
	Port     *PortSpec `json:"port,omitempty"`
	LAG      *LAGSpec  `json:"lag,omitempty"`
	VLAN     *VLANSpec `json:"vlan,omitempty"`
	From     string    `json:"from,omitempty"` // move-port: the LAG left, "" for standalone
	To       string    `json:"to,omitempty"`   // move-port: the LAG joined, "" for standalone; move-vlan: the new parent
	MinLinks int       `json:"minLinks,omitempty"`
	// Faults are, for set-faults, every LACP and link fault of the
	// connection, both sides: exactly what its port is to have.
	Faults []Fault `json:"faults,omitempty"`
	// Op is, for move-port, the interruption the move is: an associate's
	// or a disassociate's, or none worth reporting.
	Op OpKind `json:"op,omitempty"`
}

// Intent is an operation's data-plane effects, committed with the state
// change that implies them and kept until they have all run.
type Intent struct {
	Seq       uint64    `json:"seq"` // commit order
	Op        string    `json:"op"`  // the API operation, e.g. "AssociateConnectionWithLag"
	Requested time.Time `json:"requested"`
	Effects   []Effect  `json:"effects"`
}

// effect adds a data-plane effect to the mutation.
func (t *txn) effect(e Effect) { t.effects = append(t.effects, e) }

// do runs one operation: fn validates and changes the state within t and
// names its effects; the state and the intent commit together; then, in
// commit order, the effects run on the data plane. A client's mistake is an
// error from fn and changes nothing. A data-plane failure of a committed
// operation is a DirectConnectServerException, after the failure policy of
// effectFailed has been applied.
func (s *Service) do(ctx context.Context, op string, fn func(t *txn) error) error {
	s.mu.Lock()
	var in *Intent
	err := s.mutateLocked(func(t *txn) error {
		if err := fn(t); err != nil {
			return err
		}
		if s.dp != nil && len(t.effects) > 0 {
			in = &Intent{Seq: s.seq + 1, Op: op, Requested: t.now, Effects: t.effects}
			t.intent = in
		}
		return nil
	})
	if err != nil || in == nil {
		s.mu.Unlock()
		return err
	}
	s.seq = in.Seq
	release := s.handOff()
	defer release()
	// The operation was accepted: it finishes even if the client goes away.
	return s.run(context.WithoutCancel(ctx), in)
}

// run carries out an intent's effects in order and marks it done. It stops
// at the first failure, applies the failure policy, and still marks the
// intent done: the state then says what the links are (down), and the next
// Reconcile repairs them. The caller has its data-plane turn.
func (s *Service) run(ctx context.Context, in *Intent) error {
	steps := make([]StepTimes, len(in.Effects))
	var failed error
	n := 0
	for i, e := range in.Effects {
		st, err := s.runEffect(ctx, e, in.Requested)
		if err != nil {
			failed = fmt.Errorf("data plane %s %s: %w", e.Kind, e.ID, err)
			break
		}
		steps[i] = st
		n++
	}
	err := s.mutate(func(t *txn) error {
		for i, e := range in.Effects[:n] {
			s.completed(t, e, steps[i])
		}
		if failed != nil {
			s.effectFailed(t, in.Effects[n], failed)
		}
		t.done = append(t.done, in.Seq)
		return nil
	})
	if failed != nil {
		s.log.Error("data plane effect failed", "op", in.Op, "effect", string(in.Effects[n].Kind), "object", in.Effects[n].ID, "err", failed)
		var apiErr *Error
		if errors.As(failed, &apiErr) {
			return apiErr
		}
		return serverErr(failed)
	}
	return err
}

// runEffect calls the data plane for one effect.
func (s *Service) runEffect(ctx context.Context, e Effect, requested time.Time) (StepTimes, error) {
	switch e.Kind {
	case EffectCreatePort:
		return StepTimes{}, s.dp.CreatePort(ctx, *e.Port)
	case EffectDeletePort:
		return StepTimes{}, s.dp.DeletePort(ctx, e.ID)
	case EffectCreateLAG:
		return StepTimes{}, s.dp.CreateLAG(ctx, *e.LAG)
	case EffectDeleteLAG:
		return StepTimes{}, s.dp.DeleteLAG(ctx, e.ID)
	case EffectSetMinLinks:
		return StepTimes{}, s.dp.SetMinLinks(ctx, e.ID, e.MinLinks)
	case EffectMovePort:
		return s.dp.MovePort(ctx, Move{ConnectionID: e.ID, From: e.From, To: e.To, Op: e.Op, Requested: requested})
	case EffectCreateVLAN:
		return StepTimes{}, s.dp.CreateVLAN(ctx, *e.VLAN)
	case EffectMoveVLAN:
		return StepTimes{}, s.dp.MoveVLAN(ctx, e.ID, e.To)
	case EffectSetVLAN:
		return StepTimes{}, s.dp.SetVLANAddresses(ctx, *e.VLAN)
	case EffectDeleteVLAN:
		return StepTimes{}, s.dp.DeleteVLAN(ctx, e.ID)
	case EffectSetFaults:
		return StepTimes{}, s.dp.SetFaults(ctx, e.ID, e.Faults)
	}
	return StepTimes{}, fmt.Errorf("unknown effect %q", e.Kind)
}

// completed applies what an effect's success implies for the state: a
// standalone port that exists is available; a member released from its LAG
// needs no convergence, so its transition ends. An associate's member stays
// transitioning until the data plane reports it collecting and distributing.
func (s *Service) completed(t *txn, e Effect, st StepTimes) {
	c, ok := t.st.Connections[e.ID]
	if !ok {
		return
	}
	switch e.Kind {
	case EffectCreatePort:
		if c.State == StatePending && c.LAGID == "" {
			n := c.clone()
			n.State = StateAvailable
			t.putConn(n)
		}
	case EffectMovePort:
		r := s.recs[e.ID]
		if r != nil && r.LAGID == cmp.Or(e.To, e.From) && !st.Down.IsZero() {
			r.Steps = st
			t.keep(r)
		}
		if e.To != "" || !c.Transitioning || c.LAGID != "" {
			return
		}
		if r != nil && r.Converged.IsZero() {
			r.Converged = st.Up
			t.keep(r)
		}
		n := c.clone()
		n.Transitioning, n.State = false, StateAvailable
		t.putConn(n)
	}
}

// effectFailed is the one failure policy: the object the effect acted on is
// reported down, not left transitioning or pending, and the reason is kept
// in the connection's association record.
func (s *Service) effectFailed(t *txn, e Effect, err error) {
	if e.Kind == EffectSetFaults {
		return // a fault not applied breaks nothing: the error says so
	}
	if r := s.recs[e.ID]; r != nil && r.Converged.IsZero() {
		r.Err = err.Error()
		t.keep(r)
	}
	if c, ok := t.st.Connections[e.ID]; ok {
		n := c.clone()
		n.Transitioning, n.State = false, StateDown
		t.putConn(n)
		if c.LAGID != "" {
			s.settleLAG(t, c.LAGID)
		}
	}
	if v, ok := t.st.VIFs[e.ID]; ok {
		n := v.clone()
		n.State = StateDown
		t.putVIF(n)
	}
	if l, ok := t.st.LAGs[e.ID]; ok && l.State != StateDown {
		n := l.clone()
		n.State = StateDown
		t.putLAG(n)
	}
}

// recover runs, in commit order, every intent that a crash left unfinished,
// so nothing stays transitioning for good. New calls it before the API
// answers.
func (s *Service) recover(ctx context.Context, pending []*Intent) {
	for _, in := range pending {
		s.log.Info("finishing an operation interrupted by a restart", "op", in.Op, "seq", in.Seq, "effects", len(in.Effects))
		if err := s.run(ctx, in); err != nil {
			s.log.Warn("finishing an interrupted operation", "op", in.Op, "seq", in.Seq, "err", err)
		}
	}
}

// operationNoun is how the API's operation names spell a connection kind
// that has a link of its own.
func (k ConnectionKind) operationNoun() string {
	if k == KindInterconnect {
		return "Interconnect"
	}
	return "Connection"
}

// vifOpNoun is how the API's operation names spell a VIF type.
func vifOpNoun(typ string) string {
	switch typ {
	case VIFPublic:
		return "Public"
	case VIFTransit:
		return "Transit"
	}
	return "Private"
}
