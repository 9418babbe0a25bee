package observe

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vishvananda/netns"

	"github.com/dxsim/dxsim/lacp"
	"github.com/dxsim/dxsim/lacp/capture"
	"github.com/dxsim/dxsim/lacp/verify"
	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology"
	"github.com/dxsim/dxsim/topology/probe"
)

// MovePort observes the wrapped data plane's MovePort: a move into a LAG
// (from none or from another LAG, one interruption either way) as an
// associate, a release as a disassociate.
func (o *Observer) MovePort(ctx context.Context, connectionID, from, to string) (sim.StepTimes, error) {
	call := func(ctx context.Context) (sim.StepTimes, error) { return o.inner.MovePort(ctx, connectionID, from, to) }
	if to == "" {
		return o.observe(ctx, "disassociate", from, from, connectionID, call)
	}
	return o.observe(ctx, "associate", to, from, connectionID, call)
}

type stepFunc func(ctx context.Context) (sim.StepTimes, error)

// actorSource gives a LAG member's actor state on each side over time.
type actorSource interface {
	samples() []actorSample
	close()
}

// session is one observed operation.
type session struct {
	in        inputs
	aws, cust netns.NsHandle
	capt      *capture.Capture
	ver       *verify.Verifier
	pcap      *os.File
	recorded  chan struct{} // closed when every captured frame is written
	recErr    error
	prb       *probe.Probe
	actors    actorSource

	mu      sync.Mutex
	links   []sim.Event
	lacp    []actorSample // the member's actor state, from the data plane's LACP events
	emitted map[string]bool
}

func (o *Observer) observe(ctx context.Context, op, lagID, from, connID string, call stepFunc) (sim.StepTimes, error) {
	o.mu.Lock()
	records, device := o.records, o.devices[connID]
	o.mu.Unlock()
	requested := o.cfg.Now()
	if records != nil {
		// Only the operation the control plane is recording is observed:
		// a LAG's members being provisioned are not interruptions.
		r, ok := records.LastAssociation(connID)
		if !ok || r.Op != op || !r.Converged.IsZero() || r.Err != "" {
			return o.passThrough(ctx, op, lagID, connID, call)
		}
		requested = r.Requested
	}
	s, err := o.start(op, lagID, connID, device, from, requested)
	if err != nil {
		o.cfg.Logger.Warn("observing an operation", "op", op, "connection", connID, "err", err)
		steps, cerr := call(ctx)
		o.store(build(inputs{op: op, conn: connID, lag: lagID, backend: o.cfg.Backend, requested: requested, steps: steps,
			err: errors.Join(fmt.Errorf("not observed: %w", err), cerr)}))
		return steps, cerr
	}
	// The probe's frames arrive on the port (or the LAG it was in) until
	// the port goes down, and on the LAG (or the port) once the operation
	// is done.
	before, after := connID, connID
	if from != "" {
		before = from
	}
	if op == "associate" {
		after = lagID
	}
	if err := s.prb.Accept(before, after); err != nil {
		o.cfg.Logger.Warn("probe", "connection", connID, "err", err)
	}
	s.in.called = o.cfg.Now()
	steps, cerr := call(ctx)
	s.in.steps, s.in.err = steps, cerr
	if before != after && !steps.Down.IsZero() {
		s.prb.Retire(before, steps.Down)
	}
	if !steps.Changed.IsZero() {
		s.ver.MarkEnslaved(connID, steps.Changed)
	}
	if cerr == nil {
		o.setMember(op, lagID, connID)
	}
	o.wg.Add(1)
	go o.follow(s)
	return steps, cerr
}

// passThrough calls the wrapped data plane without observing, keeping track
// of where the connection is.
func (o *Observer) passThrough(ctx context.Context, op, lagID, connID string, call stepFunc) (sim.StepTimes, error) {
	steps, err := call(ctx)
	if err == nil {
		o.setMember(op, lagID, connID)
	}
	return steps, err
}

func (o *Observer) setMember(op, lagID, connID string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.member[connID] = ""
	if op == "associate" {
		o.member[connID] = lagID
	}
}

// start opens the capture and the probe, and waits (at most Config.Lead) for
// the probe's first frame, so the outage has a beginning.
func (o *Observer) start(op, lagID, connID, device, from string, requested time.Time) (*session, error) {
	if device == "" {
		return nil, fmt.Errorf("connection %s: device unknown", connID)
	}
	s := &session{
		in:       inputs{op: op, conn: connID, lag: lagID, backend: o.cfg.Backend, requested: requested},
		ver:      verify.New(verify.Config{}),
		recorded: make(chan struct{}),
		emitted:  map[string]bool{},
	}
	awsName, custName := topology.Namespaces(o.cfg.Prefix, device)
	var err error
	if s.aws, err = openNS(awsName); err != nil {
		return nil, err
	}
	if s.cust, err = openNS(custName); err != nil {
		s.aws.Close()
		return nil, err
	}
	if err := s.open(o, from); err != nil {
		s.close()
		return nil, err
	}
	o.mu.Lock()
	o.running[connID] = s
	if _, ok := o.finished[connID]; !ok {
		o.finished[connID] = make(chan struct{})
	}
	o.mu.Unlock()
	deadline := o.cfg.Now().Add(o.cfg.Lead)
	for o.cfg.Now().Before(deadline) {
		if _, ok := s.prb.Last(); ok {
			break
		}
		time.Sleep(time.Millisecond)
	}
	return s, nil
}

