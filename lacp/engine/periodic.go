package engine

import "github.com/dxsim/dxsim/lacp"

// stepPeriodic runs the periodic transmission machine (802.1AX-2014 6.4.13)
// once and reports whether it changed state. PERIODIC_TX is
// transient: it sets NTT and goes straight on to FAST_ or SLOW_PERIODIC.
func (p *port) stepPeriodic() bool {
	now := p.e.t
	partnerShort := p.partner.State.Has(lacp.StateTimeout)
	if !p.enabled {
		return p.enterPeriodic(NoPeriodic, p.disableReason)
	}
	if !p.actor.State.Has(lacp.StateActivity) && !p.partner.State.Has(lacp.StateActivity) {
		return p.enterPeriodic(NoPeriodic, ReasonPartnerChanged)
	}
	switch p.periodic {
	case NoPeriodic:
		return p.enterPeriodic(FastPeriodic, p.disableReason)
	case FastPeriodic:
		if !partnerShort {
			return p.enterPeriodic(SlowPeriodic, ReasonPartnerChanged)
		}
		if expired(p.periodicT, now) {
			p.periodicTx()
			return true
		}
	case SlowPeriodic:
		if partnerShort || expired(p.periodicT, now) {
			p.periodicTx()
			return true
		}
	}
	return false
}

// periodicTx is PERIODIC_TX: NTT, then back to the rate the Partner asks for.
func (p *port) periodicTx() {
	p.ntt = true
	p.periodicT = never
	if p.partner.State.Has(lacp.StateTimeout) {
		p.enterPeriodic(FastPeriodic, ReasonPartnerChanged)
	} else {
		p.enterPeriodic(SlowPeriodic, ReasonPartnerChanged)
	}
}

// enterPeriodic enters s, (re)starting the periodic timer, and reports
// whether the state changed.
func (p *port) enterPeriodic(s MachineState, r Reason) bool {
	switch s {
	case NoPeriodic:
		if p.periodic == NoPeriodic {
			return false
		}
		p.periodicT = never
	case FastPeriodic:
		p.periodicT = p.e.after(FastPeriodicTime)
	case SlowPeriodic:
		p.periodicT = p.e.after(SlowPeriodicTime)
	}
	return p.setPeriodic(s, r)
}

// setPeriodic moves the periodic machine to s, leaving its timer alone,
// and reports whether the state changed.
func (p *port) setPeriodic(s MachineState, r Reason) bool {
	from := p.periodic
	p.periodic = s
	if from != s {
		p.event(MachinePeriodic, from, s, r)
	}
	return from != s
}
