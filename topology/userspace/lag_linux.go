package userspace

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/dxsim/dxsim/lacp/engine"
	"github.com/dxsim/dxsim/topology/afpacket"
)

// frameBuf holds any frame a veth or TAP passes, a 64 KiB
// segmentation-offload super-frame included.
const frameBuf = 65536 + 256

// frames lends the member and LAG readers their buffers: a lab's thousands
// of readers mostly wait, and hold none while they do.
var frames = afpacket.NewBuffers(frameBuf)

// lag is one LAG's TAP, its members and its control goroutine.
type lag struct {
	h   *Host
	cfg LAGConfig
	tap *tap

	// inputs (queued) and calls (handed over: the caller waits for them)
	// run on the control goroutine, which alone touches ctl and adds or
	// removes members.
	inputs  chan func(now time.Time) actions
	calls   chan func(now time.Time) actions
	ctl     control
	done    chan struct{}
	ctlDone chan struct{} // closed when the control goroutine has returned
	wg      sync.WaitGroup

	mu       sync.Mutex // guards members, minLinks, carrier, resuming, vlans
	members  map[string]*member
	minLinks int
	carrier  bool
	// resuming holds the carrier a resumed TAP came with while the
	// members rejoin, one by one, before the resumed engine tells their
	// state: losing it for that moment would forget the neighbours.
	resuming bool
	vlans    map[uint16]*vlanIf
	nextPort uint16

	dist atomic.Pointer[[]*member]         // distributing members, by name
	cp   atomic.Pointer[engine.Checkpoint] // the LACP state last worth a checkpoint
	born time.Time                         // the engine's and the link monitor's ticks count from here
}

func newLAG(h *Host, cfg LAGConfig, t *tap, ctl control, born time.Time) *lag {
	l := &lag{
		h: h, cfg: cfg, tap: t, ctl: ctl,
		inputs:   make(chan func(time.Time) actions, 64),
		calls:    make(chan func(time.Time) actions),
		done:     make(chan struct{}),
		ctlDone:  make(chan struct{}),
		members:  map[string]*member{},
		minLinks: cfg.MinLinks,
		vlans:    map[uint16]*vlanIf{},
		born:     born,
	}
	l.dist.Store(&[]*member{})
	l.wg.Add(2)
	go l.controlLoop()
	go l.readTAP()
	return l
}

// do runs fn on the control goroutine and waits for it. Once the control
// goroutine has taken fn, fn runs to the end even if the LAG is closing.
func (l *lag) do(fn func(now time.Time) (actions, error)) error {
	errc := make(chan error, 1)
	call := func(now time.Time) actions {
		a, err := fn(now)
		errc <- err
		return a
	}
	select {
	case l.calls <- call:
		return <-errc
	case <-l.done:
		return fmt.Errorf("%w: LAG %q was deleted", ErrNotFound, l.cfg.Name)
	}
}

// post queues fn for the control goroutine without waiting.
func (l *lag) post(fn func(now time.Time) actions) {
	select {
	case l.inputs <- fn:
	case <-l.done:
	}
}

func (l *lag) controlLoop() {
	defer l.wg.Done()
	defer close(l.ctlDone)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		l.arm(timer)
		select {
		case <-l.done:
			return
		case fn := <-l.inputs:
			l.apply(fn(l.h.cfg.Now()))
		case fn := <-l.calls:
			l.apply(fn(l.h.cfg.Now()))
		case <-timer.C:
			l.apply(l.ctl.advance(l.h.cfg.Now()))
		}
	}
}

func (l *lag) arm(t *time.Timer) {
	t.Stop()
	d := time.Hour
	if dl := l.ctl.deadline(); !dl.IsZero() {
		d = max(dl.Sub(l.h.cfg.Now()), 0)
	}
	t.Reset(d)
}

// apply takes in member states, then sends what control asked to send: a
// member collects before its LACPDUs say so, and stops distributing before
// they say it has (802.1AX 6.4.15, coupled control).
func (l *lag) apply(a actions) {
	if len(a.states) > 0 {
		l.applyStates(a.states)
	}
	if a.changed && l.h.cp != nil {
		l.cp.Store(l.ctl.checkpoint())
		l.h.changed()
	}
	for _, s := range a.send {
		l.mu.Lock()
		m := l.members[s.port]
		l.mu.Unlock()
		if m == nil {
			continue
		}
		if err := m.send(s.frame); err != nil && !errors.Is(err, syscall.ENETDOWN) {
			l.h.log.Debug("userspace: sending LACPDU", "lag", l.cfg.Name, "member", s.port, "err", err)
		}
	}
}

