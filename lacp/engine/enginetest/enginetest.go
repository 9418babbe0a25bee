// Package enginetest wires lacp/engine Engines together back to back and
// runs them in virtual time, without sockets or root: the in-memory link a
// test (or a simulation that plays both ends of a LAG) needs.
package enginetest

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/dxsim/dxsim/lacp/engine"
)

// Epoch is where virtual time starts in Nets made by New.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// ErrNoProgress is returned when the Net cannot settle at one instant: the
// engines keep handing each other frames without time passing.
var ErrNoProgress = errors.New("enginetest: engines do not settle")

// maxStepsPerInstant bounds the deliveries at one instant.
const maxStepsPerInstant = 10000

// End is one end of a link: a port of an Engine.
type End struct {
	Engine *engine.Engine
	Port   uint16
}

// Frame is a PDU in flight or delivered.
type Frame struct {
	Sent, Delivered time.Time
	From, To        End
	Transmit        engine.Transmit
	Bytes           []byte // the frame on the wire, when the Net carries frames
}

// Record is an event with the engine it came from.
type Record struct {
	Engine *engine.Engine
	engine.Event
}

// Net is a set of engines and the links between their ports. Its clock is
// virtual: Run jumps from one deadline or delivery to the next.
type Net struct {
	// Now is the virtual time.
	Now time.Time
	// Frames, when true, carries Ethernet frames (AppendFrame, then
	// ReceiveFrame) rather than PDU values, exercising the codec both ways.
	Frames bool
	// Events collects every engine's events in order.
	Events []Record
	// Log, when set, sees every frame as it is delivered.
	Log func(Frame)

	engines  []*engine.Engine
	links    map[End]link
	inflight []Frame // by delivery time, then by sending order
	sendBuf  []engine.Transmit
	eventBuf []engine.Event
	errs     []error
}

type link struct {
	peer  End
	delay time.Duration
	up    bool
}

// New returns an empty Net at Epoch.
func New() *Net {
	return &Net{Now: Epoch, links: make(map[End]link)}
}

// Add puts engines in the Net. Engines must be added before they are linked.
func (n *Net) Add(es ...*engine.Engine) {
	for _, e := range es {
		if !slices.Contains(n.engines, e) {
			n.engines = append(n.engines, e)
		}
	}
}

// Connect links a and b with a one-way delay, and brings both ports' links
// up.
func (n *Net) Connect(a, b End, delay time.Duration) error {
	n.Add(a.Engine, b.Engine)
	if _, ok := n.links[a]; ok {
		return fmt.Errorf("enginetest: port %d already linked", a.Port)
	}
	if _, ok := n.links[b]; ok {
		return fmt.Errorf("enginetest: port %d already linked", b.Port)
	}
	n.links[a] = link{peer: b, delay: delay}
	n.links[b] = link{peer: a, delay: delay}
	return n.SetLink(a, true)
}

// SetLink takes the link at end a (and so both its ends) up or down, as
// pulling a cable would. Frames in flight on a link that goes down are lost.
func (n *Net) SetLink(a End, up bool) error {
	l, ok := n.links[a]
	if !ok {
		return fmt.Errorf("enginetest: port %d is not linked", a.Port)
	}
	l.up = up
	n.links[a] = l
	pl := n.links[l.peer]
	pl.up = up
	n.links[l.peer] = pl
	if !up {
		n.inflight = slices.DeleteFunc(n.inflight, func(f Frame) bool {
			return f.From == a || f.From == l.peer
		})
	}
	err := errors.Join(a.Engine.SetPortUp(n.Now, a.Port, up), l.peer.Engine.SetPortUp(n.Now, l.peer.Port, up))
	n.collect()
	return err
}

// Disconnect removes the link at end a: both ports go down and frames in
// flight are lost. A port that its engine no longer has (RemovePort) is
// skipped.
func (n *Net) Disconnect(a End) error {
	l, ok := n.links[a]
	if !ok {
		return fmt.Errorf("enginetest: port %d is not linked", a.Port)
	}
	delete(n.links, a)
	delete(n.links, l.peer)
	n.inflight = slices.DeleteFunc(n.inflight, func(f Frame) bool {
		return f.From == a || f.From == l.peer
	})
	var errs []error
	for _, end := range []End{a, l.peer} {
		if err := end.Engine.SetPortUp(n.Now, end.Port, false); err != nil && !errors.Is(err, engine.ErrUnknownPort) {
			errs = append(errs, err)
		}
	}
	n.collect()
	return errors.Join(errs...)
}

