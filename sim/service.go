package sim

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dxsim/dxsim/sim/bus"
)

// Config configures a Service. Zero fields take defaults.
type Config struct {
	Region    string     // default us-east-1
	Catalogue *Catalogue // default DefaultCatalogue()
	Quotas    Quotas     // default DefaultQuotas()
	Schedule  *Schedule  // with no data plane; default DefaultSchedule()
	DataPlane DataPlane  // nil: states move on Schedule
	Store     Store      // default MemoryStore
	Clock     Clock      // default SystemClock
	Rand      io.Reader  // ID source; default crypto/rand
	Log       *slog.Logger
}

// Service is the Direct Connect control plane. It is safe for concurrent use.
//
// Every mutation runs under one lock: its rules are checked against the
// state, its changes are committed to the store, and only then is it
// acknowledged. Data-plane calls run after the commit and outside that
// lock, one at a time in commit order (see sequencer), so a slow link never
// blocks readers or the data plane's event delivery.
type Service struct {
	region   string
	cat      *Catalogue
	quotas   Quotas
	schedule Schedule
	dp       DataPlane
	store    Store
	clock    Clock
	rand     io.Reader
	log      *slog.Logger

	mu    sync.RWMutex
	state *State
	next  time.Time // earliest schedule deadline; zero when none
	// purgeAt is when the earliest deleted object stops being described;
	// zero when unknown (none, or not looked at yet).
	purgeAt time.Time
	rr      map[string]int
	recs    map[string]*AssociationRecord

	turns sequencer // orders data-plane calls as their mutations committed
	seq   uint64    // the last intent's sequence number

	// connOrder is the connections' IDs in order, as last sorted; see
	// connsInOrder.
	connOrder atomic.Pointer[[]string]

	events bus.Bus[StateChange]
	hist   history
	live   sessions // BGP sessions as the data plane reports them
	stop   context.CancelFunc
	done   chan struct{}
}

