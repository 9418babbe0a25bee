package engine

import (
	"github.com/dxsim/dxsim/lacp"
)

// stepTx is the transmit machine (802.1AX-2014 6.4.16): when NTT is set,
// send an LACPDU, but no more than three in any Fast_Periodic_Time; a
// further one waits until it may go. Nothing is sent while the periodic
// machine is in NO_PERIODIC: a passive port with a passive (or unknown)
// Partner stays quiet.
func (p *port) stepTx() {
	now := p.e.t
	if !p.ntt || !p.enabled || p.periodic == NoPeriodic {
		p.txRetry = never
		return
	}
	oldest := p.txTimes[p.txNext]
	if oldest != never && now < oldest+vtime(FastPeriodicTime) {
		if p.txRetry == never {
			p.counters.TxDeferred++
		}
		p.txRetry = oldest + vtime(FastPeriodicTime)
		return
	}
	p.ntt = false
	p.txRetry = never
	p.txTimes[p.txNext] = now
	p.txNext = (p.txNext + 1) % len(p.txTimes)
	p.send(p.actor)
}

// send hands the caller an LACPDU with actor as the Actor, unless the
// port is Silent.
func (p *port) send(actor lacp.PortInfo) {
	if p.admin.Silent {
		p.counters.TxSuppressed++
		return
	}
	p.counters.TxLACPDUs++
	p.e.out = append(p.e.out, Transmit{
		Port: p.num,
		Src:  p.mac,
		Kind: TransmitLACPDU,
		LACPDU: lacp.LACPDU{
			Version:           lacp.Version,
			Actor:             actor,
			Partner:           p.partner,
			CollectorMaxDelay: p.e.cfg.CollectorMaxDelay,
		},
	})
}
