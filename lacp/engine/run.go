package engine

import "container/heap"

// run brings every machine up to e.now: ports whose timers ran out and
// ports with new input are stepped until nothing changes, then each of them
// gets its chance to transmit.
func (e *Engine) run() {
	if e.ticking() {
		e.runTicks()
		return
	}
	e.epoch++
	for len(e.timers) > 0 && e.t >= e.timers[0].deadline {
		p := heap.Pop(&e.timers).(*port)
		e.markDirty(p)
	}
	if !e.holdDone && !e.holding() {
		e.holdDone = true
		for _, p := range e.order {
			if p.mux == MuxAttached {
				e.markDirty(p)
			}
		}
	}
	for pass := 0; len(e.dirty) > 0 || e.aggsChanged; pass++ {
		if pass == maxPasses {
			e.log.Warn("lacp engine: machines did not settle", "ports", len(e.dirty))
			for _, p := range e.dirty {
				p.dirty = false
			}
			e.dirty = e.dirty[:0]
			break
		}
		batch := e.dirty
		e.dirty = e.spare[:0]
		for _, p := range batch {
			p.dirty = false
			e.step(p)
		}
		clear(batch)
		e.spare = batch[:0]
		if e.aggsChanged {
			e.chooseActive()
		}
	}
	for _, p := range e.touched {
		p.stepTx()
		e.schedule(p)
	}
	clear(e.touched)
	e.touched = e.touched[:0]
}

// step runs one port's machines until they settle.
func (e *Engine) step(p *port) {
	if p.touched != e.epoch {
		p.touched = e.epoch
		e.touched = append(e.touched, p)
	}
	p.stepFlap()
	for range maxPasses {
		changed := p.stepRx()
		changed = p.stepPeriodic() || changed
		changed = p.stepSelection() || changed
		changed = p.stepMux() || changed
		changed = p.stepChurn() || changed
		if !changed {
			return
		}
	}
}
