package observe

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology"
	"github.com/dxsim/dxsim/topology/probe"
)

// Records gives the control plane's record of a connection's last
// association; a *sim.Service is one. The Observer takes the request's time
// from it.
type Records interface {
	LastAssociation(connectionID string) (sim.AssociationRecord, bool)
}

// Config configures an Observer. Zero fields take defaults.
type Config struct {
	// Prefix is the wrapped data plane's namespace prefix;
	// topology.DefaultPrefix when empty.
	Prefix string
	// Backend names the wrapped data plane's backend, for the reports.
	Backend string
	// PcapDir is where each operation's capture is written as pcapng;
	// os.TempDir() when empty.
	PcapDir string
	// ProbeRate is probe frames a second; probe.DefaultRate when zero.
	ProbeRate int
	// Lead is the longest an operation waits for the probe's first frame
	// before the port is taken down; 500 ms when zero.
	Lead time.Duration
	// Settle is the longest an operation is watched after the port is up
	// again, waiting for LACP to converge and the probe to be delivered;
	// 60 s when zero.
	Settle time.Duration
	// Records gives the time each request was accepted; without it, the
	// time the data plane was called.
	Records Records
	Now     func() time.Time // time.Now when nil
	Logger  *slog.Logger     // discarded when nil
}

func (c *Config) setDefaults() {
	if c.Prefix == "" {
		c.Prefix = topology.DefaultPrefix
	}
	if c.PcapDir == "" {
		c.PcapDir = os.TempDir()
	}
	if c.ProbeRate <= 0 {
		c.ProbeRate = probe.DefaultRate
	}
	if c.Lead <= 0 {
		c.Lead = 500 * time.Millisecond
	}
	if c.Settle <= 0 {
		c.Settle = 60 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Update is what an Observer tells subscribers: a milestone as it happens,
// or the finished Report.
type Update struct {
	ConnectionID string
	Op           string
	Milestone    *Milestone // a milestone just reached
	Report       *Report    // the operation's finished report
}

// Observer is a sim.DataPlane that observes every attach and detach of the
// data plane it wraps. It is safe for concurrent use.
type Observer struct {
	inner sim.DataPlane
	cfg   Config

	mu       sync.Mutex
	records  Records
	devices  map[string]string // connection → its device
	member   map[string]string // connection → its LAG; "" when standalone
	running  map[string]*session
	reports  map[string]*Report
	finished map[string]chan struct{} // closed when the connection's running report is stored
	subs     map[chan Update]struct{}

	events chan sim.Event
	stop   chan struct{}
	once   sync.Once
	wg     sync.WaitGroup
}

var _ sim.DataPlane = (*Observer)(nil)

// New wraps inner. Close stops observing; it does not close inner.
func New(inner sim.DataPlane, cfg Config) *Observer {
	cfg.setDefaults()
	o := &Observer{
		inner: inner, cfg: cfg, records: cfg.Records,
		devices: map[string]string{}, member: map[string]string{},
		running: map[string]*session{}, reports: map[string]*Report{},
		finished: map[string]chan struct{}{}, subs: map[chan Update]struct{}{},
		events: make(chan sim.Event, 256), stop: make(chan struct{}),
	}
	o.wg.Add(1)
	go o.forward()
	return o
}

// SetRecords sets where request times come from, for an Observer made
// before the control plane that uses it.
func (o *Observer) SetRecords(r Records) {
	o.mu.Lock()
	o.records = r
	o.mu.Unlock()
}

// Report returns the last finished report for a connection.
func (o *Observer) Report(connectionID string) (*Report, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	r, ok := o.reports[connectionID]
	return r, ok
}

// Wait waits until the connection's running observation (if any) has
// finished, and returns its last report.
func (o *Observer) Wait(ctx context.Context, connectionID string) (*Report, error) {
	o.mu.Lock()
	done := o.finished[connectionID]
	o.mu.Unlock()
	if done != nil {
		select {
		case <-done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	r, ok := o.Report(connectionID)
	if !ok {
		return nil, &NotObservedError{ConnectionID: connectionID}
	}
	return r, nil
}

// Subscribe returns a channel of updates and a function that ends the
// subscription. Updates are dropped for a subscriber whose buffer is full.
func (o *Observer) Subscribe(buf int) (<-chan Update, func()) {
	ch := make(chan Update, buf)
	o.mu.Lock()
	o.subs[ch] = struct{}{}
	o.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			o.mu.Lock()
			defer o.mu.Unlock()
			if _, ok := o.subs[ch]; ok {
				delete(o.subs, ch)
				close(ch)
			}
		})
	}
}

func (o *Observer) publish(u Update) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for ch := range o.subs {
		select {
		case ch <- u:
		default:
		}
	}
}