func (s *session) open(o *Observer, from string) error {
	name := fmt.Sprintf("dxsim-%s-%s-%s.pcapng", s.in.conn, s.in.op, s.in.requested.UTC().Format("20060102T150405.000"))
	f, err := os.Create(filepath.Join(o.cfg.PcapDir, strings.ReplaceAll(name, ":", "")))
	if err != nil {
		return fmt.Errorf("pcap: %w", err)
	}
	s.pcap, s.in.pcap = f, f.Name()
	s.capt, err = capture.Open(capture.Config{NetNS: s.aws, Ports: []string{s.in.conn}, Logger: o.cfg.Logger, Now: o.cfg.Now})
	if err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	go s.record()
	accept := s.in.conn
	if from != "" {
		accept = from
	}
	s.actors = startActors(s.aws, s.cust, s.in.conn, o.cfg.Now)
	s.prb, err = probe.Start(probe.Config{
		SendNS: s.cust, Port: s.in.conn, RecvNS: s.aws, Accept: []string{accept},
		Rate: o.cfg.ProbeRate, Now: o.cfg.Now, Logger: o.cfg.Logger,
	})
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	return nil
}

// record feeds captured frames to the verifier and the pcapng file.
func (s *session) record() {
	defer close(s.recorded)
	w := capture.NewPcapngWriter(s.pcap)
	for f := range s.capt.Frames() {
		_ = s.ver.ObserveFrame(verify.Frame{Time: f.Time, Port: f.Port, Direction: verify.Direction(f.Direction), Data: f.Data})
		if err := w.WriteFrame(f); err != nil && s.recErr == nil {
			s.recErr = err
		}
	}
	if err := w.Flush(); err != nil && s.recErr == nil {
		s.recErr = err
	}
}

func (s *session) addEvent(ev sim.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch ev.Kind {
	case sim.EventLink:
		s.links = append(s.links, ev)
	case sim.EventLACP:
		if ev.LAGID == "" || ev.LAGID == s.in.lag {
			s.lacp = append(s.lacp, actorSample{Time: ev.Time, Side: ev.Side, State: lacp.State(ev.LACPState)})
		}
	}
}

// snapshot builds the report from what has been seen so far.
func (s *session) snapshot(res *probe.Result) *Report {
	in := s.in
	s.mu.Lock()
	in.links = append([]sim.Event(nil), s.links...)
	in.actor = append([]actorSample(nil), s.lacp...)
	s.mu.Unlock()
	vr := s.ver.Report()
	for _, p := range vr.Ports {
		if p.Name == in.conn {
			in.lacp = p
		}
	}
	in.issues, in.probe = vr.Issues, res
	if s.actors != nil {
		// Two views of one state: the bond read directly, and the data
		// plane's events (the userspace engine's as they happen).
		in.actor = append(in.actor, s.actors.samples()...)
	}
	slices.SortStableFunc(in.actor, func(a, b actorSample) int { return a.Time.Compare(b.Time) })
	return build(in)
}

// done reports whether the operation has settled: the probe delivers again
// after the port came up and, on associate, after LACP has converged.
func (s *session) done(r *Report) bool {
	if s.in.err != nil {
		return true
	}
	last, ok := s.prb.Last()
	if !ok || s.in.steps.Up.IsZero() || !last.At.After(s.in.steps.Up) {
		return false
	}
	if s.in.op != "associate" {
		return true
	}
	// Settled once LACP has converged and a probe frame has arrived since:
	// a frame that arrived earlier may precede an outage still to come (a
	// Linux bond's first member passes frames while its mux waits, then
	// stops until it collects).
	m, converged := r.Milestone(MilestoneLACPConverged)
	return converged && last.At.After(m.Time)
}

// follow watches an operation until it settles, Config.Settle passes or the
// Observer closes, publishing milestones as they are reached, then finishes
// its report.
func (o *Observer) follow(s *session) {
	defer o.wg.Done()
	deadline := o.cfg.Now().Add(o.cfg.Settle)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		r := s.snapshot(nil)
		o.emit(s, r)
		if s.done(r) || !o.cfg.Now().Before(deadline) {
			break
		}
		select {
		case <-o.stop:
		case <-tick.C:
			continue
		}
		break
	}
	res := s.prb.Stop()
	s.close()
	r := s.snapshot(&res)
	if s.recErr != nil {
		r.Issues = append(r.Issues, "writing the pcap: "+s.recErr.Error())
	}
	o.emit(s, r)
	o.store(r)
}

// close stops the capture and the probe and releases the namespaces.
func (s *session) close() {
	if s.prb != nil {
		s.prb.Stop()
	}
	if s.actors != nil {
		s.actors.close()
	}
	if s.capt != nil {
		s.capt.Close()
		<-s.recorded
	}
	if s.pcap != nil {
		s.pcap.Close()
	}
	s.aws.Close()
	s.cust.Close()
}

// emit publishes the milestones of r not published before.
func (o *Observer) emit(s *session, r *Report) {
	for _, m := range r.Milestones {
		if s.emitted[m.Name] {
			continue
		}
		s.emitted[m.Name] = true
		m := m
		o.publish(Update{ConnectionID: s.in.conn, Op: s.in.op, Milestone: &m})
	}
}

// store keeps a finished report and tells whoever waits for it.
func (o *Observer) store(r *Report) {
	o.mu.Lock()
	o.reports[r.ConnectionID] = r
	if s := o.running[r.ConnectionID]; s != nil && s.in.requested.Equal(r.Requested) && s.in.op == r.Op {
		delete(o.running, r.ConnectionID)
	}
	if ch, ok := o.finished[r.ConnectionID]; ok {
		close(ch)
		delete(o.finished, r.ConnectionID)
	}
	o.mu.Unlock()
	o.publish(Update{ConnectionID: r.ConnectionID, Op: r.Op, Report: r})
}
