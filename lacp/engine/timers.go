package engine

import (
	"container/heap"
	"time"
)

var zeroTime time.Time

// timerHeap orders ports by their earliest running timer, so Advance
// touches only the ports that have something to do.
type timerHeap []*port

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].deadline.Before(h[j].deadline) }
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
	p.deadline = d
	switch {
	case d.IsZero() && p.heapIndex >= 0:
		heap.Remove(&e.timers, p.heapIndex)
	case d.IsZero():
	case p.heapIndex >= 0:
		heap.Fix(&e.timers, p.heapIndex)
	default:
		heap.Push(&e.timers, p)
	}
}
