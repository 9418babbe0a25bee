package observe

import (
	"cmp"
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
	"github.com/dxsim/dxsim/lacp/verify"
	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology"
	"github.com/dxsim/dxsim/topology/bgp"
	"github.com/dxsim/dxsim/topology/capture"
	"github.com/dxsim/dxsim/topology/probe"
)

// moving is the data plane's move hook: a move that is an associate's (into
// a LAG, from none or from another LAG: one interruption either way) or a
// disassociate's is observed; others (a LAG's members released as it is
// deleted, ports put in place) are not. The capture and the probe start
// here, before the port goes down; the returned function takes the move's
// steps and follows the operation until it settles.
func (o *Observer) moving(m topology.Move) func(sim.StepTimes, error) {
	if m.Op != sim.OpAssociate && m.Op != sim.OpDisassociate {
		return nil
	}
	requested := m.Requested
	if requested.IsZero() {
		requested = o.cfg.Now()
	}
	lag := m.To
	if m.Op == sim.OpDisassociate {
		lag = cmp.Or(m.Found, m.From)
	}
	in := inputs{op: m.Op, conn: m.ConnectionID, lag: lag, backend: o.cfg.Backend, requested: requested}
	s, err := o.start(in, m)
	if err != nil {
		o.cfg.Logger.Warn("observing an operation", "op", m.Op.String(), "connection", m.ConnectionID, "err", err)
		return func(steps sim.StepTimes, cerr error) {
			in.steps, in.err = steps, errors.Join(fmt.Errorf("not observed: %w", err), cerr)
			o.store(build(in))
		}
	}
	// The probe's frames arrive on the port (or the LAG it was in) until
	// the port goes down, and on the LAG (or the port) once the operation
	// is done.
	before, after := cmp.Or(m.Found, m.ConnectionID), m.ConnectionID
	if m.Op == sim.OpAssociate {
		after = m.To
	}
	if err := s.prb.Accept(before, after); err != nil {
		o.cfg.Logger.Warn("probe", "connection", m.ConnectionID, "err", err)
	}
	s.in.called = o.cfg.Now()
	return func(steps sim.StepTimes, cerr error) {
		s.in.steps, s.in.err = steps, cerr
		if before != after && !steps.Down.IsZero() {
			s.prb.Retire(before, steps.Down)
		}
		if !steps.Changed.IsZero() {
			s.ver.MarkEnslaved(m.ConnectionID, steps.Changed)
		}
		o.mu.Lock()
		defer o.mu.Unlock()
		if o.closed {
			// Closing: finish with what was seen, in the background.
			go o.finish(s)
			return
		}
		o.wg.Add(1)
		go func() {
			defer o.wg.Done()
			o.follow(s)
		}()
	}
}

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
	routed    *probe.Routed // nil when there is nothing routed to probe
	routedIn  *RoutedTarget
	routedRes *probe.Result // once it has stopped

	mu       sync.Mutex
	links    []sim.Event
	lacp     []actorSample       // the member's actor state, from the data plane's LACP events
	bgpMoves map[string]bgp.Mark // the VIFs that moved with the connection
	bgpMarks []bgp.Mark          // the sessions' states since the request
	emitted  map[string]bool
}

// addMark keeps a VIF's move with this connection, and every session state
// since the request.
func (s *session) addMark(m bgp.Mark) {
	if m.Time.Before(s.in.requested) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case m.From == "":
		s.bgpMarks = append(s.bgpMarks, m)
	case m.From == s.in.conn || m.To == s.in.conn:
		s.bgpMoves[m.VIFID] = m
	}
}

