// Package bus is dxsim's one typed fan-out: the data plane's link and LACP
// events, the observer's milestones and reports, and the control plane's
// state changes each go out on a Bus to every subscriber.
//
// A publisher never blocks and a subscriber never silently loses a message:
// each subscriber has its own queue, drained into its channel by its own
// goroutine, in publish order. A subscriber that falls further behind than
// the limit it asked for is cut off instead (its channel is closed and Err
// says why), so one stuck reader can neither stall the data plane nor grow
// memory without bound, and it knows it missed something.
package bus

import (
	"errors"
	"fmt"
	"sync"
)

// ErrClosed is a subscription's Err once the bus or the subscription was
// closed.
var ErrClosed = errors.New("bus: closed")

// Bus fans messages of one type out to subscribers. The zero value is ready
// to use; it is safe for concurrent use.
type Bus[T any] struct {
	mu     sync.Mutex
	subs   map[*Sub[T]]struct{}
	closed bool
}

// Sub is one subscription.
type Sub[T any] struct {
	bus   *Bus[T]
	limit int
	c     chan T

	mu      sync.Mutex
	queue   []T
	wake    chan struct{} // signalled when queue grows or the sub ends
	ended   bool
	discard bool // ended without delivering what is queued
	err     error
	drainD  chan struct{}
}

// Subscribe returns a subscription to every message published from now on.
// limit is how many messages may wait undelivered before the subscriber is
// cut off; 0 means no limit (for a consumer that must see everything, such
// as the control plane applying the data plane's events).
func (b *Bus[T]) Subscribe(limit int) *Sub[T] {
	s := &Sub[T]{bus: b, limit: limit, c: make(chan T), wake: make(chan struct{}, 1), drainD: make(chan struct{})}
	b.mu.Lock()
	if b.subs == nil {
		b.subs = map[*Sub[T]]struct{}{}
	}
	if b.closed {
		s.ended, s.err = true, ErrClosed
	} else {
		b.subs[s] = struct{}{}
	}
	b.mu.Unlock()
	go s.drain()
	return s
}

// Publish gives v to every subscriber. It never blocks.
func (b *Bus[T]) Publish(v T) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		if !s.push(v) {
			delete(b.subs, s)
		}
	}
}

// Subscribers counts the live subscriptions.
func (b *Bus[T]) Subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}

// Close ends every subscription once it has delivered what was published
// before; later subscriptions end at once.
func (b *Bus[T]) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for s := range b.subs {
		s.end(ErrClosed, false)
		delete(b.subs, s)
	}
}

// C delivers the messages, in publish order. It is closed when the
// subscription ends; Err then says why.
func (s *Sub[T]) C() <-chan T { return s.c }

// Err is nil while the subscription runs; ErrClosed after Close or the
// bus's Close; an overflow error if the subscriber fell too far behind.
func (s *Sub[T]) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close ends the subscription at once, discarding what it has not
// delivered. It is safe to call more than once.
func (s *Sub[T]) Close() {
	s.bus.mu.Lock()
	delete(s.bus.subs, s)
	s.bus.mu.Unlock()
	s.end(ErrClosed, true)
	<-s.drainD
}

// push queues v; it reports false when the subscription has ended (now, by
// overflowing, or before).
func (s *Sub[T]) push(v T) bool {
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return false
	}
	if s.limit > 0 && len(s.queue) >= s.limit {
		s.mu.Unlock()
		s.end(fmt.Errorf("bus: subscriber cut off: %d messages undelivered", s.limit), true)
		return false
	}
	s.queue = append(s.queue, v)
	s.mu.Unlock()
	s.signal()
	return true
}

// end ends the subscription with err; discard drops what is queued.
func (s *Sub[T]) end(err error, discard bool) {
	s.mu.Lock()
	if !s.ended {
		s.ended, s.err = true, err
	}
	if discard {
		s.queue, s.discard = nil, true
	}
	s.mu.Unlock()
	s.signal()
}

func (s *Sub[T]) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// drain delivers the queue into C, one message at a time, until the
// subscription ends and its queue is empty (or is discarded).
func (s *Sub[T]) drain() {
	defer close(s.drainD)
	defer close(s.c)
	var next T
	have := false
	for {
		s.mu.Lock()
		if s.discard {
			s.mu.Unlock()
			return
		}
		if !have && len(s.queue) > 0 {
			next, have = s.queue[0], true
			var zero T
			s.queue[0] = zero
			s.queue = s.queue[1:]
		}
		ended := s.ended
		s.mu.Unlock()
		switch {
		case have:
			select {
			case s.c <- next:
				have = false
			case <-s.wake: // something to look at: maybe a discarding end
			}
		case ended:
			return
		default:
			<-s.wake
		}
	}
}
