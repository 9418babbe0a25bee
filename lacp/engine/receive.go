package engine

import "github.com/dxsim/dxsim/lacp"

// stepRx runs the receive machine (802.1AX-2014 6.4.12) once
// and reports whether it changed anything.
func (p *port) stepRx() bool {
	if !p.enabled {
		// Global transition: !port_enabled && !Port_Moved -> PORT_DISABLED.
		// A PDU for a disabled port was already dropped by Receive.
		switch p.rx {
		case RxPortDisabled:
			return false
		case RxInitialize:
			p.enterRx(RxPortDisabled, ReasonBegin)
		default:
			p.enterRx(RxPortDisabled, p.disableReason)
		}
		return true
	}
	switch p.rx {
	case RxInitialize:
		p.enterRx(RxPortDisabled, ReasonBegin)
		return true
	case RxPortDisabled:
		// LACP_Enabled is always TRUE: every port is full duplex.
		p.enterRx(RxExpired, p.disableReason)
		return true
	case RxExpired, RxDefaulted, RxCurrent:
		if p.pduPending {
			p.pduPending = false
			p.enterRx(RxCurrent, ReasonPDU)
			return true
		}
		if expired(p.currentWhile, p.e.t) {
			p.currentWhile = never
			if p.rx == RxExpired {
				p.enterRx(RxDefaulted, ReasonCurrentWhile)
			} else if p.rx == RxCurrent {
				p.enterRx(RxExpired, ReasonCurrentWhile)
			}
			return true
		}
	}
	return false
}

// enterRx performs the entry actions of a receive machine state.
func (p *port) enterRx(s MachineState, r Reason) {
	from := p.rx
	p.rx = s
	switch s {
	case RxInitialize:
		p.setSelected(Unselected, r)
		p.recordDefault()
		p.actor.State &^= lacp.StateExpired
	case RxPortDisabled:
		p.partner.State &^= lacp.StateSynchronization
		p.currentWhile = never
	case RxExpired:
		p.partner.State &^= lacp.StateSynchronization
		p.partner.State |= lacp.StateTimeout // short, so we speak fast to revive it
		p.currentWhile = p.e.timer(ShortTimeoutTime)
		p.actor.State |= lacp.StateExpired
	case RxDefaulted:
		p.updateDefaultSelected()
		p.recordDefault()
		p.actor.State &^= lacp.StateExpired
	case RxCurrent:
		p.updateSelected(&p.pdu)
		p.updateNTT(&p.pdu)
		p.recordPDU(&p.pdu)
		if p.actor.State.Has(lacp.StateTimeout) {
			p.currentWhile = p.e.timer(ShortTimeoutTime)
		} else {
			p.currentWhile = p.e.timer(LongTimeoutTime)
		}
		p.actor.State &^= lacp.StateExpired
	}
	if from != s {
		p.event(MachineReceive, from, s, r)
	}
}

// sameIdentity compares what update_Selected compares (6.4.9): port number,
// port priority, System, System priority, key and the Aggregation bit.
func sameIdentity(a, b *lacp.PortInfo) bool {
	return a.Port == b.Port && a.PortPriority == b.PortPriority && a.System == b.System &&
		a.SystemPriority == b.SystemPriority && a.Key == b.Key &&
		a.State&lacp.StateAggregation == b.State&lacp.StateAggregation
}

// updateSelected is update_Selected (6.4.9): a Partner that is not the one
// recorded unselects the port.
func (p *port) updateSelected(pdu *lacp.LACPDU) {
	if !sameIdentity(&pdu.Actor, &p.partner) {
		p.setSelected(Unselected, ReasonPartnerChanged)
	}
}

// updateDefaultSelected is update_Default_Selected (6.4.9).
func (p *port) updateDefaultSelected() {
	if !sameIdentity(&partnerAdmin, &p.partner) {
		p.setSelected(Unselected, ReasonPartnerChanged)
	}
}

// nttBits are the Actor state bits whose misreport by the Partner calls for
// a transmission (update_NTT, 6.4.9).
const nttBits = lacp.StateActivity | lacp.StateTimeout | lacp.StateSynchronization | lacp.StateAggregation

// updateNTT is update_NTT (6.4.9): when the Partner's view of the Actor is
// out of date, tell it.
func (p *port) updateNTT(pdu *lacp.LACPDU) {
	if !sameIdentity(&pdu.Partner, &p.actor) || pdu.Partner.State&nttBits != p.actor.State&nttBits {
		p.ntt = true
	}
}

// recordPDU is recordPDU (6.4.9): the PDU's Actor becomes the Partner, and
// the Partner is in sync when it has the Actor right and says so, or is an
// individual link that says so, and LACP actively maintains the link.
func (p *port) recordPDU(pdu *lacp.LACPDU) {
	p.partner = pdu.Actor
	p.actor.State &^= lacp.StateDefaulted

	matched := sameIdentity(&pdu.Partner, &p.actor)
	sync := pdu.Actor.State.Has(lacp.StateSynchronization) &&
		(matched || !pdu.Actor.State.Has(lacp.StateAggregation))
	active := pdu.Actor.State.Has(lacp.StateActivity) ||
		(p.actor.State.Has(lacp.StateActivity) && pdu.Partner.State.Has(lacp.StateActivity))
	if sync && active {
		p.partner.State |= lacp.StateSynchronization
	} else {
		p.partner.State &^= lacp.StateSynchronization
	}
}

// recordDefault is recordDefault (6.4.9).
func (p *port) recordDefault() {
	p.partner = partnerAdmin
	p.actor.State |= lacp.StateDefaulted
}
