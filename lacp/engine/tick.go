package engine

import (
	"container/heap"
	"time"

	"github.com/dxsim/dxsim/lacp"
)

// The Linux timing mode (Config.Tick): Linux 6.1's bond_3ad.c runs one
// handler per bond every tick (bond_3ad_state_machine_handler) that steps
// each port's receive (timers only), periodic, selection, mux, transmit
// and churn machines once, in that order, with every timer a count of
// ticks. The engine does the same, but visits only the ticks at which
// something can happen: a timer runs out, a port may transmit what it
// needs to, or the tick before changed something or had input (a PDU, a
// link change), which the machines may answer one step a tick.

// linuxTxTicks is ad_ticks_per_sec / AD_MAX_TX_IN_SECOND: a port's
// sm_tx_timer_counter restarts at 3 each time it runs out, so it may send
// on every third tick only.
const linuxTxTicks = 3

func (e *Engine) ticking() bool { return e.cfg.Tick > 0 }

// ticks is d as a count of Linux's ticks: ten to the second.
func ticks(d time.Duration) int64 { return int64((d + LinuxTick - 1) / LinuxTick) }

// tickAt is the instant of tick k. Tick 0 is when the first port was
// added, or with Config.TickFrom the bond's last tick before that.
func (e *Engine) tickAt(k int64) vtime { return e.tickBase + vtime(k)*vtime(e.cfg.Tick) }

// tickIndex is the last tick at or before now.
func (e *Engine) tickIndex() int64 {
	if e.t < e.tickBase {
		return 0
	}
	return int64(e.t-e.tickBase) / int64(e.cfg.Tick)
}

func (e *Engine) onTick(v vtime) bool {
	return v > e.tickBase && (v-e.tickBase)%vtime(e.cfg.Tick) == 0
}

// requestTick asks for the next tick to run every port's machines.
func (e *Engine) requestTick() {
	k := e.tickIndex() + 1
	if e.pendingTick == 0 || k < e.pendingTick {
		e.pendingTick = k
	}
}

// nextTxTick is the port's next transmit tick after now.
func (p *port) nextTxTick() vtime {
	m := (p.e.tickIndex()-p.txBase)/linuxTxTicks + 1
	return p.e.tickAt(p.txBase + m*linuxTxTicks)
}

// nextDue is the earliest instant anything happens: a port's deadline (a
// tick, or its flap schedule), the pending tick or the selection timer.
func (e *Engine) nextDue() vtime {
	d := never
	if len(e.timers) > 0 {
		d = e.timers[0].deadline
	}
	if e.ticking() && e.pendingTick != 0 {
		d = earliest(d, e.tickAt(e.pendingTick))
	}
	if !e.holdDone {
		d = earliest(d, e.holdUntil)
	}
	return d
}

// runTicks runs, in order, every tick and flap up to now at which anything
// happens, each at its own instant.
func (e *Engine) runTicks() {
	now, t := e.now, e.t
	for {
		next := e.nextDue()
		if next == never || next > t {
			break
		}
		e.t, e.now = next, e.wall(next)
		for len(e.timers) > 0 && e.timers[0].deadline <= next {
			e.due = append(e.due, heap.Pop(&e.timers).(*port))
		}
		for _, p := range e.due {
			was := p.enabled
			p.stepFlap()
			if p.enabled != was {
				p.linkChanged()
			}
		}
		if e.onTick(next) {
			e.tick()
		}
		for _, p := range e.due {
			e.schedule(p)
		}
		clear(e.due)
		e.due = e.due[:0]
	}
	e.t, e.now = t, now
}

// tick is one run of bond_3ad_state_machine_handler.
func (e *Engine) tick() {
	if e.pendingTick != 0 && e.pendingTick <= e.tickIndex() {
		e.pendingTick = 0
	}
	if !e.holdDone && !e.holding() {
		// agg_select_timer ran out: Linux reselects the active
		// aggregator, and ATTACHED ports may go on.
		e.holdDone = true
		e.aggsChanged = true
		e.requestTick()
	}
	if e.aggsChanged {
		e.chooseActive()
	}
	for _, p := range e.order {
		begin := p.begin
		p.begin = false
		p.tickRx(begin)
		p.tickPeriodic(begin)
		p.tickSelection()
		p.tickMux(begin)
		p.tickTx()
		p.tickChurn()
	}
	for _, p := range e.order {
		e.schedule(p)
	}
}

