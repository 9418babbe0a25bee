package engine

import (
	"fmt"
	"time"

	"github.com/dxsim/dxsim/lacp"
)

// SetPortUp tells the Engine the port's link went up or down.
func (e *Engine) SetPortUp(now time.Time, n uint16, up bool) error {
	p, err := e.port(n)
	if err != nil {
		return err
	}
	e.setNow(now)
	if e.ticking() {
		e.run()
	}
	if p.linkUp != up {
		p.linkUp = up
		reason := ReasonPortDown
		if up {
			reason = ReasonPortUp
			p.startFlap()
		} else {
			p.flapDown, p.flapAt = false, never
		}
		was := p.enabled
		p.setEnabled(reason)
		if e.ticking() && p.enabled != was {
			p.linkChanged()
		}
		e.markDirty(p)
	}
	if e.ticking() {
		e.schedule(p)
		return nil
	}
	e.run()
	return nil
}

// PortAdmin returns a port's administrative settings.
func (e *Engine) PortAdmin(n uint16) (PortAdmin, error) {
	p, err := e.port(n)
	if err != nil {
		return PortAdmin{}, err
	}
	return p.admin, nil
}

// SetPortAdmin changes a port's administrative settings. A new key
// unselects the port, which then looks for the aggregator of its new LAG ID
// (6.4.14); any change the Partner should hear of is transmitted.
func (e *Engine) SetPortAdmin(now time.Time, n uint16, a PortAdmin) error {
	p, err := e.port(n)
	if err != nil {
		return err
	}
	if a.Key == 0 || a.Priority == 0 {
		return fmt.Errorf("%w: port %d key and priority must not be zero", ErrInvalid, n)
	}
	e.setNow(now)
	if e.ticking() {
		e.run()
	}
	old := p.admin
	p.admin = a
	before := p.actor
	p.applyAdmin()
	if before.Key != p.actor.Key {
		p.setSelected(Unselected, ReasonAdmin)
	}
	if before != p.actor {
		p.ntt = true
	}
	if old.Flap != a.Flap {
		p.flapDown, p.flapAt = false, never
		p.startFlap()
		was := p.enabled
		p.setEnabled(ReasonFlap)
		if e.ticking() && p.enabled != was {
			p.linkChanged()
		}
	}
	e.markDirty(p)
	if e.ticking() {
		e.schedule(p)
		return nil
	}
	e.run()
	return nil
}

// applyAdmin copies the administrative settings into the Actor's
// operational values.
func (p *port) applyAdmin() {
	p.actor.Key = p.admin.Key
	p.actor.PortPriority = p.admin.Priority
	p.actor.State &^= lacp.StateActivity | lacp.StateTimeout
	if !p.admin.Passive {
		p.actor.State |= lacp.StateActivity
	}
	if !p.admin.Slow {
		p.actor.State |= lacp.StateTimeout
	}
}

// startFlap arms the flap schedule's first bounce, when it is set and the
// link is up.
func (p *port) startFlap() {
	if p.admin.Flap.enabled() && p.linkUp {
		p.flapAt = p.e.after(p.admin.Flap.Up)
	}
}

// stepFlap bounces the port when its flap schedule says so.
func (p *port) stepFlap() {
	if !expired(p.flapAt, p.e.t) {
		return
	}
	if !p.admin.Flap.enabled() || !p.linkUp {
		p.flapAt, p.flapDown = never, false
		return
	}
	p.flapDown = !p.flapDown
	if p.flapDown {
		p.flapAt = p.e.after(p.admin.Flap.Down)
	} else {
		p.flapAt = p.e.after(p.admin.Flap.Up)
	}
	p.setEnabled(ReasonFlap)
}

// Receive hands the Engine an LACPDU received on port n. A PDU whose Actor
// port number is 0, which identifies no port and which real switches
// reject, is dropped as malformed; one that arrives on a disabled port is
// ignored.
func (e *Engine) Receive(now time.Time, n uint16, pdu *lacp.LACPDU) error {
	p, err := e.port(n)
	if err != nil {
		return err
	}
	e.setNow(now)
	if e.ticking() {
		e.run() // the ticks before it
		defer e.schedule(p)
	} else {
		defer e.run()
	}
	if pdu.Actor.Port == 0 {
		p.counters.RxMalformed++
		return fmt.Errorf("%w: port %d: Actor port number 0", ErrMalformed, n)
	}
	if !p.enabled {
		p.counters.RxIgnored++
		return nil
	}
	p.counters.RxLACPDUs++
	if e.ticking() {
		p.receiveNow(pdu)
		return nil
	}
	p.pdu = *pdu
	p.pduPending = true
	e.markDirty(p)
	return nil
}