func (l *lag) applyStates(states []portState) {
	now := l.h.cfg.Now()
	l.mu.Lock()
	var events []Event
	for _, st := range states {
		m := l.members[st.port]
		if m == nil {
			continue
		}
		if m.actor != st.actor || m.partner != st.partner {
			events = append(events, Event{Time: now, Kind: EventMember, LAG: l.cfg.Name, Member: m.name, Actor: st.actor, Partner: st.partner})
		}
		m.actor, m.partner = st.actor, st.partner
		m.collecting.Store(st.collecting)
		m.collectingDist = st.collecting && st.distributing
	}
	events = append(events, l.redistributeLocked(now)...)
	l.mu.Unlock()
	for _, e := range events {
		l.h.emit(e)
	}
}

// redistributeLocked recomputes the distributing set and the carrier.
func (l *lag) redistributeLocked(now time.Time) []Event {
	var dist []*member
	for _, m := range l.members {
		if m.collectingDist {
			dist = append(dist, m)
		}
	}
	sort.Slice(dist, func(i, j int) bool { return dist[i].name < dist[j].name })
	carrier := len(dist) >= max(l.minLinks, 1) || (l.resuming && l.carrier)
	if !carrier {
		// Below its minimum links a LAG sends nothing, as a bond whose
		// carrier loss the kernel acts on at once does not.
		dist = nil
	}
	l.dist.Store(&dist)
	if carrier == l.carrier {
		return nil
	}
	l.carrier = carrier
	if err := l.h.setCarrier(l.tap, carrier); err != nil {
		l.h.log.Warn("userspace: LAG carrier", "lag", l.cfg.Name, "err", err)
	}
	// VLANs follow their parent's carrier, as 802.1Q devices do.
	for _, v := range l.vlans {
		v.setCarrier(l.h, carrier)
	}
	return []Event{{Time: now, Kind: EventCarrier, LAG: l.cfg.Name, Up: carrier}}
}

// distribute sends a frame out of one distributing member, chosen by its
// MAC pair. With none distributing the frame is dropped, as a bond does.
func (l *lag) distribute(frame []byte) {
	dist := *l.dist.Load()
	if len(dist) == 0 {
		return
	}
	m := dist[flowHash(frame)%uint32(len(dist))]
	_ = m.send(frame) // a member gone or down loses the frame
}

// readTAP distributes what the LAG's TAP sends.
func (l *lag) readTAP() {
	defer l.wg.Done()
	for {
		lent, n, err := l.tap.readLent(frames)
		if err != nil {
			if l.closed() {
				return
			}
			// The TAP's interface deleted by hand leaves its file failing
			// every read until the LAG is closed: wait, do not spin.
			l.h.log.Debug("userspace: LAG TAP read", "lag", l.cfg.Name, "err", err)
			if !pause(l.done) {
				return
			}
			continue
		}
		l.distribute((*lent)[:n])
		frames.Put(lent)
	}
}

func (l *lag) closed() bool {
	select {
	case <-l.done:
		return true
	default:
		return false
	}
}

func (l *lag) setMinLinks(n int) {
	l.mu.Lock()
	l.minLinks = n
	events := l.redistributeLocked(l.h.cfg.Now())
	l.mu.Unlock()
	for _, e := range events {
		l.h.emit(e)
	}
}

func (l *lag) status() LAGStatus {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := LAGStatus{Name: l.cfg.Name, Up: l.carrier, MinLinks: l.minLinks}
	for _, m := range l.members {
		s.Members = append(s.Members, MemberStatus{Name: m.name, Up: m.up, Actor: m.actor, Partner: m.partner})
	}
	sort.Slice(s.Members, func(i, j int) bool { return s.Members[i].Name < s.Members[j].Name })
	return s
}

// close stops the LAG, releases its members and removes its TAP.
func (l *lag) close() error { return l.h.closeLAGs([]*lag{l}, false) }

// stop ends the control goroutine and tells the member readers to stop; it
// returns the members, a final set once the control goroutine has returned
// (it alone adds them).
func (l *lag) stop() []*member {
	close(l.done)
	<-l.ctlDone
	l.mu.Lock()
	defer l.mu.Unlock()
	members := make([]*member, 0, len(l.members))
	for _, m := range l.members {
		close(m.done)
		members = append(members, m)
	}
	return members
}