// tickRx is the timer half of Linux's receive machine (ad_rx_machine
// without a PDU).
func (p *port) tickRx(begin bool) {
	switch {
	case begin:
		p.churn(ReasonBegin)
		p.enterRx(RxInitialize, ReasonBegin)
		p.enterRx(RxPortDisabled, ReasonBegin)
	case !p.enabled:
		if p.rx != RxPortDisabled {
			p.enterRx(RxPortDisabled, p.disableReason)
		}
	case expired(p.currentWhile, p.e.t):
		p.currentWhile = never
		switch p.rx {
		case RxExpired:
			p.enterRx(RxDefaulted, ReasonCurrentWhile)
		case RxCurrent:
			p.churn(ReasonCurrentWhile)
			p.enterRx(RxExpired, ReasonCurrentWhile)
		}
	case p.rx == RxPortDisabled:
		p.churn(p.disableReason)
		p.enterRx(RxExpired, p.disableReason)
	}
}

// receiveNow is Linux's receive machine given a PDU (bond_3ad_lacpdu_recv):
// it runs at once, but what it causes waits for the next tick.
func (p *port) receiveNow(pdu *lacp.LACPDU) {
	if p.begin {
		return // Linux reinitialises the port at once, losing the PDU; the tick will
	}
	before, ntt := p.partner, p.ntt
	switch p.rx {
	case RxExpired, RxDefaulted, RxCurrent:
		if p.rx != RxCurrent {
			p.churn(ReasonPDU)
		}
		p.pdu = *pdu
		p.enterRx(RxCurrent, ReasonPDU)
	case RxPortDisabled:
		// Enabled but not yet moved on by a tick: Linux's machine takes
		// the chance to leave PORT_DISABLED, and drops the PDU.
		p.churn(p.disableReason)
		p.enterRx(RxExpired, p.disableReason)
	}
	if p.partner != before || p.ntt != ntt {
		p.e.requestTick()
	}
}

// churn is AD_PORT_CHURNED: the churn machines restart at the next tick.
func (p *port) churn(r Reason) { p.churned, p.churnReason = true, r }

// tickPeriodic is Linux's periodic machine. Its PERIODIC_TX lasts a tick,
// after which the timer restarts a tick short, so NTT comes every 10 (300)
// ticks; from NO_PERIODIC the first comes after 9.
func (p *port) tickPeriodic(begin bool) {
	short := p.partner.State.Has(lacp.StateTimeout)
	passive := !p.actor.State.Has(lacp.StateActivity) && !p.partner.State.Has(lacp.StateActivity)
	switch {
	case begin:
		p.enterPeriodic(NoPeriodic, ReasonBegin)
	case !p.enabled:
		p.enterPeriodic(NoPeriodic, p.disableReason)
	case passive:
		p.enterPeriodic(NoPeriodic, ReasonPartnerChanged)
	case p.periodicT != never:
		switch {
		case expired(p.periodicT, p.e.t):
			p.ntt = true
			p.periodicNext(short, ReasonPartnerChanged, 0)
		case p.periodic == FastPeriodic && !short:
			p.periodicNext(false, ReasonPartnerChanged, LinuxTick)
		case p.periodic == SlowPeriodic && short:
			p.ntt = true // PERIODIC_TX at once
			p.periodicNext(true, ReasonPartnerChanged, 0)
		}
	case p.periodic == NoPeriodic:
		p.periodicNext(true, p.disableReason, LinuxTick)
	}
}

// periodicNext enters FAST_ or SLOW_PERIODIC, its timer running one period
// less short.
func (p *port) periodicNext(fast bool, r Reason, short time.Duration) {
	if fast {
		p.setPeriodic(FastPeriodic, r)
		p.periodicT = p.e.timer(FastPeriodicTime - short)
		return
	}
	p.setPeriodic(SlowPeriodic, r)
	p.periodicT = p.e.timer(SlowPeriodicTime - short)
}

// tickSelection is Linux's port selection logic: an UNSELECTED port moves
// to the aggregator of its LAG ID at once, whatever its mux is doing, and
// Linux reselects the bond's active aggregator. A port whose aggregator is
// not the active one stops asserting Synchronization (without NTT, as
// Linux).
func (p *port) tickSelection() {
	if p.selected != Unselected || !p.enabled {
		return
	}
	if p.agg != nil {
		p.dropAggregator()
	}
	p.join()
	p.setBlocking()
	p.e.chooseActive()
	if !p.agg.active {
		p.actor.State &^= lacp.StateSynchronization
	}
}

