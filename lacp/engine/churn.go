package engine

import "github.com/dxsim/dxsim/lacp"

// stepChurn runs the Actor and Partner churn detection machines (802.1AX-2014
// 6.4.17) once and reports whether either changed state. While the port is
// disabled both stay in their MONITOR state with the timer stopped: the
// global transition to MONITOR restarts it for as long as port_enabled is
// FALSE.
func (p *port) stepChurn() bool {
	a := p.stepOneChurn(MachineActorChurn, &p.actorChurn, &p.actorChurnT,
		p.actor.State.Has(lacp.StateSynchronization), &p.counters.ActorChurns,
		NoActorChurn, ActorChurnMonitor, ActorChurn, ReasonActorInSync, ReasonActorOutOfSync)
	b := p.stepOneChurn(MachinePartnerChurn, &p.partnerChurn, &p.partnerChurnT,
		p.partner.State.Has(lacp.StateSynchronization), &p.counters.PartnerChurns,
		NoPartnerChurn, PartnerChurnMonitor, PartnerChurn, ReasonPartnerInSync, ReasonPartnerOutOfSync)
	return a || b
}

func (p *port) stepOneChurn(m Machine, state *MachineState, timer *vtime, inSync bool, count *uint64,
	none, monitor, churn MachineState, syncReason, outReason Reason) bool {
	enter := func(s MachineState, r Reason) {
		from := *state
		*state = s
		*timer = never
		switch s {
		case monitor:
			if p.enabled {
				*timer = p.e.after(ChurnDetectionTime)
			}
		case churn:
			*count++
		}
		if from != s {
			p.event(m, from, s, r)
		}
	}
	if !p.enabled {
		if *state == monitor && *timer == never {
			return false
		}
		enter(monitor, p.disableReason)
		return true
	}
	switch *state {
	case monitor:
		switch {
		case inSync:
			enter(none, syncReason)
		case *timer == never: // the port has just been enabled
			enter(monitor, p.disableReason)
		case expired(*timer, p.e.t):
			enter(churn, ReasonChurn)
		default:
			return false
		}
	case none:
		if inSync {
			return false
		}
		enter(monitor, outReason)
	case churn:
		if !inSync {
			return false
		}
		enter(none, syncReason)
	}
	return true
}
