package userspace

import (
	"bytes"
	"container/heap"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// Where the kernel has no netem, a port's loss and delay are the Host's:
// every frame it sends out of the port passes the port's impairer, which
// drops it at random or holds it on a queue that one goroutine per delayed
// port empties on time.

// The held queue is bounded, as netem's is: frames beyond either limit are
// dropped (drop-tail) and counted.
const (
	heldFrames = 4096
	heldBytes  = 32 << 20
)

// frameWriter is where a held frame goes in the end: a port's packet socket.
type frameWriter interface {
	WriteFrame(frame []byte, ifindex int) error
}

// check says whether the Host can apply an Impairment.
func (imp Impairment) check() error {
	switch {
	case imp.Loss < 0 || imp.Loss > 100:
		return fmt.Errorf("userspace: loss %g%% is not between 0 and 100", imp.Loss)
	case imp.Delay < 0 || imp.Jitter < 0:
		return errors.New("userspace: negative delay or jitter")
	}
	return nil
}

// impairer loses and delays one port's frames. Its settings change in
// place, so frames already held keep their place when they do.
type impairer struct {
	rnd func() float64 // in [0, 1); called with mu held

	mu       sync.Mutex
	cfg      Impairment
	q        heldQueue
	bytes    int
	seq      uint64
	lastDue  time.Time // of the last frame held: without jitter, none goes before it
	writing  bool      // the goroutine is writing frames it took off q
	stopped  bool
	stats    ImpairmentStats
	wake     chan struct{} // the goroutine looks at q again
	done     chan struct{} // closed by stop
	finished chan struct{} // closed when the goroutine returns; nil until it starts
}

func newImpairer(imp Impairment) *impairer {
	return &impairer{rnd: rand.Float64, cfg: imp, wake: make(chan struct{}, 1), done: make(chan struct{})}
}

func (im *impairer) set(imp Impairment) {
	im.mu.Lock()
	im.cfg = imp
	im.mu.Unlock()
}

// send writes frame to w now, later, or never. It does not block on a held
// frame, and keeps no reference to frame once it returns.
func (im *impairer) send(w frameWriter, frame []byte) error {
	im.mu.Lock()
	if im.stopped {
		// Cleared after the sender picked it up: no impairment.
		im.mu.Unlock()
		return w.WriteFrame(frame, 0)
	}
	cfg := im.cfg
	if cfg.Loss > 0 && im.rnd()*100 < cfg.Loss {
		im.stats.Lost++
		im.mu.Unlock()
		return nil
	}
	if cfg.Delay <= 0 && cfg.Jitter <= 0 && len(im.q) == 0 && !im.writing {
		im.stats.Sent++
		im.mu.Unlock()
		return w.WriteFrame(frame, 0)
	}
	// Frames still held (the delay was just cut) go first.
	if len(im.q) >= heldFrames || im.bytes+len(frame) > heldBytes {
		im.stats.Overflow++
		im.mu.Unlock()
		return nil
	}
	d := cfg.Delay
	if cfg.Jitter > 0 {
		d += time.Duration((2*im.rnd() - 1) * float64(cfg.Jitter))
	}
	due := time.Now().Add(max(d, 0))
	if cfg.Jitter <= 0 && due.Before(im.lastDue) {
		due = im.lastDue
	}
	im.lastDue = due
	im.seq++
	heap.Push(&im.q, held{due: due, seq: im.seq, w: w, frame: bytes.Clone(frame)})
	im.bytes += len(frame)
	first := im.q[0].seq == im.seq
	if im.finished == nil {
		im.finished = make(chan struct{})
		go im.run()
	}
	im.mu.Unlock()
	if first {
		select {
		case im.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

// run writes held frames when they are due, until stop.
func (im *impairer) run() {
	defer close(im.finished)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var batch []held
	for {
		im.mu.Lock()
		now := time.Now()
		batch = batch[:0]
		for len(im.q) > 0 && !im.q[0].due.After(now) {
			h := heap.Pop(&im.q).(held)
			im.bytes -= len(h.frame)
			batch = append(batch, h)
		}
		wait := time.Duration(-1)
		if len(im.q) > 0 {
			wait = im.q[0].due.Sub(now)
		}
		im.writing = len(batch) > 0
		im.mu.Unlock()

		if len(batch) > 0 {
			for i, h := range batch {
				_ = h.w.WriteFrame(h.frame, 0) // a port gone or down loses the frame
				batch[i] = held{}
			}
			im.mu.Lock()
			im.writing = false
			im.stats.Sent += uint64(len(batch))
			im.mu.Unlock()
			continue
		}
		var tick <-chan time.Time
		if wait >= 0 {
			timer.Reset(wait)
			tick = timer.C
		}
		select {
		case <-im.done:
			return
		case <-im.wake:
		case <-tick:
		}
		timer.Stop()
	}
}

// stop ends the goroutine, if it started, and drops the frames still held,
// as removing a netem qdisc does. Frames sent afterwards go out unimpaired.
func (im *impairer) stop() {
	im.mu.Lock()
	if im.stopped {
		im.mu.Unlock()
		return
	}
	im.stopped = true
	close(im.done)
	finished := im.finished
	im.mu.Unlock()
	if finished != nil {
		<-finished
	}
	im.mu.Lock()
	im.q, im.bytes = nil, 0
	im.mu.Unlock()
}

func (im *impairer) status() (Impairment, ImpairmentStats) {
	im.mu.Lock()
	defer im.mu.Unlock()
	return im.cfg, im.stats
}

// held is a frame waiting for its time.
type held struct {
	due   time.Time
	seq   uint64 // order of sending, among frames due together
	w     frameWriter
	frame []byte
}

// heldQueue is a min-heap of held frames by due time, then order of sending.
type heldQueue []held

func (q heldQueue) Len() int { return len(q) }
func (q heldQueue) Less(i, j int) bool {
	if q[i].due.Equal(q[j].due) {
		return q[i].seq < q[j].seq
	}
	return q[i].due.Before(q[j].due)
}
func (q heldQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *heldQueue) Push(x any)   { *q = append(*q, x.(held)) }
func (q *heldQueue) Pop() any {
	old := *q
	h := old[len(old)-1]
	old[len(old)-1] = held{}
	*q = old[:len(old)-1]
	return h
}
