package engine

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/dxsim/dxsim/lacp"
)

// Errors of the Engine's methods. Callers branch on them with errors.Is.
var (
	ErrUnknownPort = errors.New("lacp engine: unknown port")
	ErrPortExists  = errors.New("lacp engine: port already exists")
	ErrInvalid     = errors.New("lacp engine: invalid configuration")
	// ErrMalformed is returned (wrapping the codec's error) for a frame or
	// PDU the engine dropped as malformed.
	ErrMalformed = errors.New("lacp engine: malformed PDU")
	// ErrNotLACP is returned for a well-formed frame the engine does not
	// take: not Slow Protocols, or a subtype other than LACP and Marker.
	ErrNotLACP = errors.New("lacp engine: not an LACPDU")
)

// maxEvents bounds the undrained event queue; older events are dropped first.
const maxEvents = 1 << 16

// maxPasses bounds how often Advance reruns ports at one instant. Each pass
// follows a change to other ports (an aggregator's Ready or active role);
// they settle in a few.
const maxPasses = 64

// Engine is an LACP System with its Aggregation Ports. It is not safe for
// concurrent use: a driver calls it from one goroutine.
type Engine struct {
	cfg Config
	log *slog.Logger

	now   time.Time // as the caller last said
	t     vtime     // now, as the timers count
	base  time.Time // engine time 0
	epoch uint64    // counts runs, to mark ports touched in the current one

	byNum  []*port // indexed by port number
	order  []*port // by port number
	aggs   []*aggregator
	active *aggregator

	aggsChanged bool
	holdUntil   vtime // Config.SelectionDelay: no COLLECTING_DISTRIBUTING before
	holdDone    bool

	// The Linux timing mode's (tick.go).
	tickBase    vtime // tick 0: when the first port was added, or the bond's tick before (Config.TickFrom)
	pendingTick int64 // a tick every port must run at, 0 for none
	due         []*port

	timers  timerHeap
	dirty   []*port
	spare   []*port
	touched []*port

	out           []Transmit
	events        []Event
	droppedEvents uint64
}

// New returns an Engine for cfg's System, with no ports.
func New(cfg Config) (*Engine, error) {
	if cfg.System == (lacp.SystemID{}) {
		return nil, fmt.Errorf("%w: System must be set", ErrInvalid)
	}
	if cfg.Tick < 0 {
		return nil, fmt.Errorf("%w: negative Tick %v", ErrInvalid, cfg.Tick)
	}
	cfg = cfg.withDefaults()
	return &Engine{cfg: cfg, log: cfg.Logger, holdDone: true}, nil
}

// System is the Engine's System ID.
func (e *Engine) System() (priority uint16, id lacp.SystemID) {
	return e.cfg.SystemPriority, e.cfg.System
}

// AddPort adds a port, down, with the Config's administrative defaults.
func (e *Engine) AddPort(now time.Time, pc PortConfig) error {
	if pc.Number == 0 {
		return fmt.Errorf("%w: port number 0", ErrInvalid)
	}
	if int(pc.Number) < len(e.byNum) && e.byNum[pc.Number] != nil {
		return fmt.Errorf("%w: %d", ErrPortExists, pc.Number)
	}
	if pc.MAC != nil && len(pc.MAC) != 6 {
		return fmt.Errorf("%w: port %d MAC %v is not 6 bytes", ErrInvalid, pc.Number, pc.MAC)
	}
	e.setNow(now)
	if e.ticking() {
		e.run() // the ticks before it
		if e.tickBase == never {
			// Tick 0: the last of the bond's ticks at or before now, or
			// now.
			e.tickBase = e.t
			if from := e.cfg.TickFrom; !from.IsZero() && !from.After(e.now) {
				e.tickBase -= vtime(e.now.Sub(from) % e.cfg.Tick)
			}
		}
	}
	if len(e.order) == 0 && e.cfg.SelectionDelay > 0 {
		// Linux arms its aggregator selection timer when a bond gets its
		// first port (bond_3ad_initialize).
		e.holdUntil, e.holdDone = e.timer(e.cfg.SelectionDelay), false
	}
	p := &port{
		e:   e,
		num: pc.Number,
		admin: PortAdmin{
			Key:      e.cfg.Key,
			Priority: e.cfg.PortPriority,
			Passive:  e.cfg.Passive,
			Slow:     e.cfg.Slow,
		},
		rx:           RxInitialize,
		selected:     Unselected,
		mux:          MuxDetached,
		actorChurn:   churnMachine{kind: &actorChurnKind, state: ActorChurnMonitor},
		partnerChurn: churnMachine{kind: &partnerChurnKind, state: PartnerChurnMonitor},
		periodic:     NoPeriodic,
		heapIndex:    -1,
	}
	copy(p.mac[:], pc.MAC)
	p.actor = lacp.PortInfo{
		SystemPriority: e.cfg.SystemPriority,
		System:         e.cfg.System,
		Port:           pc.Number,
		State:          lacp.StateAggregation,
	}
	p.applyAdmin()
	if int(p.num) >= len(e.byNum) {
		e.byNum = append(e.byNum, make([]*port, int(p.num)+1-len(e.byNum))...)
	}
	e.byNum[p.num] = p
	i, _ := slices.BinarySearchFunc(e.order, p.num, func(q *port, n uint16) int { return int(q.num) - int(n) })
	e.order = slices.Insert(e.order, i, p)
	// BEGIN: the receive machine starts in INITIALIZE, the mux in DETACHED
	// (which asks to transmit once the port is up).
	p.enterRx(RxInitialize, ReasonBegin)
	p.ntt = true
	if e.ticking() {
		// bond_3ad_bind_slave: the machines start at the next tick, the
		// transmit counter at 3.
		p.begin, p.txBase = true, e.tickIndex()
		e.requestTick()
		e.schedule(p)
		return nil
	}
	e.markDirty(p)
	e.run()
	return nil
}

