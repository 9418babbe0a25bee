package sim

import "sync"

// sequencer hands out turns in the order mutations commit, so their
// data-plane calls run in that order, one at a time. A mutation takes its
// ticket while it holds the state lock and waits for its turn after
// releasing it: nobody ever waits for a turn while holding the state lock,
// so a data-plane call may take the state lock (to record what happened)
// and the data plane's events are applied while it runs.
type sequencer struct {
	mu      sync.Mutex
	cond    sync.Cond
	next    uint64 // the next ticket to hand out
	serving uint64 // the ticket whose turn it is
}

func (q *sequencer) take() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := q.next
	q.next++
	return n
}

func (q *sequencer) wait(n uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.cond.L == nil {
		q.cond.L = &q.mu
	}
	for q.serving != n {
		q.cond.Wait()
	}
}

func (q *sequencer) done() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.cond.L == nil {
		q.cond.L = &q.mu
	}
	q.serving++
	q.cond.Broadcast()
}
