package observe

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/bus"
	"github.com/dxsim/dxsim/topology"
	"github.com/dxsim/dxsim/topology/bgp"
	"github.com/dxsim/dxsim/topology/probe"
)

// Source is the data plane an Observer watches; a *topology.DataPlane is
// one. It announces each move it makes, with the operation and request time
// the control plane passed down, and publishes its link and LACP events.
type Source interface {
	OnMove(topology.MoveHook) (remove func())
	SubscribeEvents(limit int) *bus.Sub[sim.Event]
}

// Config configures an Observer. Zero fields take defaults.
type Config struct {
	// Backend names the data plane's backend, for the reports.
	Backend string
	// PcapDir is where each operation's capture is written as pcapng;
	// os.TempDir() when empty.
	PcapDir string
	// ProbeRate is probe frames a second; probe.DefaultRate when zero.
	ProbeRate int
	// Settle is the longest an operation is watched after the port is up
	// again, waiting for LACP to converge and the probe to be delivered;
	// 60 s when zero.
	Settle time.Duration
	Now    func() time.Time // time.Now when nil
	Logger *slog.Logger     // discarded when nil
}

func (c *Config) setDefaults() {
	if c.PcapDir == "" {
		c.PcapDir = os.TempDir()
	}
	if c.ProbeRate <= 0 {
		c.ProbeRate = probe.DefaultRate
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

// Observer observes every associate and disassociate that a data plane
// carries out, through the data plane's move hook and event bus. It is safe
// for concurrent use.
type Observer struct {
	cfg Config

	mu       sync.Mutex
	closed   bool
	running  map[string]*session
	reports  map[string]*sim.Interruption
	finished map[string]chan struct{} // closed when the connection's running report is stored
	updates  bus.Bus[sim.InterruptionUpdate]

	events        *bus.Sub[sim.Event]
	bgp           *bus.Sub[bgp.Mark]             // nil until FollowBGP
	recentBGP     []bgp.Mark                     // the last minute's marks, for observations that start after them
	routedTargets RoutedTargets                  // nil until ProbeRouted
	failovers     map[string]*failoverSession    // running, by test ID
	foReports     map[string]*sim.FailoverReport // by test ID
	removeHook    func()
	stop          chan struct{}
	once          sync.Once
	wg            sync.WaitGroup
}

// New starts observing src's moves. Close stops it.
func New(src Source, cfg Config) *Observer {
	cfg.setDefaults()
	o := &Observer{
		cfg: cfg, running: map[string]*session{}, reports: map[string]*sim.Interruption{},
		failovers: map[string]*failoverSession{}, foReports: map[string]*sim.FailoverReport{},
		finished: map[string]chan struct{}{}, stop: make(chan struct{}),
		events: src.SubscribeEvents(0),
	}
	o.removeHook = src.OnMove(o.moving)
	o.wg.Add(1)
	go o.route()
	return o
}

// Report returns the last finished report for a connection.
func (o *Observer) Report(connectionID string) (*sim.Interruption, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	r, ok := o.reports[connectionID]
	return r, ok
}

// Wait waits until the connection's running observation (if any) has
// finished, and returns its last report.
func (o *Observer) Wait(ctx context.Context, connectionID string) (*sim.Interruption, error) {
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

// Subscribe delivers milestones as they are reached and finished reports,
// from now on, until the subscription is closed; a subscriber that lets
// more than limit wait is cut off (0: no limit).
func (o *Observer) Subscribe(limit int) (<-chan sim.InterruptionUpdate, func()) {
	sub := o.updates.Subscribe(limit)
	return sub.C(), sub.Close
}

// Close stops every running observation (finishing its report with what was
// seen) and ends the subscriptions. It does not close the data plane.
func (o *Observer) Close() error {
	o.once.Do(func() {
		o.removeHook()
		o.mu.Lock()
		o.closed = true
		o.mu.Unlock()
		close(o.stop)
		o.events.Close()
		o.mu.Lock()
		if o.bgp != nil {
			o.bgp.Close()
		}
		o.mu.Unlock()
		o.wg.Wait()
		o.updates.Close()
	})
	return nil
}

// FollowBGP gives the observer the VIFs' BGP, as a bgp.Controller's marks:
// a VIF that moves with an observed connection has its session's reset,
// re-establishment and restored routes in the report. The observer closes
// sub when it closes.
func (o *Observer) FollowBGP(sub *bus.Sub[bgp.Mark]) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed || o.bgp != nil {
		sub.Close()
		return
	}
	o.bgp = sub
	o.wg.Add(1)
	go o.routeBGP(sub)
}

// keepBGP is how long marks are kept for observations that start after
// them (the control plane may announce a VIF's move before the data plane
// moves the port).
const keepBGP = time.Minute

func (o *Observer) routeBGP(sub *bus.Sub[bgp.Mark]) {
	defer o.wg.Done()
	for m := range sub.C() {
		o.mu.Lock()
		cut := 0
		for cut < len(o.recentBGP) && m.Time.Sub(o.recentBGP[cut].Time) > keepBGP {
			cut++
		}
		o.recentBGP = append(o.recentBGP[cut:], m)
		running := make([]*session, 0, len(o.running))
		for _, s := range o.running {
			running = append(running, s)
		}
		failovers := make([]*failoverSession, 0, len(o.failovers))
		for _, fs := range o.failovers {
			failovers = append(failovers, fs)
		}
		o.mu.Unlock()
		for _, s := range running {
			s.addMark(m)
		}
		for _, fs := range failovers {
			fs.addMark(m)
		}
	}
}

// route gives the data plane's link and LACP events to the observation of
// their connection.
func (o *Observer) route() {
	defer o.wg.Done()
	for ev := range o.events.C() {
		if ev.Kind != sim.EventLink && ev.Kind != sim.EventLACP {
			continue
		}
		o.mu.Lock()
		s := o.running[ev.ConnectionID]
		o.mu.Unlock()
		if s != nil {
			s.addEvent(ev)
		}
	}
}
