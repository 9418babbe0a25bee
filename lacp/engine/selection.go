package engine

import (
	"slices"

	"github.com/dxsim/dxsim/lacp"
)

// lagID is a Link Aggregation Group Identifier (802.1AX-2014 6.3.6): the
// Actor's and the Partner's System and key. An Individual port's LAG ID
// also names the port, so no other port shares it.
type lagID struct {
	actorPriority   uint16
	actorSystem     lacp.SystemID
	actorKey        uint16
	partnerPriority uint16
	partnerSystem   lacp.SystemID
	partnerKey      uint16
	individual      bool
	port            uint16
}

// aggregator is an Aggregator (6.4.14): the ports that share a LAG ID.
type aggregator struct {
	e        *Engine
	id       uint16
	lag      lagID
	ports    []*port
	blocking int  // ports WAITING with Ready_N FALSE; Ready is blocking == 0
	active   bool // the bond's active aggregator: its ports may collect and distribute
}

func (a *aggregator) ready() bool { return a.blocking == 0 }

func (a *aggregator) markMembersDirty() {
	for _, p := range a.ports {
		a.e.markDirty(p)
	}
}

// lagID is the LAG ID the port would aggregate under now. A port is
// Individual (6.3.5, 6.4.14.1) when either end says it cannot aggregate.
func (p *port) lagID() lagID {
	id := lagID{
		actorPriority:   p.actor.SystemPriority,
		actorSystem:     p.actor.System,
		actorKey:        p.actor.Key,
		partnerPriority: p.partner.SystemPriority,
		partnerSystem:   p.partner.System,
		partnerKey:      p.partner.Key,
	}
	if !p.actor.State.Has(lacp.StateAggregation) || !p.partner.State.Has(lacp.StateAggregation) {
		id.individual = true
		id.port = p.num
	}
	return id
}

// stepSelection is the selection logic (6.4.14) for one port: an UNSELECTED
// port whose mux has let go of its old aggregator joins the aggregator of
// its LAG ID, or a new one. It reports whether the port was selected.
func (p *port) stepSelection() bool {
	if p.selected != Unselected || p.mux != MuxDetached || !p.enabled {
		return false
	}
	p.join()
	return true
}

// join puts an UNSELECTED port in the aggregator of its LAG ID, or a new
// one, and selects it.
func (p *port) join() {
	id := p.lagID()
	var agg *aggregator
	if !id.individual {
		for _, a := range p.e.aggs {
			if a.lag == id {
				agg = a
				break
			}
		}
	}
	if agg == nil {
		agg = p.e.newAggregator(p.num, id)
	}
	p.agg = agg
	agg.ports = append(agg.ports, p)
	p.e.aggsChanged = true
	p.setSelected(Selected, ReasonSelected)
}

// leaveAggregator is Detach_Mux_From_Aggregator's bookkeeping: the port
// leaves its aggregator, which goes when it has no ports left.
func (p *port) leaveAggregator() {
	if p.agg == nil {
		return
	}
	p.readyN = false
	p.dropAggregator()
}

// dropAggregator takes the port out of its aggregator, Ready_N as it is.
func (p *port) dropAggregator() {
	a := p.agg
	if p.blocking {
		p.blocking = false
		a.blocking--
	}
	a.ports = slices.DeleteFunc(a.ports, func(q *port) bool { return q == p })
	p.agg = nil
	p.e.aggsChanged = true
	a.markMembersDirty() // Ready may have changed
	if len(a.ports) == 0 {
		p.e.aggs = slices.DeleteFunc(p.e.aggs, func(b *aggregator) bool { return b == a })
		if p.e.active == a {
			p.e.active = nil
		}
	}
}

// newAggregator creates an aggregator, numbered after the port that needs
// it when that number is free.
func (e *Engine) newAggregator(want uint16, id lagID) *aggregator {
	taken := func(n uint16) bool {
		return slices.ContainsFunc(e.aggs, func(a *aggregator) bool { return a.id == n })
	}
	for n := want; taken(n); n++ {
		want = n + 1
	}
	a := &aggregator{e: e, id: want, lag: id}
	e.aggs = append(e.aggs, a)
	return a
}

// chooseActive picks the bond's active aggregator as Linux does with
// ad_select=count: an aggregator with a Partner before an Individual one,
// then the most ports, then the lowest number; with Config.Stable, the
// active one keeps the role while it has an enabled port and a Partner.
// Ports of the aggregators that gain or lose the role are rerun.
func (e *Engine) chooseActive() {
	e.aggsChanged = false
	if e.cfg.Stable && e.active != nil && !e.active.lag.individual && slices.ContainsFunc(e.active.ports, func(p *port) bool { return p.enabled }) {
		return
	}
	var best *aggregator
	for _, a := range e.aggs {
		if best == nil || better(a, best) {
			best = a
		}
	}
	if best == e.active {
		return
	}
	if old := e.active; old != nil {
		old.active = false
		old.markMembersDirty()
	}
	e.active = best
	if best != nil {
		best.active = true
		best.markMembersDirty()
	}
}

func better(a, b *aggregator) bool {
	if a.lag.individual != b.lag.individual {
		return !a.lag.individual
	}
	if len(a.ports) != len(b.ports) {
		return len(a.ports) > len(b.ports)
	}
	return a.id < b.id
}