// tickMux is Linux's mux machine: one transition a tick.
func (p *port) tickMux(begin bool) {
	e := p.e
	if begin {
		if p.mux != MuxDetached {
			p.enterMux(MuxDetached, ReasonBegin)
		}
		return
	}
	switch p.mux {
	case MuxDetached:
		if p.selected == Selected {
			p.enterMux(MuxWaiting, ReasonSelected)
		}
	case MuxWaiting:
		if p.selected == Unselected {
			p.enterMux(MuxDetached, ReasonUnselected)
			return
		}
		if !p.readyN && (p.waitWhile == never || expired(p.waitWhile, e.t)) {
			p.waitWhile = never
			p.readyN = true
			p.setBlocking()
			e.requestTick()
		}
		if p.readyN && p.agg.ready() {
			p.enterMux(MuxAttached, ReasonReady)
		}
	case MuxAttached:
		sync := p.partner.State.Has(lacp.StateSynchronization)
		switch {
		case p.selected == Selected && sync && !e.holding():
			if p.agg.active {
				p.enterMux(MuxCollectingDistributing, p.heldBy)
			} else {
				p.heldBy = ReasonAggregatorActive
			}
		case p.selected == Unselected:
			p.enterMux(MuxDetached, ReasonUnselected)
		default:
			p.heldBy = ReasonPartnerInSync
			if sync {
				p.heldBy = ReasonSelectionDelay
			}
			if p.agg.active && !p.actor.State.Has(lacp.StateSynchronization) {
				p.actor.State |= lacp.StateSynchronization // without NTT, as Linux
				e.requestTick()
			}
		}
	case MuxCollectingDistributing:
		switch {
		case p.selected == Unselected:
			p.enterMux(MuxAttached, ReasonUnselected)
		case !p.partner.State.Has(lacp.StateSynchronization):
			p.enterMux(MuxAttached, ReasonPartnerOutOfSync)
		case !p.agg.active || !p.actor.State.Has(lacp.StateSynchronization):
			p.enterMux(MuxAttached, ReasonAggregatorInactive)
		}
	}
}

// tickTx is Linux 6.1's transmit machine: on every third tick after the
// port was added (sm_tx_timer_counter, which nothing else resets), an
// LACPDU if NTT is set. Unlike the standard's, it does not ask the
// periodic machine: a passive port still says what NTT asks it to.
func (p *port) tickTx() {
	k := p.e.tickIndex()
	if k <= p.txBase || (k-p.txBase)%linuxTxTicks != 0 || !p.ntt || !p.enabled {
		return
	}
	p.ntt = false
	p.send(p.actor)
}

// tickChurn is Linux's churn detection: both machines restart in MONITOR
// when the receive machine churned the port, and decide once, when their
// timer runs out: NO_CHURN if in sync then, CHURN if not.
func (p *port) tickChurn() {
	if p.churned {
		p.churned = false
		p.enterChurn(&p.actorChurn, ActorChurnMonitor, p.churnReason)
		p.enterChurn(&p.partnerChurn, PartnerChurnMonitor, p.churnReason)
		return
	}
	p.decideChurn(&p.actorChurn, p.actor.State.Has(lacp.StateSynchronization))
	p.decideChurn(&p.partnerChurn, p.partner.State.Has(lacp.StateSynchronization))
}

func (p *port) decideChurn(c *churnMachine, inSync bool) {
	if !expired(c.timer, p.e.t) {
		return
	}
	c.timer = never
	switch {
	case c.state != c.kind.monitor:
	case inSync:
		p.enterChurn(c, c.kind.none, c.kind.inSync)
	default:
		p.enterChurn(c, c.kind.churned, ReasonChurn)
	}
}

// linkChanged is bond_3ad_handle_link_change. Up: the link's speed comes
// back, which restarts the port's machines at the next tick (BEGIN), and
// the DETACHED that follows asks to transmit. Down: the port leaves the
// bond's transmit array at once; the engine also detaches it at once
// (where Linux leaves its mux be until it comes back), so that no port
// that is down is reported distributing.
func (p *port) linkChanged() {
	e := p.e
	if p.enabled {
		p.begin, p.ntt = true, true
		e.requestTick()
		return
	}
	p.stepRx()
	p.stepPeriodic()
	p.stepChurn()
	if p.mux == MuxCollectingDistributing {
		p.enterMux(MuxAttached, p.disableReason)
	}
	if p.mux != MuxDetached {
		p.enterMux(MuxDetached, p.disableReason)
	}
	p.leaveAggregator()
	if e.aggsChanged {
		e.chooseActive()
	}
	e.requestTick()
}

// unbind is what Linux does at once when a port leaves the bond
// (bond_3ad_unbind_slave): a last LACPDU that withdraws Synchronization,
// Collecting, Distributing and Aggregation, outside the transmit machine.
func (p *port) unbind() {
	if !p.enabled {
		return
	}
	a := p.actor
	a.State &^= lacp.StateSynchronization | lacp.StateCollecting | lacp.StateDistributing | lacp.StateAggregation
	p.send(a)
}
