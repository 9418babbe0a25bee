package linkwatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// Handler receives a Watcher's link changes. Its methods are called on one
// goroutine, one at a time, in order; they must not call the Watcher's Stop.
type Handler interface {
	// Update is one link change as the kernel announced it.
	Update(netlink.LinkUpdate)
	// Resync is every link of the namespace, listed after a lost
	// subscription was replaced. Changes may have been missed before it: a
	// link the caller knows of that is not in the list is gone.
	Resync([]netlink.Link)
}

// DefaultReceiveBuffer is the subscription socket's receive buffer: room for
// a few thousand link messages, a lab's worth, between two reads.
const DefaultReceiveBuffer = 4 << 20

// Option tunes a Watcher.
type Option func(*options)

type options struct {
	rcvbuf  int
	backoff backoff
}

// WithReceiveBuffer sets the subscription socket's receive buffer in bytes
// (the kernel doubles it and keeps a floor of a few KiB). Tests make it tiny
// to overflow the subscription on purpose.
func WithReceiveBuffer(bytes int) Option { return func(o *options) { o.rcvbuf = bytes } }

// Watcher keeps a link subscription in one namespace alive and feeds its
// Handler. Stop ends it.
type Watcher struct {
	src     source
	log     *slog.Logger
	h       Handler
	backoff backoff

	stop     chan struct{}
	stopOnce sync.Once
	ended    chan struct{}
	resyncs  atomic.Uint64
}

// Watch subscribes to link changes in ns (0: the calling thread's namespace)
// and feeds h until Stop. It fails only if the first subscription does; later
// losses are repaired, logged on log and counted by Resyncs.
func Watch(ns netns.NsHandle, log *slog.Logger, h Handler, opts ...Option) (*Watcher, error) {
	o := options{rcvbuf: DefaultReceiveBuffer, backoff: defaultBackoff}
	for _, opt := range opts {
		opt(&o)
	}
	src, err := newKernelSource(ns, o.rcvbuf)
	if err != nil {
		return nil, err
	}
	return start(src, log, h, o.backoff)
}

func start(src source, log *slog.Logger, h Handler, b backoff) (*Watcher, error) {
	if log == nil {
		log = slog.Default()
	}
	w := &Watcher{
		src: src, log: log, h: h, backoff: b,
		stop:  make(chan struct{}),
		ended: make(chan struct{}),
	}
	s, err := w.subscribe()
	if err != nil {
		src.close()
		return nil, fmt.Errorf("linkwatch: subscribing to link changes: %w", err)
	}
	go w.run(s)
	return w, nil
}

// Stop ends the subscription and returns once the Handler has been called
// for the last time. It may be called more than once.
func (w *Watcher) Stop() {
	w.stopOnce.Do(func() { close(w.stop) })
	<-w.ended
}

// Resyncs counts the subscriptions lost and replaced, each followed by a
// Resync.
func (w *Watcher) Resyncs() uint64 { return w.resyncs.Load() }

// run delivers updates until Stop, replacing every subscription that ends
// on its own.
func (w *Watcher) run(s *subscription) {
	defer close(w.ended)
	defer w.src.close()
	var delay time.Duration
	for {
		if !w.deliver(s) {
			return
		}
		// A subscription that ended soon after it began may end the same way
		// again at once: wait longer each time, so that a loss that keeps
		// recurring is not retried in a tight loop.
		if time.Since(s.began) < w.backoff.stable {
			delay = w.backoff.next(delay)
		} else {
			delay = 0
		}
		w.log.Warn("link subscription lost: subscribing again and resyncing",
			"reason", s.reason(), "lived", time.Since(s.began).Round(time.Millisecond), "retry_in", delay)
		if !w.sleep(delay) {
			return
		}
		if s = w.resubscribe(&delay); s == nil {
			return
		}
	}
}

// deliver hands s's updates to the Handler until s ends (true) or the
// Watcher is stopped (false). Either way s is finished when it returns.
func (w *Watcher) deliver(s *subscription) bool {
	for {
		select {
		case u, ok := <-s.ch:
			if !ok {
				s.end()
				return true
			}
			w.h.Update(u)
		case <-w.stop:
			s.end()
			return false
		}
	}
}

// resubscribe subscribes again, lists the namespace's links and hands them
// to the Handler, backing off from *delay while either step fails. It
// returns nil if the Watcher is stopped first.
func (w *Watcher) resubscribe(delay *time.Duration) *subscription {
	for attempt := 1; ; attempt++ {
		s, links, err := w.attach()
		if err == nil {
			w.resyncs.Add(1)
			w.h.Resync(links)
			return s
		}
		*delay = w.backoff.next(*delay)
		lvl := slog.LevelDebug
		if attempt == 1 {
			lvl = slog.LevelWarn
		}
		w.log.Log(context.Background(), lvl, "link subscription: retrying", "attempt", attempt, "err", err, "retry_in", *delay)
		if !w.sleep(*delay) {
			return nil
		}
	}
}

// attach subscribes, then lists: a change made between the two is in the
// list or arrives on the subscription, or both.
func (w *Watcher) attach() (*subscription, []netlink.Link, error) {
	s, err := w.subscribe()
	if err != nil {
		return nil, nil, fmt.Errorf("subscribing: %w", err)
	}
	links, err := w.src.list()
	if err != nil {
		s.end()
		return nil, nil, fmt.Errorf("listing links: %w", err)
	}
	return s, links, nil
}

func (w *Watcher) subscribe() (*subscription, error) {
	s := &subscription{
		ch:    make(chan netlink.LinkUpdate, 256),
		done:  make(chan struct{}),
		began: time.Now(),
	}
	if err := w.src.subscribe(s.ch, s.done, s.report(w.log)); err != nil {
		return nil, err
	}
	return s, nil
}

// sleep waits d, or less if the Watcher is stopped: false then.
func (w *Watcher) sleep(d time.Duration) bool {
	if d <= 0 {
		select {
		case <-w.stop:
			return false
		default:
			return true
		}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-w.stop:
		return false
	case <-t.C:
		return true
	}
}

// subscription is one subscription's channel and what it reported.
type subscription struct {
	ch    chan netlink.LinkUpdate
	done  chan struct{}
	began time.Time

	mu  sync.Mutex
	err error // the last error the subscription reported
}

// report records the subscription's errors. The one it ends with comes last;
// others (a malformed message, a dump interrupted) are only logged.
func (s *subscription) report(log *slog.Logger) func(error) {
	return func(err error) {
		s.mu.Lock()
		s.err = err
		s.mu.Unlock()
		select {
		case <-s.done: // stopped: the socket was closed under the receive
		default:
			log.Debug("link subscription", "err", err)
		}
	}
}

func (s *subscription) reason() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		return errEnded
	}
	return s.err
}

// end releases the subscription's socket and waits for its receiver, which
// may be blocked sending on ch, to close ch.
func (s *subscription) end() {
	close(s.done)
	for range s.ch {
	}
}

var errEnded = errors.New("subscription ended without an error")

// backoff spaces out retries.
type backoff struct {
	min, max time.Duration
	// stable is how long a subscription must have lived for its loss to be
	// repaired at once.
	stable time.Duration
}

var defaultBackoff = backoff{min: 10 * time.Millisecond, max: 5 * time.Second, stable: time.Second}

// next is the wait after one of d.
func (b backoff) next(d time.Duration) time.Duration {
	if d < b.min {
		return b.min
	}
	return min(2*d, b.max)
}