// Close stops every running observation (finishing its report with what was
// seen) and event delivery. It does not close the wrapped data plane.
func (o *Observer) Close() error {
	o.once.Do(func() {
		close(o.stop)
		o.wg.Wait()
		o.mu.Lock()
		for ch := range o.subs {
			close(ch)
			delete(o.subs, ch)
		}
		o.mu.Unlock()
	})
	return nil
}

// Events delivers the wrapped data plane's events.
func (o *Observer) Events() <-chan sim.Event { return o.events }

// forward passes the wrapped data plane's events on, giving link and LACP
// events to the observation of their connection.
func (o *Observer) forward() {
	defer o.wg.Done()
	defer close(o.events)
	in := o.inner.Events()
	for {
		select {
		case <-o.stop:
			return
		case ev, ok := <-in:
			if !ok {
				return
			}
			if ev.Kind == sim.EventLink || ev.Kind == sim.EventLACP {
				o.mu.Lock()
				s := o.running[ev.ConnectionID]
				o.mu.Unlock()
				if s != nil {
					s.addEvent(ev)
				}
			}
			select {
			case o.events <- ev:
			case <-o.stop:
				return
			}
		}
	}
}

// CreatePort passes through, noting the port's device.
func (o *Observer) CreatePort(ctx context.Context, p sim.PortSpec) error {
	if err := o.inner.CreatePort(ctx, p); err != nil {
		return err
	}
	o.notePort(p)
	return nil
}

// DeletePort passes through.
func (o *Observer) DeletePort(ctx context.Context, id string) error {
	return o.inner.DeletePort(ctx, id)
}

// CreateLAG passes through.
func (o *Observer) CreateLAG(ctx context.Context, l sim.LAGSpec) error {
	return o.inner.CreateLAG(ctx, l)
}

// DeleteLAG passes through.
func (o *Observer) DeleteLAG(ctx context.Context, id string) error {
	return o.inner.DeleteLAG(ctx, id)
}

// SetMinLinks passes through.
func (o *Observer) SetMinLinks(ctx context.Context, id string, n int) error {
	return o.inner.SetMinLinks(ctx, id, n)
}

// CreateVLAN passes through.
func (o *Observer) CreateVLAN(ctx context.Context, v sim.VLANSpec) error {
	return o.inner.CreateVLAN(ctx, v)
}

// MoveVLAN passes through.
func (o *Observer) MoveVLAN(ctx context.Context, id, parent string) error {
	return o.inner.MoveVLAN(ctx, id, parent)
}

// DeleteVLAN passes through.
func (o *Observer) DeleteVLAN(ctx context.Context, id string) error {
	return o.inner.DeleteVLAN(ctx, id)
}

// Reconcile passes through, noting each port's device and LAG.
func (o *Observer) Reconcile(ctx context.Context, s sim.Snapshot) ([]sim.Drift, error) {
	for _, p := range s.Ports {
		o.notePort(p)
	}
	return o.inner.Reconcile(ctx, s)
}

func (o *Observer) notePort(p sim.PortSpec) {
	o.mu.Lock()
	o.devices[p.ConnectionID] = p.DeviceID
	o.member[p.ConnectionID] = p.LAGID
	o.mu.Unlock()
}
