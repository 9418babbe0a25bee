package engine

import "github.com/dxsim/dxsim/lacp"

// churnKind tells the Actor's churn detection machine from the Partner's.
type churnKind struct {
	m                      Machine
	none, monitor, churned MachineState
	inSync, outOfSync      Reason
}

var (
	actorChurnKind   = churnKind{m: MachineActorChurn, none: NoActorChurn, monitor: ActorChurnMonitor, churned: ActorChurn, inSync: ReasonActorInSync, outOfSync: ReasonActorOutOfSync}
	partnerChurnKind = churnKind{m: MachinePartnerChurn, none: NoPartnerChurn, monitor: PartnerChurnMonitor, churned: PartnerChurn, inSync: ReasonPartnerInSync, outOfSync: ReasonPartnerOutOfSync}
)

// churnMachine is one churn detection machine: its state, its
// churn timer and how often it has found churn.
type churnMachine struct {
	kind  *churnKind
	state MachineState
	timer vtime
	count uint64
}

// stepChurn runs the Actor and Partner churn detection machines (802.1AX-2014
// 6.4.17) once and reports whether either changed state.
func (p *port) stepChurn() bool {
	a := p.stepChurnMachine(&p.actorChurn, p.actor.State.Has(lacp.StateSynchronization))
	b := p.stepChurnMachine(&p.partnerChurn, p.partner.State.Has(lacp.StateSynchronization))
	return a || b
}

// stepChurnMachine runs one churn detection machine. While the port is
// disabled it stays in its MONITOR state with the timer stopped: the global
// transition to MONITOR restarts the timer for as long as port_enabled is
// FALSE.
func (p *port) stepChurnMachine(c *churnMachine, inSync bool) bool {
	k := c.kind
	if !p.enabled {
		if c.state == k.monitor && c.timer == never {
			return false
		}
		p.enterChurn(c, k.monitor, p.disableReason)
		return true
	}
	switch c.state {
	case k.none:
		if inSync {
			return false
		}
		p.enterChurn(c, k.monitor, k.outOfSync)
	case k.monitor:
		switch {
		case inSync:
			p.enterChurn(c, k.none, k.inSync)
		case c.timer == never: // the port has just been enabled
			p.enterChurn(c, k.monitor, p.disableReason)
		case expired(c.timer, p.e.t):
			p.enterChurn(c, k.churned, ReasonChurn)
		default:
			return false
		}
	case k.churned:
		if !inSync {
			return false
		}
		p.enterChurn(c, k.none, k.inSync)
	}
	return true
}

func (p *port) enterChurn(c *churnMachine, s MachineState, r Reason) {
	from := c.state
	c.state, c.timer = s, never
	switch s {
	case c.kind.monitor:
		if p.enabled {
			c.timer = p.e.timer(ChurnDetectionTime)
		}
	case c.kind.churned:
		c.count++
	}
	if from != s {
		p.event(c.kind.m, from, s, r)
	}
}