// New loads the state from cfg.Store and starts consuming the data plane's
// events. Close stops it.
func New(cfg Config) (*Service, error) {
	s := &Service{
		region: cfg.Region, cat: cfg.Catalogue, quotas: cfg.Quotas, dp: cfg.DataPlane,
		store: cfg.Store, clock: cfg.Clock, rand: cfg.Rand, log: cfg.Log,
		rr: map[string]int{}, recs: map[string]*AssociationRecord{}, done: make(chan struct{}),
	}
	if s.region == "" {
		s.region = "us-east-1"
	}
	if s.cat == nil {
		s.cat = DefaultCatalogue()
	}
	if err := s.cat.Validate(); err != nil {
		return nil, err
	}
	if s.quotas == (Quotas{}) {
		s.quotas = DefaultQuotas()
	}
	s.schedule = DefaultSchedule()
	if cfg.Schedule != nil {
		s.schedule = *cfg.Schedule
	}
	if s.schedule.Deleting <= 0 {
		s.schedule.Deleting = DefaultSchedule().Deleting
	}
	if s.schedule.Retain <= 0 {
		s.schedule.Retain = DefaultSchedule().Retain
	}

	if s.schedule.Converge <= 0 {
		s.schedule.Converge = DefaultSchedule().Converge
	}
	if s.store == nil {
		s.store = MemoryStore{}
	}
	if s.clock == nil {
		s.clock = SystemClock{}
	}
	s.hist.start = s.clock.Now()
	if s.rand == nil {
		s.rand = defaultRand
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	st, err := s.store.Load()
	if err != nil {
		return nil, fmt.Errorf("loading state: %w", err)
	}
	s.state = st
	if st.Gone == nil {
		st.Gone = map[string]*Gone{}
	}
	for id, r := range st.Records {
		s.recs[id] = r
	}
	st.Records = nil
	s.recomputeNext()
	// Resume device placement where it stood, so a restart does not pile
	// new connections onto each location's first device.
	for _, c := range st.Connections {
		if c.Kind != KindHosted {
			s.rr[c.Location]++
		}
	}
	for _, l := range st.LAGs {
		s.rr[l.Location]++
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	if s.dp != nil {
		if drift, err := s.dp.Reconcile(ctx, s.snapshot()); err != nil {
			s.log.Warn("reconciling the data plane", "err", err)
		} else {
			for _, d := range drift {
				s.log.Info("data plane drift", "object", d.ObjectID, "problem", d.Problem, "action", d.Action)
			}
		}
		go s.consume(ctx)
		pending := st.Pending
		st.Pending = nil
		for _, in := range pending {
			s.seq = max(s.seq, in.Seq)
		}
		s.recover(ctx, pending)
	} else {
		close(s.done)
		s.dropPending(st)
	}
	return s, nil
}

// dropPending marks done the intents of a state last served with a data
// plane: with none there are no links to bring in line.
func (s *Service) dropPending(st *State) {
	var b Batch
	for _, in := range st.Pending {
		b.Done = append(b.Done, in.Seq)
	}
	st.Pending = nil
	if len(b.Done) > 0 {
		if err := s.store.Commit(b); err != nil {
			s.log.Warn("dropping unfinished data-plane intents", "err", err)
		}
	}
}

// Close stops event processing and closes subscriptions. It closes neither
// the store nor the data plane, which the caller opened.
func (s *Service) Close() error {
	s.stop()
	<-s.done
	s.events.Close()
	s.live.bus.Close()
	return nil
}

// Region is the Region the service answers for.
func (s *Service) Region() string { return s.region }

// Catalogue returns the locations the service offers.
func (s *Service) Catalogue() *Catalogue { return s.cat }

// Subscribe returns a channel of state changes and a function that ends the
// subscription. A subscriber that lets more than buf changes wait is cut
// off: its channel closes early, rather than silently missing some.
func (s *Service) Subscribe(buf int) (<-chan StateChange, func()) {
	sub := s.events.Subscribe(buf)
	return sub.C(), sub.Close
}

// LastAssociation returns the record of a connection's last associate or
// disassociate.
func (s *Service) LastAssociation(connectionID string) (AssociationRecord, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.recs[connectionID]
	if !ok {
		return AssociationRecord{}, false
	}
	out := *r
	out.Events = append([]Event(nil), r.Events...)
	return out, true
}

// KeepInterruption stores an observer's finished report with the association
// record of the operation it measured, so that a restart keeps it. A report
// of an operation that is no longer the connection's last (a newer one was
// accepted since, or the connection is gone) is not kept; kept says so.
func (s *Service) KeepInterruption(r *Interruption) (kept bool, err error) {
	err = s.mutate(func(t *txn) error {
		rec := s.recs[r.ConnectionID]
		if rec == nil || rec.Op != r.Op || !rec.Requested.Equal(r.Requested) {
			return nil
		}
		rec.Interruption, kept = r, true
		t.keep(rec)
		return nil
	})
	return kept, err
}

// Interruption returns the observer's report of a connection's last
// associate or disassociate, once it has finished.
func (s *Service) Interruption(connectionID string) (*Interruption, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.recs[connectionID]
	if !ok || r.Interruption == nil {
		return nil, false
	}
	return r.Interruption, true
}

// mutate runs fn as one transaction: on error, or if the store refuses the
// commit, the state is left as it was.
func (s *Service) mutate(fn func(t *txn) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mutateLocked(fn)
}

func (s *Service) mutateLocked(fn func(t *txn) error) error {
	t := newTxn(s.state, s.clock.Now())
	s.advance(t)
	s.purge(t)
	if err := fn(t); err != nil {
		t.rollback()
		return err
	}
	if b := t.batch(); !b.Empty() {
		if err := s.store.Commit(b); err != nil {
			t.rollback()
			return serverErr(fmt.Errorf("committing state: %w", err))
		}
	}
	for _, r := range t.recs {
		s.recs[r.ConnectionID] = r // only once the change is committed
	}
	if len(t.order) > 0 { // deadlines move only with the objects
		s.recomputeNext()
	}
	for _, c := range t.changes {
		s.hist.add(c)
		s.events.Publish(c)
	}
	for _, f := range t.faults {
		s.events.Publish(StateChange{Time: f.Time, ID: f.Fault.Target(), Fault: &f})
	}
	return nil
}

// read runs fn with the state locked for reading, after moving any states
// whose schedule has come due.
func (s *Service) read(fn func(st *State) error) error {
	s.mu.RLock()
	due := !s.next.IsZero() && !s.clock.Now().Before(s.next)
	s.mu.RUnlock()
	if due {
		if err := s.mutate(func(*txn) error { return nil }); err != nil {
			return err
		}
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return fn(s.state)
}

// handOff trades the state lock for a turn at the data plane: it takes a
// ticket while holding s.mu (so turns follow commit order), releases s.mu,
// and waits for its turn. The caller holds s.mu; it calls the returned
// function when its data-plane calls are done.
func (s *Service) handOff() func() {
	n := s.turns.take()
	s.mu.Unlock()
	s.turns.wait(n)
	return s.turns.done
}

func (s *Service) newID(prefix string) (string, error) {
	for {
		id, err := newID(prefix, s.rand)
		if err != nil {
			return "", serverErr(err)
		}
		_, c := s.state.Connections[id]
		_, l := s.state.LAGs[id]
		_, v := s.state.VIFs[id]
		_, g := s.state.Gone[id]
		if !c && !l && !v && !g {
			return id, nil
		}
	}
}

// DeviceTag is the tag that places a new connection or LAG on a device of
// its choice ("dxsim:device" = "EqDC2-…", one of the location's devices):
// how a lab reaches a second device on purpose, to exercise the rule that a
// LAG's members share one device.
const DeviceTag = "dxsim:device"

// place chooses the device a new connection or LAG of account at loc lands
// on: the one its DeviceTag names; else the device where the account already
// has a LAG (else a connection) at that location, the newest, so that a LAG
// and a connection ordered one after the other can be associated, as
// automation expects; else the location's devices in turn.
func (s *Service) place(st *State, account string, loc Location, tags []Tag) (string, error) {
	for _, t := range tags {
		if t.Key != DeviceTag {
			continue
		}
		if !slices.Contains(loc.Devices, t.Value) {
			return "", clientErr(RuleInvalidArgument, "Tag %s=%s names no device of %s; its devices are %s.", DeviceTag, t.Value, loc.Code, strings.Join(loc.Devices, ", "))
		}
		return t.Value, nil
	}
	var newest, newestLAG placed
	for _, l := range st.LAGs {
		if l.Owner == account && l.Location == loc.Code && l.State != StateDeleted {
			newestLAG = newestLAG.or(placed{l.ID, l.Device, l.Created})
		}
	}
	for _, c := range st.Connections {
		if c.Owner == account && c.Location == loc.Code && c.Kind != KindHosted && c.State != StateDeleted {
			newest = newest.or(placed{c.ID, c.Device, c.Created})
		}
	}
	switch {
	case newestLAG.device != "":
		return newestLAG.device, nil
	case newest.device != "":
		return newest.device, nil
	}
	i := s.rr[loc.Code]
	s.rr[loc.Code] = i + 1
	return loc.Devices[i%len(loc.Devices)], nil
}

func (s *Service) snapshot() Snapshot {
	var snap Snapshot
	for _, c := range s.state.Connections {
		switch c.Kind {
		case KindDedicated, KindInterconnect:
			snap.Ports = append(snap.Ports, portSpec(c))
		case KindHosted:
			snap.VLANs = append(snap.VLANs, VLANSpec{ID: c.ID, ParentID: c.ParentID, VLAN: c.VLAN})
		}
	}
	for _, l := range s.state.LAGs {
		snap.LAGs = append(snap.LAGs, *lagSpec(l))
	}
	for _, v := range s.state.VIFs {
		snap.VLANs = append(snap.VLANs, vlanSpec(v))
	}
	for _, f := range sortedFaults(s.state) {
		if f.Connection != "" {
			snap.Faults = append(snap.Faults, *f)
		}
	}
	return snap
}

func portSpec(c *Connection) PortSpec {
	return PortSpec{ConnectionID: c.ID, DeviceID: c.Device, Location: c.Location, Bandwidth: c.Bandwidth, LAGID: c.LAGID}
}

// vlanSpec is a VIF's VLAN: its live BGP peers' addresses, the first
// peer's first.
func vlanSpec(v *VIF) VLANSpec {
	s := VLANSpec{ID: v.ID, ParentID: v.ConnectionID, VLAN: v.VLAN}
	for _, p := range v.peers() {
		if !p.live() || p.AmazonAddress == "" || p.CustomerAddress == "" {
			continue
		}
		switch {
		case s.AmazonAddress == "":
			s.AmazonAddress, s.CustomerAddress = p.AmazonAddress, p.CustomerAddress
		case s.AmazonAddress2 == "":
			s.AmazonAddress2, s.CustomerAddress2 = p.AmazonAddress, p.CustomerAddress
		}
	}
	return s
}

func lagSpec(l *LAG) *LAGSpec {
	return &LAGSpec{LAGID: l.ID, DeviceID: l.Device, Location: l.Location, MinLinks: l.MinimumLinks}
}

// ref returns a pointer to a copy of v.
func ref[T any](v T) *T { return &v }

// placed is an object on a device, for choosing the newest.
type placed struct {
	id, device string
	created    time.Time
}

// or is the newer of p and q (by creation, then ID, so the choice never
// depends on map order).
func (p placed) or(q placed) placed {
	if p.device == "" || q.created.After(p.created) || (q.created.Equal(p.created) && compareIDs(q.id, p.id) > 0) {
		return q
	}
	return p
}
