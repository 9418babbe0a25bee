package engine

import "github.com/dxsim/dxsim/lacp"

// stepMux runs the mux machine (802.1AX-2014 6.4.15, coupled control) once and reports whether it changed anything.
func (p *port) stepMux() bool {
	e := p.e
	switch p.mux {
	case MuxDetached:
		if p.selected == Selected {
			p.enterMux(MuxWaiting, ReasonSelected)
			return true
		}
	case MuxWaiting:
		if p.selected == Unselected {
			p.enterMux(MuxDetached, ReasonUnselected)
			return true
		}
		if !p.readyN && (p.waitWhile == never || expired(p.waitWhile, e.t)) {
			// wait_while_timer expired: Ready_N (6.4.8).
			p.waitWhile = never
			p.readyN = true
			p.setBlocking()
		}
		if p.readyN && p.agg.ready() {
			p.enterMux(MuxAttached, ReasonReady)
			return true
		}
	case MuxAttached:
		if p.selected == Unselected {
			p.enterMux(MuxDetached, ReasonUnselected)
			return true
		}
		// Of the conditions for COLLECTING_DISTRIBUTING, the one that held
		// last is the reason for the move.
		switch {
		case !p.partner.State.Has(lacp.StateSynchronization):
			p.heldBy = ReasonPartnerInSync
		case !p.agg.active:
			p.heldBy = ReasonAggregatorActive
		case e.holding():
			p.heldBy = ReasonSelectionDelay
		default:
			p.enterMux(MuxCollectingDistributing, p.heldBy)
			return true
		}
		// Linux asserts Synchronization only on the active aggregator's
		// ports; follow the aggregator as it gains or loses the role.
		if p.actor.State.Has(lacp.StateSynchronization) != p.agg.active {
			p.actor.State ^= lacp.StateSynchronization
			p.ntt = true
			return true
		}
	case MuxCollectingDistributing:
		switch {
		case p.selected == Unselected:
			p.enterMux(MuxAttached, ReasonUnselected)
		case !p.partner.State.Has(lacp.StateSynchronization):
			p.enterMux(MuxAttached, ReasonPartnerOutOfSync)
		case !p.agg.active:
			p.enterMux(MuxAttached, ReasonAggregatorInactive)
		default:
			return false
		}
		return true
	}
	return false
}

// enterMux performs the entry actions of a mux state.
func (p *port) enterMux(s MachineState, r Reason) {
	from := p.mux
	p.mux = s
	switch s {
	case MuxDetached:
		// Detach_Mux_From_Aggregator, Disable_Collecting_Distributing.
		// Linux keeps the port in its aggregator, which only the
		// selection logic changes, and clears READY_N.
		if p.e.ticking() {
			p.readyN = false
		} else {
			p.leaveAggregator()
		}
		p.actor.State &^= lacp.StateSynchronization | lacp.StateCollecting | lacp.StateDistributing
		p.waitWhile = never
		p.ntt = true
	case MuxWaiting:
		p.readyN = false
		p.waitWhile = p.e.timer(p.e.cfg.AggregateWait)
	case MuxAttached:
		// Attach_Mux_To_Aggregator; Disable_Collecting_Distributing.
		p.heldBy = ReasonPartnerInSync
		p.actor.State &^= lacp.StateSynchronization | lacp.StateCollecting | lacp.StateDistributing
		if p.agg.active {
			p.actor.State |= lacp.StateSynchronization
		}
		p.ntt = true
	case MuxCollectingDistributing:
		// Enable_Collecting_Distributing.
		p.actor.State |= lacp.StateCollecting | lacp.StateDistributing
		p.ntt = true
	}
	p.setBlocking()
	if from != s {
		p.event(MachineMux, from, s, r)
	}
}
