package engine

import "github.com/dxsim/dxsim/lacp"

// port is one Aggregation Port: the variables of 802.1AX-2014 6.4.7 and the
// timers of 6.4.10.
type port struct {
	e     *Engine
	num   uint16
	mac   [6]byte
	admin PortAdmin

	linkUp   bool // as the caller last said
	flapDown bool // the flap schedule has the port down
	enabled  bool // port_enabled: linkUp && !flapDown

	actor   lacp.PortInfo // Actor operational values (Actor_Oper_Port_*)
	partner lacp.PortInfo // Partner operational values (Partner_Oper_Port_*)

	rx       MachineState
	periodic MachineState
	selected MachineState
	mux      MachineState

	actorChurn   churnMachine
	partnerChurn churnMachine

	agg      *aggregator
	readyN   bool   // Ready_N: this port's wait_while_timer has expired
	blocking bool   // counted in agg.blocking: WAITING with Ready_N FALSE
	ntt      bool   // Need To Transmit
	heldBy   Reason // in ATTACHED: the condition COLLECTING_DISTRIBUTING last waited for

	pdu        lacp.LACPDU // the received LACPDU the receive machine has yet to take
	pduPending bool
	// disableReason explains the receive and periodic machines' next move
	// caused by port_enabled changing: port up or down, or a flap.
	disableReason Reason

	currentWhile vtime
	periodicT    vtime
	waitWhile    vtime
	flapAt       vtime
	txRetry      vtime                     // when a rate-limited NTT may go
	txTimes      [maxTxPerFastPeriod]vtime // the last transmissions, a ring
	txNext       int

	// The Linux timing mode's (tick.go).
	begin       bool   // AD_PORT_BEGIN: restart the machines at the next tick
	churned     bool   // AD_PORT_CHURNED: restart the churn machines at the next tick
	churnReason Reason // what churned them
	txBase      int64  // the tick the port was added at; it transmits every third tick after

	counters Counters

	heapIndex int    // in e.timers, -1 when absent
	deadline  vtime  // the earliest running timer
	dirty     bool   // queued in e.dirty
	touched   uint64 // e.epoch when last stepped
}

// setEnabled recomputes port_enabled from the link and the flap schedule.
func (p *port) setEnabled(reason Reason) {
	en := p.linkUp && !p.flapDown
	if en == p.enabled {
		return
	}
	p.enabled = en
	p.disableReason = reason
	if !en {
		// A disabled port says nothing (6.4.13: NO_PERIODIC) and, as Linux
		// does on link loss, gives up its aggregator.
		p.ntt = false
		p.txRetry = never
		p.setSelected(Unselected, reason)
	}
}

// nextDeadline is the earliest of the port's running timers.
func (p *port) nextDeadline() vtime {
	d := earliest(p.currentWhile, p.periodicT)
	d = earliest(d, p.waitWhile)
	d = earliest(d, p.flapAt)
	d = earliest(d, p.actorChurn.timer)
	d = earliest(d, p.partnerChurn.timer)
	if p.e.ticking() && p.ntt && p.enabled {
		d = earliest(d, p.nextTxTick())
	}
	return earliest(d, p.txRetry)
}

// earliest is the earlier of two timers, a stopped one being never.
func earliest(a, b vtime) vtime {
	if a == never || (b != never && b < a) {
		return b
	}
	return a
}

// expired reports whether timer t is running and has run out at now.
func expired(t, now vtime) bool { return t != never && now >= t }

func (p *port) event(m Machine, from, to MachineState, r Reason) {
	var agg uint16
	if p.agg != nil {
		agg = p.agg.id
	}
	if p.e.ticking() {
		p.e.requestTick() // the other machines may follow at the next tick
	}
	p.e.emit(Event{Time: p.e.now, Port: p.num, Machine: m, From: from, To: to, Reason: r, Aggregator: agg})
}

// setSelected sets the Selected variable (6.4.8).
func (p *port) setSelected(s MachineState, r Reason) {
	if p.selected == s {
		return
	}
	from := p.selected
	p.selected = s
	p.event(MachineSelection, from, s, r)
}

// setBlocking keeps agg.blocking, the number of the aggregator's ports
// waiting with Ready_N FALSE, in step with the port. Ready (6.4.14) is
// blocking == 0.
func (p *port) setBlocking() {
	b := p.shouldBlock()
	if b == p.blocking {
		return
	}
	p.blocking = b
	if b {
		p.agg.blocking++
		return
	}
	p.agg.blocking--
	if p.agg.blocking == 0 {
		p.agg.markMembersDirty()
	}
}

// shouldBlock reports whether the port holds its aggregator's Ready back:
// it waits with Ready_N FALSE. In the Linux timing mode a DETACHED port
// that the selection logic has put in an aggregator does too, as Linux's
// Ready asks every port of the aggregator for READY_N.
func (p *port) shouldBlock() bool {
	if p.agg == nil || p.readyN {
		return false
	}
	return p.mux == MuxWaiting || (p.e.ticking() && p.mux == MuxDetached)
}

// status is the port's snapshot.
func (p *port) status() PortStatus {
	s := PortStatus{
		Number:       p.num,
		Enabled:      p.enabled,
		Receive:      p.rx,
		Periodic:     p.periodic,
		Selection:    p.selected,
		Mux:          p.mux,
		ActorChurn:   p.actorChurn.state,
		PartnerChurn: p.partnerChurn.state,
		Actor:        p.actor,
		Partner:      p.partner,
		Admin:        p.admin,
		Counters:     p.counters,
	}
	s.Counters.ActorChurns, s.Counters.PartnerChurns = p.actorChurn.count, p.partnerChurn.count
	if p.agg != nil {
		s.Aggregator = p.agg.id
		s.AggregatorActive = p.agg.active
	}
	return s
}
