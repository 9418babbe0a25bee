package engine

import (
	"fmt"
	"slices"
	"time"

	"github.com/dxsim/dxsim/lacp"
)

// Checkpoint is what an Engine must remember to carry on in another process
// without its Partners noticing: each port's Actor and Partner information
// and the state of its machines, and which aggregator is the active one. It
// holds no timer: a resumed Engine restarts them (see Resume). It encodes
// as JSON.
type Checkpoint struct {
	// Time is when it was taken.
	Time           time.Time
	SystemPriority uint16
	System         lacp.SystemID
	// Active is the active aggregator's number, 0 for none.
	Active uint16
	Ports  []PortCheckpoint
}

// PortCheckpoint is one port in a Checkpoint.
type PortCheckpoint struct {
	Number  uint16
	MAC     [6]byte
	Admin   PortAdmin
	LinkUp  bool
	Actor   lacp.PortInfo
	Partner lacp.PortInfo

	Receive, Periodic, Selection, Mux MachineState
	ActorChurn, PartnerChurn          MachineState
	// Aggregator is the port's aggregator, 0 for none.
	Aggregator uint16
}

// Checkpoint returns the Engine's state now, for Resume.
func (e *Engine) Checkpoint() Checkpoint {
	cp := Checkpoint{Time: e.now, SystemPriority: e.cfg.SystemPriority, System: e.cfg.System}
	if e.active != nil {
		cp.Active = e.active.id
	}
	cp.Ports = make([]PortCheckpoint, 0, len(e.order))
	for _, p := range e.order {
		pc := PortCheckpoint{
			Number: p.num, MAC: p.mac, Admin: p.admin, LinkUp: p.linkUp,
			Actor: p.actor, Partner: p.partner,
			Receive: p.rx, Periodic: p.periodic, Selection: p.selected, Mux: p.mux,
			ActorChurn: p.actorChurn.state, PartnerChurn: p.partnerChurn.state,
		}
		if p.agg != nil {
			pc.Aggregator = p.agg.id
		}
		cp.Ports = append(cp.Ports, pc)
	}
	return cp
}

// Resume returns an Engine for cfg that carries on from cp at now, as if it
// had run all along: each port with the Actor and Partner information, the
// machine states and the aggregator it had, the active aggregator still
// active, so that a port that was collecting and distributing still is.
//
// Timers do not survive a checkpoint; they restart at now. A port whose
// Partner is current is given a fresh current_while (short or long timeout,
// as the Actor asks), as if a LACPDU had just come: the Partner's next one
// confirms it or, if the Partner timed the Actor out meanwhile, takes the
// port out of collecting and distributing, and the machines negotiate again
// as from scratch. Every enabled, active port transmits at once (NTT) and
// the periodic timer starts afresh, so the Partner hears within
// milliseconds that the Actor is back, long before its own current_while
// (3 s) runs out. A port WAITING starts its wait_while again; churn
// timers start again; Config.SelectionDelay is taken as over. A port's
// link is as cp says until the caller says otherwise (SetPortUp).
//
// cp must be of cfg's System and consistent (ports numbered once, states
// that exist, aggregators whose ports share a LAG ID); else Resume fails
// with ErrInvalid and the caller starts afresh with New.
func Resume(cfg Config, now time.Time, cp Checkpoint) (*Engine, error) {
	e, err := New(cfg)
	if err != nil {
		return nil, err
	}
	if cp.System != e.cfg.System || cp.SystemPriority != e.cfg.SystemPriority {
		return nil, fmt.Errorf("%w: checkpoint of System %d/%s, not %d/%s", ErrInvalid,
			cp.SystemPriority, cp.System, e.cfg.SystemPriority, e.cfg.System)
	}
	e.setNow(now)
	if e.ticking() {
		// The Linux timing mode's tick 0 is the resume.
		e.tickBase = e.t
	}
	aggs := map[uint16]*aggregator{}
	for _, pc := range cp.Ports {
		if err := e.resumePort(pc, aggs); err != nil {
			return nil, err
		}
	}
	for _, a := range e.aggs {
		for _, p := range a.ports {
			p.setBlocking()
		}
	}
	if a := aggs[cp.Active]; a != nil {
		a.active, e.active = true, a
	} else {
		e.aggsChanged = len(e.aggs) > 0
	}
	if e.ticking() {
		for _, p := range e.order {
			e.schedule(p)
		}
	}
	e.run()
	return e, nil
}

