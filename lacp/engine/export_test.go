package engine

import (
	"fmt"
	"slices"
)

// CheckInternal checks the bookkeeping tests cannot see from outside:
// aggregator membership, the Ready counts and the timer heap.
func CheckInternal(e *Engine) error {
	actives := 0
	for _, a := range e.aggs {
		if len(a.ports) == 0 {
			return fmt.Errorf("aggregator %d has no ports", a.id)
		}
		blocking := 0
		for _, p := range a.ports {
			if p.agg != a {
				return fmt.Errorf("aggregator %d lists port %d, which is in %v", a.id, p.num, p.agg)
			}
			if p.shouldBlock() {
				blocking++
			}
			if p.lagID() != a.lag && p.selected == Selected && p.mux != MuxDetached {
				// A selected port's LAG ID may only differ once it is
				// about to be unselected; in a settled engine it may not.
				return fmt.Errorf("port %d in aggregator %d with another LAG ID", p.num, a.id)
			}
		}
		if blocking != a.blocking {
			return fmt.Errorf("aggregator %d counts %d waiting ports, has %d", a.id, a.blocking, blocking)
		}
		if a.active {
			actives++
			if e.active != a {
				return fmt.Errorf("aggregator %d active but not the engine's", a.id)
			}
		}
	}
	if actives > 1 || (e.active != nil && !slices.Contains(e.aggs, e.active)) || (len(e.aggs) > 0 && e.active == nil) {
		return fmt.Errorf("%d active aggregators; engine's is %v", actives, e.active)
	}
	for _, p := range e.order {
		if p.agg != nil && !slices.Contains(p.agg.ports, p) {
			return fmt.Errorf("port %d thinks it is in aggregator %d", p.num, p.agg.id)
		}
		if (p.agg != nil) != (p.mux != MuxDetached) && (!e.ticking() || p.agg == nil) {
			return fmt.Errorf("port %d: mux %v, aggregator %v", p.num, p.mux, p.agg)
		}
		d := p.nextDeadline()
		if d != p.deadline || (d != never) != (p.heapIndex >= 0) {
			return fmt.Errorf("port %d: deadline %d scheduled as %d (heap index %d)", p.num, d, p.deadline, p.heapIndex)
		}
		if p.heapIndex >= 0 && e.timers[p.heapIndex] != p {
			return fmt.Errorf("port %d: heap index %d holds another port", p.num, p.heapIndex)
		}
		if d != never && d <= e.t {
			return fmt.Errorf("port %d: timer at %d already due at %d", p.num, d, e.t)
		}
	}
	return nil
}
