package topology

import (
	"sync"
	"time"

	"github.com/dxsim/dxsim/lacp"
	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/bus"
)

// eventSink turns observed states into sim.Events, one per change: it
// remembers the last state of each link and LAG member and reports only
// differences, on the data plane's event bus. Publishing never blocks the
// watchers.
type eventSink struct {
	bus bus.Bus[sim.Event]
	now func() time.Time

	mu      sync.Mutex
	carrier map[linkKey]linkState
	actor   map[linkKey]lacp.State
}

type linkKey struct{ ns, name string }

// linkState is an interface's last state and the event that reports it.
type linkState struct {
	up bool
	e  sim.Event
}

func newEventSink(now func() time.Time) *eventSink {
	return &eventSink{
		now:     now,
		carrier: map[linkKey]linkState{},
		actor:   map[linkKey]lacp.State{},
	}
}

// link records a port's or LAG interface's carrier and reports a change.
// gone says the interface was deleted: a port that was up goes down.
func (s *eventSink) link(k linkKey, e sim.Event, up, gone bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	last, known := s.carrier[k]
	was := last.up
	if gone {
		delete(s.carrier, k)
		if !known || !was {
			return
		}
		up = false
	} else {
		s.carrier[k] = linkState{up: up, e: e}
		if known && was == up {
			return
		}
		if !known && !up {
			return // a new interface starts down: nothing has changed yet
		}
	}
	e.Up = up
	s.send(e)
}

// vanished reports as gone every interface of ns the sink knows of that is
// not in seen: one deleted while nobody was listening.
func (s *eventSink) vanished(ns string, seen map[string]bool) {
	s.mu.Lock()
	var gone []linkKey
	var events []sim.Event
	for k, c := range s.carrier {
		if k.ns == ns && !seen[k.name] {
			gone = append(gone, k)
			events = append(events, c.e)
		}
	}
	s.mu.Unlock()
	for i, k := range gone {
		s.link(k, events[i], false, true)
	}
}

// member records a LAG member's actor state and reports a change.
func (s *eventSink) member(k linkKey, e sim.Event, st lacp.State) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if was, ok := s.actor[k]; ok && was == st {
		return
	}
	s.actor[k] = st
	e.LACPState = uint8(st)
	s.send(e)
}

// forgetMembers drops the members of a namespace not in seen, so that a
// member that rejoins is reported afresh.
func (s *eventSink) forgetMembers(ns string, seen map[string]bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.actor {
		if k.ns == ns && !seen[k.name] {
			delete(s.actor, k)
		}
	}
}

func (s *eventSink) send(e sim.Event) {
	e.Time = s.now()
	s.bus.Publish(e)
}