// RemovePort takes a port out of the Engine, detaching it first.
func (e *Engine) RemovePort(now time.Time, n uint16) error {
	p, err := e.port(n)
	if err != nil {
		return err
	}
	e.setNow(now)
	if e.ticking() {
		e.run()
		p.unbind()
	}
	p.setSelected(Unselected, ReasonPortDown)
	if p.mux != MuxDetached {
		p.enterMux(MuxDetached, ReasonPortDown)
	}
	p.leaveAggregator()
	if p.heapIndex >= 0 {
		heap.Remove(&e.timers, p.heapIndex)
	}
	e.byNum[n] = nil
	e.order = slices.DeleteFunc(e.order, func(q *port) bool { return q == p })
	e.dirty = slices.DeleteFunc(e.dirty, func(q *port) bool { return q == p })
	if e.ticking() && e.aggsChanged {
		e.chooseActive() // at once, as Linux's unbind does
	}
	e.run()
	return nil
}

// Advance runs every machine whose timers have run out by now. Call it at
// NextDeadline, or whenever convenient: it does nothing early.
func (e *Engine) Advance(now time.Time) {
	e.setNow(now)
	e.run()
}

// NextDeadline is when the Engine next needs Advance; false when no timer
// runs (every port down, or passive with a passive Partner).
func (e *Engine) NextDeadline() (time.Time, bool) {
	d := e.nextDue()
	if d == never {
		return time.Time{}, false
	}
	return e.wall(d), true
}

// AppendTransmits appends the PDUs the Engine wants sent, oldest first, to
// dst and forgets them.
func (e *Engine) AppendTransmits(dst []Transmit) []Transmit {
	dst = append(dst, e.out...)
	clear(e.out)
	e.out = e.out[:0]
	return dst
}

// AppendEvents appends the events since the last call, oldest first, to
// dst and forgets them. At most 65536 are kept between calls, the newest;
// DroppedEvents counts the rest.
func (e *Engine) AppendEvents(dst []Event) []Event {
	dst = append(dst, e.events...)
	e.events = e.events[:0]
	return dst
}

// DroppedEvents counts events lost because AppendEvents was not called.
func (e *Engine) DroppedEvents() uint64 { return e.droppedEvents }

// Port returns a snapshot of port n.
func (e *Engine) Port(n uint16) (PortStatus, error) {
	p, err := e.port(n)
	if err != nil {
		return PortStatus{}, err
	}
	return p.status(), nil
}

// Ports returns a snapshot of every port, by port number.
func (e *Engine) Ports() []PortStatus {
	return e.AppendPorts(make([]PortStatus, 0, len(e.order)))
}

// AppendPorts appends a snapshot of every port, by port number, to dst:
// Ports without the allocation, for a driver that polls after each call.
func (e *Engine) AppendPorts(dst []PortStatus) []PortStatus {
	for _, p := range e.order {
		dst = append(dst, p.status())
	}
	return dst
}

// AppendDistributing appends the numbers of the ports the bond may send on
// (Actor.Distributing), in port order, to dst.
func (e *Engine) AppendDistributing(dst []uint16) []uint16 {
	for _, p := range e.order {
		if p.actor.State.Has(lacp.StateDistributing) {
			dst = append(dst, p.num)
		}
	}
	return dst
}

// Aggregators returns a snapshot of the aggregators in use, by number.
func (e *Engine) Aggregators() []AggregatorStatus {
	s := make([]AggregatorStatus, 0, len(e.aggs))
	for _, a := range e.aggs {
		as := AggregatorStatus{
			ID:         a.id,
			Active:     a.active,
			Individual: a.lag.individual,
			Key:        a.lag.actorKey,
			Partner: lacp.PortInfo{
				SystemPriority: a.lag.partnerPriority,
				System:         a.lag.partnerSystem,
				Key:            a.lag.partnerKey,
			},
		}
		for _, p := range a.ports {
			as.Ports = append(as.Ports, p.num)
		}
		slices.Sort(as.Ports)
		s = append(s, as)
	}
	slices.SortFunc(s, func(a, b AggregatorStatus) int { return int(a.ID) - int(b.ID) })
	return s
}

func (e *Engine) port(n uint16) (*port, error) {
	if int(n) >= len(e.byNum) || e.byNum[n] == nil {
		return nil, fmt.Errorf("%w: %d", ErrUnknownPort, n)
	}
	return e.byNum[n], nil
}

// setNow moves the Engine's clock; it never goes back.
func (e *Engine) setNow(now time.Time) {
	if e.base.IsZero() {
		e.base = now.Add(-time.Second)
	}
	if now.After(e.now) {
		e.now = now
		e.t = vtime(now.Sub(e.base))
	}
}

func (e *Engine) holding() bool { return !e.holdDone && e.t < e.holdUntil }

func (e *Engine) markDirty(p *port) {
	if e.ticking() {
		e.requestTick()
		return
	}
	if !p.dirty {
		p.dirty = true
		e.dirty = append(e.dirty, p)
	}
}

func (e *Engine) emit(ev Event) {
	if len(e.events) >= maxEvents {
		// Nobody is draining: drop the older half at once.
		n := copy(e.events, e.events[maxEvents/2:])
		e.events = e.events[:n]
		e.droppedEvents += maxEvents / 2
	}
	e.events = append(e.events, ev)
	if e.log.Enabled(context.Background(), slog.LevelDebug) {
		e.log.Debug("lacp", "port", ev.Port, "machine", ev.Machine.String(), "from", ev.From.String(),
			"to", ev.To.String(), "reason", ev.Reason.String(), "aggregator", ev.Aggregator)
	}
}