// resumePort adds one port of a Checkpoint, in its states, to a new Engine.
func (e *Engine) resumePort(pc PortCheckpoint, aggs map[uint16]*aggregator) error {
	bad := func(what string) error { return fmt.Errorf("%w: checkpoint port %d: %s", ErrInvalid, pc.Number, what) }
	switch {
	case pc.Number == 0:
		return bad("number 0")
	case int(pc.Number) < len(e.byNum) && e.byNum[pc.Number] != nil:
		return bad("twice")
	case pc.Admin.Key == 0 || pc.Admin.Priority == 0:
		return bad("key or priority 0")
	case pc.Actor.System != e.cfg.System || pc.Actor.Port != pc.Number:
		return bad("Actor is another port's")
	case !inRange(pc.Receive, RxInitialize, RxCurrent), !inRange(pc.Periodic, NoPeriodic, SlowPeriodic),
		!inRange(pc.Selection, Unselected, Selected), !inRange(pc.Mux, MuxDetached, MuxCollectingDistributing),
		!inRange(pc.ActorChurn, NoActorChurn, ActorChurn), !inRange(pc.PartnerChurn, NoPartnerChurn, PartnerChurn):
		return bad("a machine state out of range")
	case (pc.Selection == Selected || pc.Mux != MuxDetached) && pc.Aggregator == 0:
		return bad("selected without an aggregator")
	}
	p := &port{
		e: e, num: pc.Number, mac: pc.MAC, admin: pc.Admin,
		linkUp: pc.LinkUp, enabled: pc.LinkUp,
		actor: pc.Actor, partner: pc.Partner,
		rx: pc.Receive, periodic: pc.Periodic, selected: pc.Selection, mux: pc.Mux,
		actorChurn:   churnMachine{kind: &actorChurnKind, state: pc.ActorChurn},
		partnerChurn: churnMachine{kind: &partnerChurnKind, state: pc.PartnerChurn},
		heldBy:       ReasonPartnerInSync,
		heapIndex:    -1,
	}
	if !p.enabled {
		p.disableReason = ReasonPortDown
	} else {
		p.disableReason = ReasonPortUp
		p.startFlap()
		switch p.rx {
		case RxCurrent:
			if p.actor.State.Has(lacp.StateTimeout) {
				p.currentWhile = e.timer(ShortTimeoutTime)
			} else {
				p.currentWhile = e.timer(LongTimeoutTime)
			}
		case RxExpired:
			p.currentWhile = e.timer(ShortTimeoutTime)
		}
		switch p.periodic {
		case FastPeriodic:
			p.periodicT = e.timer(FastPeriodicTime)
		case SlowPeriodic:
			p.periodicT = e.timer(SlowPeriodicTime)
		}
		for _, c := range []*churnMachine{&p.actorChurn, &p.partnerChurn} {
			if c.state == c.kind.monitor {
				c.timer = e.timer(ChurnDetectionTime)
			}
		}
		p.ntt = true
		if e.ticking() {
			// The transmit counter as if it had run out: the LACPDU
			// goes at the first tick.
			p.txBase = e.tickIndex() - linuxTxTicks + 1
			e.requestTick()
		}
	}
	switch p.mux {
	case MuxWaiting:
		p.waitWhile = e.timer(e.cfg.AggregateWait)
	case MuxAttached, MuxCollectingDistributing:
		p.readyN = true
	}
	if pc.Aggregator != 0 {
		a := aggs[pc.Aggregator]
		if a == nil {
			a = &aggregator{e: e, id: pc.Aggregator, lag: p.lagID()}
			aggs[a.id] = a
			e.aggs = append(e.aggs, a)
		} else if a.lag != p.lagID() && p.selected == Selected {
			return bad("in an aggregator of another LAG ID")
		}
		p.agg = a
		a.ports = append(a.ports, p)
	}
	if int(p.num) >= len(e.byNum) {
		e.byNum = append(e.byNum, make([]*port, int(p.num)+1-len(e.byNum))...)
	}
	e.byNum[p.num] = p
	i, _ := slices.BinarySearchFunc(e.order, p.num, func(q *port, n uint16) int { return int(q.num) - int(n) })
	e.order = slices.Insert(e.order, i, p)
	e.markDirty(p)
	return nil
}

func inRange(s, lo, hi MachineState) bool { return s >= lo && s <= hi }