// Run advances virtual time to t, delivering frames and running every
// engine's timers on the way.
func (n *Net) Run(t time.Time) error {
	_, _, err := n.RunUntil(t, nil)
	return err
}

// RunFor advances virtual time by d.
func (n *Net) RunFor(d time.Duration) error { return n.Run(n.Now.Add(d)) }

// RunUntil advances virtual time until cond holds (checked after each
// instant) or until limit. It returns the instant cond first held and
// whether it did; with a nil cond it runs to limit.
func (n *Net) RunUntil(limit time.Time, cond func() bool) (time.Time, bool, error) {
	n.collect()
	if cond != nil && cond() {
		return n.Now, true, n.takeErr()
	}
	for {
		next, ok := n.next()
		if !ok || next.After(limit) {
			n.Now = limit
			for _, e := range n.engines {
				e.Advance(limit)
			}
			n.collect()
			if cond != nil && cond() {
				return n.Now, true, n.takeErr()
			}
			return n.Now, false, n.takeErr()
		}
		if err := n.instant(next); err != nil {
			return n.Now, false, err
		}
		if cond != nil && cond() {
			return n.Now, true, n.takeErr()
		}
	}
}

// instant delivers everything due at t and runs the engines until the
// instant settles.
func (n *Net) instant(t time.Time) error {
	n.Now = t
	for _, e := range n.engines {
		e.Advance(t)
	}
	n.collect()
	for steps := 0; len(n.inflight) > 0 && !n.inflight[0].Delivered.After(t); steps++ {
		if steps == maxStepsPerInstant {
			return fmt.Errorf("%w at %v", ErrNoProgress, t)
		}
		f := n.inflight[0]
		n.inflight = n.inflight[1:]
		n.deliver(f)
		n.collect()
	}
	return nil
}

func (n *Net) deliver(f Frame) {
	if n.Log != nil {
		n.Log(f)
	}
	var err error
	if n.Frames {
		err = f.To.Engine.ReceiveFrame(n.Now, f.To.Port, f.Bytes)
	} else if f.Transmit.Kind == engine.TransmitLACPDU {
		err = f.To.Engine.Receive(n.Now, f.To.Port, &f.Transmit.LACPDU)
	}
	if err != nil {
		n.errs = append(n.errs, err)
	}
}

// next is the earliest instant anything happens.
func (n *Net) next() (time.Time, bool) {
	var t time.Time
	if len(n.inflight) > 0 {
		t = n.inflight[0].Delivered
	}
	for _, e := range n.engines {
		if d, ok := e.NextDeadline(); ok && (t.IsZero() || d.Before(t)) {
			t = d
		}
	}
	return t, !t.IsZero()
}

// collect takes every engine's transmissions onto the links and its events
// into Events.
func (n *Net) collect() {
	for _, e := range n.engines {
		n.eventBuf = e.AppendEvents(n.eventBuf[:0])
		for _, ev := range n.eventBuf {
			n.Events = append(n.Events, Record{Engine: e, Event: ev})
		}
		n.sendBuf = e.AppendTransmits(n.sendBuf[:0])
		for _, tx := range n.sendBuf {
			from := End{Engine: e, Port: tx.Port}
			l, ok := n.links[from]
			if !ok || !l.up {
				continue
			}
			f := Frame{Sent: n.Now, Delivered: n.Now.Add(l.delay), From: from, To: l.peer, Transmit: tx}
			if n.Frames {
				b, err := tx.AppendFrame(nil)
				if err != nil {
					n.errs = append(n.errs, err)
					continue
				}
				f.Bytes = b
			}
			i, _ := slices.BinarySearchFunc(n.inflight, f.Delivered, func(g Frame, t time.Time) int {
				if g.Delivered.After(t) {
					return 1
				}
				return -1 // after every frame due at the same time: keep sending order
			})
			n.inflight = slices.Insert(n.inflight, i, f)
		}
	}
}

func (n *Net) takeErr() error {
	err := errors.Join(n.errs...)
	n.errs = n.errs[:0]
	return err
}
