package engine

import (
	"container/heap"
	"time"
)

// vtime is the engine's clock: nanoseconds since Engine.base, which lies a
// second before the first time the engine was given, so that no timer
// that runs is ever zero.
type vtime int64

// never is a stopped timer.
const never vtime = 0

// after is the engine time d from now.
func (e *Engine) after(d time.Duration) vtime { return e.t + vtime(d) }

// timer is when a timer of d started now runs out: d from now, or in the
// Linux timing mode the tick it counts down to (tick.go).
func (e *Engine) timer(d time.Duration) vtime {
	if !e.ticking() {
		return e.after(d)
	}
	if d <= 0 {
		return never
	}
	return e.tickAt(e.tickIndex() + ticks(d))
}

// wall is the time.Time of engine time v.
func (e *Engine) wall(v vtime) time.Time { return e.base.Add(time.Duration(v)) }

// timerHeap orders ports by their earliest running timer, so Advance
// touches only the ports that have something to do.
type timerHeap []*port

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].deadline < h[j].deadline }
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIndex = i
	h[j].heapIndex = j
}

func (h *timerHeap) Push(x any) {
	p := x.(*port)
	p.heapIndex = len(*h)
	*h = append(*h, p)
}

func (h *timerHeap) Pop() any {
	old := *h
	p := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	p.heapIndex = -1
	return p
}

// schedule puts p in the heap at its current deadline, or takes it out.
func (e *Engine) schedule(p *port) {
	d := p.nextDeadline()
	if d == p.deadline && (p.heapIndex >= 0) == (d != never) {
		return // most often: a PDU moved current_while, the periodic timer still comes first
	}
	p.deadline = d
	switch {
	case d == never && p.heapIndex >= 0:
		heap.Remove(&e.timers, p.heapIndex)
	case d == never:
	case p.heapIndex >= 0:
		heap.Fix(&e.timers, p.heapIndex)
	default:
		heap.Push(&e.timers, p)
	}
}