// start opens the capture and the probe on the move's namespaces. The
// probe's first frame has been sent when it returns, so the outage has a
// beginning, and nothing here waits for the network.
func (o *Observer) start(in inputs, m topology.Move) (*session, error) {
	s := &session{
		in:       in,
		ver:      verify.New(verify.Config{}),
		recorded: make(chan struct{}),
		emitted:  map[string]bool{},
		bgpMoves: map[string]bgp.Mark{},
	}
	var err error
	if s.aws, err = dupNS(m.AWS); err != nil {
		return nil, fmt.Errorf("the device's namespace: %w", err)
	}
	if s.cust, err = dupNS(m.Customer); err != nil {
		s.aws.Close()
		return nil, fmt.Errorf("the customer router's namespace: %w", err)
	}
	if err := s.open(o, m.Found); err != nil {
		s.close()
		return nil, err
	}
	o.startRouted(s)
	o.mu.Lock()
	o.running[in.conn] = s
	for _, m := range o.recentBGP {
		s.addMark(m)
	}
	if _, ok := o.finished[in.conn]; !ok {
		o.finished[in.conn] = make(chan struct{})
	}
	o.mu.Unlock()
	return s, nil
}

func (s *session) open(o *Observer, from string) error {
	name := fmt.Sprintf("dxsim-%s-%s-%s.pcapng", s.in.conn, s.in.op.String(), s.in.requested.UTC().Format("20060102T150405.000"))
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
	w := capture.NewPcapngWriter(s.pcap, s.in.conn)
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
func (s *session) snapshot(res *probe.Result) *sim.Interruption {
	in := s.in
	s.mu.Lock()
	in.links = append([]sim.Event(nil), s.links...)
	in.actor = append([]actorSample(nil), s.lacp...)
	for _, m := range s.bgpMoves {
		in.bgpMoves = append(in.bgpMoves, m)
	}
	in.bgpMarks = append([]bgp.Mark(nil), s.bgpMarks...)
	s.mu.Unlock()
	vr := s.ver.Report()
	for _, p := range vr.Ports {
		if p.Name == in.conn {
			in.lacp = p
		}
	}
	in.issues, in.probe = vr.Issues, res
	in.routed, in.routedRes = s.routedIn, s.routedRes
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
func (s *session) done(r *sim.Interruption) bool {
	if s.in.err != nil {
		return true
	}
	last, ok := s.prb.Last()
	if !ok || s.in.steps.Up.IsZero() || !last.At.After(s.in.steps.Up) {
		return false
	}
	if s.in.op != sim.OpAssociate {
		return true
	}
	// Settled once LACP has converged and a probe frame has arrived since:
	// a frame that arrived earlier may precede an outage still to come (a
	// Linux bond's first member passes frames while its mux waits, then
	// stops until it collects).
	m, converged := r.Milestone(sim.MilestoneLACPConverged)
	if !converged || !last.At.After(m.Time) {
		return false
	}
	// And each moved VIF whose session was reset is established again,
	// with its routes back if it had any.
	for _, b := range r.BGP {
		if b.DownMS != nil && b.EstablishedMS == nil {
			return false
		}
		if b.RestoredMS == nil && (b.AmazonPrefixes > 0 || b.CustomerPrefixes > 0) {
			return false
		}
	}
	return s.routedBack(r)
}

// follow watches an operation until it settles, Config.Settle passes or the
// Observer closes, publishing milestones as they are reached, then finishes
// its report.
func (o *Observer) follow(s *session) {
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
	o.finish(s)
}

// finish stops the capture and the probe and stores the report.
func (o *Observer) finish(s *session) {
	res := s.prb.Stop()
	if s.routed != nil {
		rr := s.routed.Stop()
		s.routedRes = &rr
	}
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
	if s.routed != nil {
		s.routed.Stop()
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
func (o *Observer) emit(s *session, r *sim.Interruption) {
	for _, m := range r.Milestones {
		key := m.Name + "/" + m.VIF
		if s.emitted[key] {
			continue
		}
		s.emitted[key] = true
		m := m
		o.updates.Publish(sim.InterruptionUpdate{ConnectionID: s.in.conn, Op: s.in.op, Milestone: &m})
	}
}

// store keeps a finished report and tells whoever waits for it.
func (o *Observer) store(r *sim.Interruption) {
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
	o.updates.Publish(sim.InterruptionUpdate{ConnectionID: r.ConnectionID, Op: r.Op, Report: r})
}
