package engine_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dxsim/dxsim/lacp"
	"github.com/dxsim/dxsim/lacp/engine"
	"github.com/dxsim/dxsim/lacp/engine/enginetest"
)

// A fresh link between two active engines is usable both ways once each
// side has waited Aggregate_Wait_Time after selecting (which it does when
// the other's first PDU arrives, one delay in) and heard the other's
// Synchronization (one more delay): 2 s + 2 delays.
func TestFreshLinkConvergesAfterAggregateWait(t *testing.T) {
	for _, tc := range []struct {
		delay  time.Duration
		frames bool
	}{
		{0, false},
		{5 * time.Millisecond, false},
		{250 * time.Millisecond, true},
	} {
		t.Run(fmt.Sprintf("delay=%v/frames=%v", tc.delay, tc.frames), func(t *testing.T) {
			a, b := newEngine(t, sysA, 1, nil), newEngine(t, sysB, 1, nil)
			net := enginetest.New()
			net.Frames = tc.frames
			pair(t, net, a, b, 1, tc.delay)
			took := runUntil(t, net, time.Minute, bothWays(a, b, 1))
			if want := engine.AggregateWaitTime + 2*tc.delay; took != want {
				t.Errorf("converged after %v, want %v", took, want)
			}
			sa, sb := status(t, a, 1), status(t, b, 1)
			const usable = lacp.StateActivity | lacp.StateTimeout | lacp.StateAggregation |
				lacp.StateSynchronization | lacp.StateCollecting | lacp.StateDistributing
			if sa.Actor.State != usable || sb.Actor.State != usable {
				t.Errorf("actor states %v, %v; want %v", sa.Actor.State, sb.Actor.State, usable)
			}
			// Each side has recorded the other's Actor as its Partner.
			run(t, net, 3*time.Second)
			sa, sb = status(t, a, 1), status(t, b, 1)
			if sa.Partner != sb.Actor || sb.Partner != sa.Actor {
				t.Errorf("partners do not echo actors:\nA actor %v partner %v\nB actor %v partner %v", sa.Actor, sa.Partner, sb.Actor, sb.Partner)
			}
			if sa.Receive != engine.RxCurrent || sa.Periodic != engine.FastPeriodic {
				t.Errorf("A receive %v periodic %v", sa.Receive, sa.Periodic)
			}
			checkInvariants(t, a)
			checkInvariants(t, b)
		})
	}
}

// A member added to a LAG that is already up takes the same 2 s + 2 delays
// and does not disturb the members already distributing.
func TestLaterMemberJoinsWithoutDisturbingOthers(t *testing.T) {
	const delay = 3 * time.Millisecond
	a, b := newEngine(t, sysA, 2, nil), newEngine(t, sysB, 2, nil)
	net := enginetest.New()
	pair(t, net, a, b, 1, delay)
	runUntil(t, net, time.Minute, bothWays(a, b, 1))
	run(t, net, 10*time.Second)

	joined := net.Now
	connect(t, net, a, b, 2, delay)
	took := runUntil(t, net, time.Minute, bothWays(a, b, 1, 2))
	if want := engine.AggregateWaitTime + 2*delay; took != want {
		t.Errorf("second member converged after %v, want %v", took, want)
	}
	if ev, ok := findEvent(net, a, 1, engine.MachineMux, engine.MuxAttached, joined); ok {
		t.Errorf("first member left COLLECTING_DISTRIBUTING: %v", ev)
	}
	if ev, ok := findEvent(net, b, 1, engine.MachineMux, engine.MuxAttached, joined); ok {
		t.Errorf("first member left COLLECTING_DISTRIBUTING on B: %v", ev)
	}
	for _, e := range []*engine.Engine{a, b} {
		aggs := e.Aggregators()
		if len(aggs) != 1 || len(aggs[0].Ports) != 2 || !aggs[0].Active {
			t.Errorf("aggregators %+v, want one active with both ports", aggs)
		}
	}
}

func TestFourPortsOneAggregator(t *testing.T) {
	a, b := newEngine(t, sysA, 4, nil), newEngine(t, sysB, 4, nil)
	net := enginetest.New()
	pair(t, net, a, b, 4, time.Millisecond)
	took := runUntil(t, net, time.Minute, bothWays(a, b, 1, 2, 3, 4))
	if want := engine.AggregateWaitTime + 2*time.Millisecond; took != want {
		t.Errorf("converged after %v, want %v", took, want)
	}
	for name, e := range map[string]*engine.Engine{"A": a, "B": b} {
		aggs := e.Aggregators()
		if len(aggs) != 1 {
			t.Fatalf("%s: %d aggregators, want 1: %+v", name, len(aggs), aggs)
		}
		agg := aggs[0]
		if !agg.Active || agg.Individual || fmt.Sprint(agg.Ports) != "[1 2 3 4]" || agg.Key != 15 {
			t.Errorf("%s: aggregator %+v", name, agg)
		}
		if got := fmt.Sprint(e.AppendDistributing(nil)); got != "[1 2 3 4]" {
			t.Errorf("%s: distributing on %s", name, got)
		}
		checkInvariants(t, e)
	}
	if sys := a.Aggregators()[0].Partner.System; sys != sysB {
		t.Errorf("A's aggregator partner %v, want %v", sys, sysB)
	}
}

// A port whose key differs from its LAG's ends up in an aggregator of its
// own, which is not the bond's active one: neither side uses it, while the
// rest of the LAG works. Fixing the key brings it in.
func TestWrongKeyPreventsAggregation(t *testing.T) {
	a, b := newEngine(t, sysA, 4, nil), newEngine(t, sysB, 4, nil)
	adm, err := b.PortAdmin(4)
	if err != nil {
		t.Fatal(err)
	}
	adm.Key = 99
	if err := b.SetPortAdmin(enginetest.Epoch, 4, adm); err != nil {
		t.Fatal(err)
	}
	net := enginetest.New()
	pair(t, net, a, b, 4, time.Millisecond)
	runUntil(t, net, time.Minute, bothWays(a, b, 1, 2, 3))
	run(t, net, 2*time.Minute)
	for name, e := range map[string]*engine.Engine{"A": a, "B": b} {
		if !usable(e, 1, 2, 3) {
			t.Errorf("%s: ports 1-3 not usable", name)
		}
		s := status(t, e, 4)
		if s.Collecting() || s.Distributing() || s.Actor.State.Has(lacp.StateSynchronization) || s.AggregatorActive {
			t.Errorf("%s: wrong-key port %+v", name, s)
		}
		if s.Aggregator == status(t, e, 1).Aggregator {
			t.Errorf("%s: wrong-key port shares aggregator %d", name, s.Aggregator)
		}
		checkInvariants(t, e)
	}

	adm.Key = 15
	if err := b.SetPortAdmin(net.Now, 4, adm); err != nil {
		t.Fatal(err)
	}
	took := runUntil(t, net, time.Minute, bothWays(a, b, 1, 2, 3, 4))
	// B's PDU with the new key reaches A after a delay; both then wait.
	if want := engine.AggregateWaitTime + 2*time.Millisecond; took != want {
		t.Errorf("port joined after %v, want %v", took, want)
	}
}

func TestPassivePassiveNeverConverges(t *testing.T) {
	passive := func(c *engine.Config) { c.Passive = true }
	a, b := newEngine(t, sysA, 2, passive), newEngine(t, sysB, 2, passive)
	net := enginetest.New()
	pair(t, net, a, b, 2, time.Millisecond)
	if at, ok, err := net.RunUntil(net.Now.Add(10*time.Minute), func() bool {
		return usable(a, 1) || usable(b, 1) || usable(a, 2) || usable(b, 2)
	}); err != nil || ok {
		t.Fatalf("passive pair converged at %v (err %v)", at, err)
	}
	for _, e := range []*engine.Engine{a, b} {
		for _, s := range e.Ports() {
			if s.Counters.TxLACPDUs != 0 || s.Receive != engine.RxDefaulted || s.Periodic != engine.NoPeriodic {
				t.Errorf("passive port %d: %+v", s.Number, s)
			}
		}
		if _, ok := e.NextDeadline(); ok {
			t.Error("a passive engine with passive partners still has timers running")
		}
	}
}

// An active port talks a passive one into the LAG: the passive side selects
// when the first PDU arrives (one delay), the active side when the passive
// side's answer arrives (two delays); the active side's Synchronization
// reaches the passive side one more delay after its wait: 2 s + 3 delays.
func TestActivePassiveConverges(t *testing.T) {
	const delay = 10 * time.Millisecond
	a := newEngine(t, sysA, 1, nil)
	b := newEngine(t, sysB, 1, func(c *engine.Config) { c.Passive = true })
	net := enginetest.New()
	pair(t, net, a, b, 1, delay)
	took := runUntil(t, net, time.Minute, bothWays(a, b, 1))
	if want := engine.AggregateWaitTime + 3*delay; took != want {
		t.Errorf("converged after %v, want %v", took, want)
	}
	if s := status(t, b, 1); s.Actor.State.Has(lacp.StateActivity) || !s.Partner.State.Has(lacp.StateActivity) {
		t.Errorf("passive side %+v", s)
	}
}

// lastDelivery returns when the last frame from `from` reached the other end.
type deliveries struct{ last map[enginetest.End]time.Time }

func watch(net *enginetest.Net) *deliveries {
	d := &deliveries{last: make(map[enginetest.End]time.Time)}
	net.Log = func(f enginetest.Frame) { d.last[f.From] = f.Delivered }
	return d
}

// A Partner that goes silent is timed out: with short timeouts the port
// expires 3 s after the last LACPDU and falls back to defaulted 3 s later;
// with long timeouts (the Actor asks for them) after 90 s, then 3 s.
func TestSilentPartnerTimesOut(t *testing.T) {
	for _, tc := range []struct {
		name    string
		slow    bool
		timeout time.Duration
	}{
		{"short", false, engine.ShortTimeoutTime},
		{"long", true, engine.LongTimeoutTime},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const delay = 2 * time.Millisecond
			a := newEngine(t, sysA, 2, func(c *engine.Config) { c.Slow = tc.slow })
			b := newEngine(t, sysB, 2, nil)
			net := enginetest.New()
			seen := watch(net)
			pair(t, net, a, b, 2, delay)
			runUntil(t, net, time.Minute, bothWays(a, b, 1, 2))
			run(t, net, 100*time.Second)
			if !usable(a, 1, 2) || !usable(b, 1, 2) {
				t.Fatal("LAG not stable before the fault")
			}
			if tc.slow && status(t, b, 1).Periodic != engine.SlowPeriodic {
				t.Errorf("B sends %v to a partner that asks for long timeouts", status(t, b, 1).Periodic)
			}

			fault := net.Now
			adm, _ := b.PortAdmin(1)
			adm.Silent = true
			if err := b.SetPortAdmin(net.Now, 1, adm); err != nil {
				t.Fatal(err)
			}
			run(t, net, tc.timeout+time.Minute)
			last := seen.last[enginetest.End{Engine: b, Port: 1}]
			if !last.After(fault.Add(-engine.SlowPeriodicTime - delay)) {
				t.Fatalf("last PDU from B at %v, fault at %v", last, fault)
			}
			exp, ok := findEvent(net, a, 1, engine.MachineReceive, engine.RxExpired, fault)
			if !ok || exp.Time != last.Add(tc.timeout) || exp.Reason != engine.ReasonCurrentWhile {
				t.Errorf("EXPIRED event %v (found %v), want at %v", exp, ok, last.Add(tc.timeout))
			}
			def, ok := findEvent(net, a, 1, engine.MachineReceive, engine.RxDefaulted, fault)
			if !ok || def.Time != exp.Time.Add(engine.ShortTimeoutTime) {
				t.Errorf("DEFAULTED event %v (found %v), want at %v", def, ok, exp.Time.Add(engine.ShortTimeoutTime))
			}
			out, ok := findEvent(net, a, 1, engine.MachineMux, engine.MuxAttached, fault)
			if !ok || out.Time != exp.Time || out.Reason != engine.ReasonPartnerOutOfSync {
				t.Errorf("left COLLECTING_DISTRIBUTING: %v (found %v), want at %v", out, ok, exp.Time)
			}
			sa := status(t, a, 1)
			if sa.Receive != engine.RxDefaulted || !sa.Actor.State.Has(lacp.StateDefaulted) || sa.Collecting() {
				t.Errorf("A port 1 after timeout: %+v", sa)
			}
			if sa.Partner.System != (lacp.SystemID{}) {
				t.Errorf("defaulted partner %v, want the administrative default", sa.Partner)
			}
			// B still hears A, so it only loses Synchronization from A.
			if sb := status(t, b, 1); sb.Collecting() || sb.Counters.TxSuppressed == 0 {
				t.Errorf("B port 1 after its silence: %+v", sb)
			}
			if !usable(a, 2) || !usable(b, 2) {
				t.Error("the other member was disturbed")
			}
			checkInvariants(t, a)
			checkInvariants(t, b)
		})
	}
}

func TestPortDownDetaches(t *testing.T) {
	const delay = time.Millisecond
	a, b := newEngine(t, sysA, 2, nil), newEngine(t, sysB, 2, nil)
	net := enginetest.New()
	pair(t, net, a, b, 2, delay)
	runUntil(t, net, time.Minute, bothWays(a, b, 1, 2))

	down := net.Now
	if err := net.SetLink(enginetest.End{Engine: a, Port: 1}, false); err != nil {
		t.Fatal(err)
	}
	for name, e := range map[string]*engine.Engine{"A": a, "B": b} {
		s := status(t, e, 1)
		if s.Mux != engine.MuxDetached || s.Aggregator != 0 || s.Receive != engine.RxPortDisabled || s.Distributing() {
			t.Errorf("%s: port 1 after link down: %+v", name, s)
		}
		if got := fmt.Sprint(e.AppendDistributing(nil)); got != "[2]" {
			t.Errorf("%s: distributing on %s, want [2]", name, got)
		}
		if ev, ok := findEvent(net, e, 1, engine.MachineMux, engine.MuxDetached, down); !ok || ev.Reason != engine.ReasonUnselected {
			t.Errorf("%s: detach event %v", name, ev)
		}
		checkInvariants(t, e)
	}
	run(t, net, time.Minute)
	if s := status(t, a, 1); s.Counters.TxLACPDUs == 0 || s.Periodic != engine.NoPeriodic {
		t.Errorf("down port %+v", s)
	}
	if err := net.SetLink(enginetest.End{Engine: a, Port: 1}, true); err != nil {
		t.Fatal(err)
	}
	// PORT_DISABLED keeps the Partner's information (6.4.12), so the port
	// selects its old aggregator as soon as the link is back rather than
	// when the Partner's first PDU arrives: 2 s + one delay.
	if took := runUntil(t, net, time.Minute, bothWays(a, b, 1, 2)); took != engine.AggregateWaitTime+delay {
		t.Errorf("port back after %v, want %v", took, engine.AggregateWaitTime+delay)
	}
}

// A flapping port goes down and up on its schedule; each time it comes back
// the LAG takes it in again after the aggregate wait.
func TestFlap(t *testing.T) {
	a, b := newEngine(t, sysA, 2, nil), newEngine(t, sysB, 2, nil)
	net := enginetest.New()
	pair(t, net, a, b, 2, 0)
	runUntil(t, net, time.Minute, bothWays(a, b, 1, 2))
	start := net.Now
	adm, _ := a.PortAdmin(1)
	adm.Flap = engine.Flap{Up: 10 * time.Second, Down: 5 * time.Second}
	if err := a.SetPortAdmin(net.Now, 1, adm); err != nil {
		t.Fatal(err)
	}
	run(t, net, 44*time.Second) // up 10, down 5, up 10, down 5, up 10, down 4 more
	var downs, ups []time.Duration
	for _, r := range net.Events {
		if r.Engine == a && r.Port == 1 && r.Machine == engine.MachineReceive && r.Reason == engine.ReasonFlap && !r.Time.Before(start) {
			switch r.To {
			case engine.RxPortDisabled:
				downs = append(downs, r.Time.Sub(start))
			case engine.RxExpired:
				ups = append(ups, r.Time.Sub(start))
			}
		}
	}
	if fmt.Sprint(downs) != "[10s 25s 40s]" || fmt.Sprint(ups) != "[15s 30s]" {
		t.Errorf("flap downs %v, ups %v", downs, ups)
	}
	// B's port noticed: it stopped distributing after A's first bounce, and
	// came back 2 s after each return.
	if s := status(t, a, 1); s.Enabled || s.Distributing() {
		t.Errorf("A port 1 in a down phase: %+v", s)
	}
	back, ok := findEvent(net, b, 1, engine.MachineMux, engine.MuxCollectingDistributing, start.Add(15*time.Second))
	if !ok || back.Time != start.Add(17*time.Second) {
		t.Errorf("B port 1 back at %v (found %v), want 17s after start", back.Time.Sub(start), ok)
	}
	adm.Flap = engine.Flap{}
	if err := a.SetPortAdmin(net.Now, 1, adm); err != nil {
		t.Fatal(err)
	}
	runUntil(t, net, time.Minute, bothWays(a, b, 1, 2))
	checkInvariants(t, a)
	checkInvariants(t, b)
}

// Config.SelectionDelay reproduces Linux's first-member figure: the side
// with the delay collects and distributes only 8 s after its first port was
// added, while its partner, which sees Synchronization after 2 s, starts
// then. Later members take the usual 2 s.
func TestSelectionDelayLikeLinuxBond(t *testing.T) {
	a := newEngine(t, sysA, 2, nil)
	b := newEngine(t, sysB, 2, func(c *engine.Config) { c.SelectionDelay = engine.LinuxSelectionDelay })
	net := enginetest.New()
	connect(t, net, a, b, 1, 0)
	if took := runUntil(t, net, time.Minute, func() bool { return usable(a, 1) }); took != 2*time.Second {
		t.Errorf("A usable after %v, want 2s", took)
	}
	if usable(b, 1) {
		t.Error("B usable before its selection delay")
	}
	if at, _, _ := net.RunUntil(net.Now.Add(time.Minute), func() bool { return usable(b, 1) }); at != enginetest.Epoch.Add(8*time.Second) {
		t.Errorf("B usable at %v, want 8s", at.Sub(enginetest.Epoch))
	}
	if ev, ok := findEvent(net, b, 1, engine.MachineMux, engine.MuxCollectingDistributing, enginetest.Epoch); !ok || ev.Reason != engine.ReasonSelectionDelay {
		t.Errorf("B's move to COLLECTING_DISTRIBUTING: %v, want reason %v", ev, engine.ReasonSelectionDelay)
	}
	run(t, net, 5*time.Second)
	connect(t, net, a, b, 2, 0)
	if took := runUntil(t, net, time.Minute, bothWays(a, b, 1, 2)); took != 2*time.Second {
		t.Errorf("second member usable after %v, want 2s", took)
	}
}

// The transmit machine sends no more than three LACPDUs in any second; the
// fourth waits until the first is a second old.
func TestTransmitRateLimit(t *testing.T) {
	e := newEngine(t, sysA, 1, nil)
	t0 := enginetest.Epoch
	if err := e.SetPortUp(t0, 1, true); err != nil {
		t.Fatal(err)
	}
	sent := func() []engine.Transmit { return e.AppendTransmits(nil) }
	if n := len(sent()); n != 1 {
		t.Fatalf("%d PDUs on port up, want 1", n)
	}
	adm, _ := e.PortAdmin(1)
	for i := range 5 { // each key change must be told, and unselects the port
		adm.Key = uint16(100 + i)
		if err := e.SetPortAdmin(t0.Add(time.Duration(i)*100*time.Millisecond), 1, adm); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(sent()); n != 2 {
		t.Errorf("%d more PDUs in the first 400 ms, want 2", n)
	}
	if d, _ := e.NextDeadline(); d != t0.Add(time.Second) {
		t.Errorf("next deadline %v, want 1s", d.Sub(t0))
	}
	e.Advance(t0.Add(999 * time.Millisecond))
	if n := len(sent()); n != 0 {
		t.Errorf("%d PDUs before the window opened", n)
	}
	e.Advance(t0.Add(time.Second))
	tx := sent()
	if len(tx) != 1 || tx[0].LACPDU.Actor.Key != 104 {
		t.Fatalf("deferred PDU %+v, want one with key 104", tx)
	}
	if s := status(t, e, 1); s.Counters.TxDeferred != 1 || s.Counters.TxLACPDUs != 4 {
		t.Errorf("counters %+v", s.Counters)
	}
}

func TestNextDeadlineIsPeriodicTimer(t *testing.T) {
	a, b := newEngine(t, sysA, 1, nil), newEngine(t, sysB, 1, nil)
	net := enginetest.New()
	pair(t, net, a, b, 1, 0)
	runUntil(t, net, time.Minute, bothWays(a, b, 1))
	// Converged at 2 s; the periodic timer runs on whole seconds from the
	// port coming up at 0.
	run(t, net, 10*time.Second+time.Second/2)
	d, ok := a.NextDeadline()
	if !ok || d != enginetest.Epoch.Add(13*time.Second) {
		t.Errorf("next deadline %v (%v), want the periodic timer at 13s", d.Sub(enginetest.Epoch), ok)
	}
	a.AppendTransmits(nil)
	a.Advance(d.Add(-time.Nanosecond))
	if tx := a.AppendTransmits(nil); len(tx) != 0 {
		t.Errorf("sent %d PDUs before the deadline", len(tx))
	}
	a.Advance(d)
	if tx := a.AppendTransmits(nil); len(tx) != 1 {
		t.Errorf("sent %d PDUs at the deadline, want 1", len(tx))
	}
}

func TestConfigErrors(t *testing.T) {
	if _, err := engine.New(engine.Config{}); err == nil {
		t.Error("New without a System succeeded")
	}
	e := newEngine(t, sysA, 1, nil)
	for _, pc := range []engine.PortConfig{{Number: 0}, {Number: 1}, {Number: 2, MAC: []byte{1, 2}}} {
		if err := e.AddPort(enginetest.Epoch, pc); err == nil {
			t.Errorf("AddPort(%+v) succeeded", pc)
		}
	}
	if err := e.SetPortUp(enginetest.Epoch, 9, true); err == nil {
		t.Error("SetPortUp on an unknown port succeeded")
	}
	if err := e.SetPortAdmin(enginetest.Epoch, 1, engine.PortAdmin{}); err == nil {
		t.Error("SetPortAdmin with a zero key succeeded")
	}
}

func TestRemovePortLeavesAggregator(t *testing.T) {
	a, b := newEngine(t, sysA, 2, nil), newEngine(t, sysB, 2, nil)
	net := enginetest.New()
	pair(t, net, a, b, 2, 0)
	runUntil(t, net, time.Minute, bothWays(a, b, 1, 2))
	if err := a.RemovePort(net.Now, 1); err != nil {
		t.Fatal(err)
	}
	if err := net.Disconnect(enginetest.End{Engine: a, Port: 1}); err != nil {
		t.Fatal(err)
	}
	aggs := a.Aggregators()
	if len(aggs) != 1 || fmt.Sprint(aggs[0].Ports) != "[2]" || !aggs[0].Active {
		t.Errorf("aggregators after removal %+v", aggs)
	}
	if _, err := a.Port(1); err == nil {
		t.Error("removed port still there")
	}
	run(t, net, time.Minute)
	if !usable(a, 2) || !usable(b, 2) || usable(b, 1) {
		t.Error("LAG wrong after removing a port")
	}
}

func TestNamesAreComplete(t *testing.T) {
	for s := engine.RxInitialize; s <= engine.PartnerChurn; s++ {
		if got := s.String(); strings.HasPrefix(got, "MachineState(") {
			t.Errorf("state %d has no name", s)
		}
	}
	for r := engine.ReasonBegin; r <= engine.ReasonChurn; r++ {
		if got := r.String(); strings.HasPrefix(got, "Reason(") {
			t.Errorf("reason %d has no name", r)
		}
	}
	ev := engine.Event{Port: 3, Machine: engine.MachineMux, From: engine.MuxAttached, To: engine.MuxCollectingDistributing, Reason: engine.ReasonPartnerInSync}
	if got, want := ev.String(), "port 3 mux ATTACHED -> COLLECTING_DISTRIBUTING (partner in sync)"; got != want {
		t.Errorf("Event.String() = %q, want %q", got, want)
	}
}

// Turning the only active end passive (the "passive" fault) stops the
// conversation: the LAG stops working at once and both ends end up
// defaulted and quiet.
func TestGoingPassiveAgainstPassivePartner(t *testing.T) {
	a := newEngine(t, sysA, 1, nil)
	b := newEngine(t, sysB, 1, func(c *engine.Config) { c.Passive = true })
	net := enginetest.New()
	pair(t, net, a, b, 1, time.Millisecond)
	runUntil(t, net, time.Minute, bothWays(a, b, 1))

	adm, _ := a.PortAdmin(1)
	adm.Passive = true
	if err := a.SetPortAdmin(net.Now, 1, adm); err != nil {
		t.Fatal(err)
	}
	run(t, net, 10*time.Millisecond)
	if usable(a, 1) {
		t.Error("A still usable after going passive against a passive partner")
	}
	run(t, net, time.Minute)
	for name, e := range map[string]*engine.Engine{"A": a, "B": b} {
		s := status(t, e, 1)
		if s.Receive != engine.RxDefaulted || s.Periodic != engine.NoPeriodic || s.Collecting() {
			t.Errorf("%s: %+v", name, s)
		}
	}
	sent := func() uint64 { return status(t, a, 1).Counters.TxLACPDUs + status(t, b, 1).Counters.TxLACPDUs }
	before := sent()
	run(t, net, time.Hour)
	if after := sent(); after != before {
		t.Errorf("%d LACPDUs sent between two passive ends", after-before)
	}
	// Going active again brings the LAG back.
	adm.Passive = false
	if err := a.SetPortAdmin(net.Now, 1, adm); err != nil {
		t.Fatal(err)
	}
	runUntil(t, net, time.Minute, bothWays(a, b, 1))
}

// Churn detection (6.4.17): a working LAG never churns; the wrong-key port,
// which never gets in sync, churns on both sides Churn_Detection_Time after
// it came up; a partner that goes silent churns that long after it fell
// out of sync.
func TestChurnDetection(t *testing.T) {
	a, b := newEngine(t, sysA, 3, nil), newEngine(t, sysB, 3, nil)
	adm, _ := b.PortAdmin(3)
	adm.Key = 99
	if err := b.SetPortAdmin(enginetest.Epoch, 3, adm); err != nil {
		t.Fatal(err)
	}
	net := enginetest.New()
	pair(t, net, a, b, 3, time.Millisecond)
	run(t, net, 5*time.Minute)
	for name, e := range map[string]*engine.Engine{"A": a, "B": b} {
		for _, port := range []uint16{1, 2} {
			s := status(t, e, port)
			if s.ActorChurn != engine.NoActorChurn || s.PartnerChurn != engine.NoPartnerChurn ||
				s.Counters.ActorChurns+s.Counters.PartnerChurns != 0 {
				t.Errorf("%s: working port %d churns: %+v", name, port, s)
			}
		}
		s := status(t, e, 3)
		if s.ActorChurn != engine.ActorChurn || s.PartnerChurn != engine.PartnerChurn {
			t.Errorf("%s: wrong-key port: actor %v, partner %v", name, s.ActorChurn, s.PartnerChurn)
		}
		for m, to := range map[engine.Machine]engine.MachineState{engine.MachineActorChurn: engine.ActorChurn, engine.MachinePartnerChurn: engine.PartnerChurn} {
			ev, ok := findEvent(net, e, 3, m, to, enginetest.Epoch)
			if !ok || ev.Time != enginetest.Epoch.Add(engine.ChurnDetectionTime) || ev.Reason != engine.ReasonChurn {
				t.Errorf("%s: %v event %v (found %v), want at 60s", name, m, ev, ok)
			}
		}
	}

	silent := net.Now
	adm, _ = b.PortAdmin(1)
	adm.Silent = true
	if err := b.SetPortAdmin(net.Now, 1, adm); err != nil {
		t.Fatal(err)
	}
	run(t, net, 2*time.Minute)
	out, ok := findEvent(net, a, 1, engine.MachinePartnerChurn, engine.PartnerChurnMonitor, silent)
	if !ok || out.Reason != engine.ReasonPartnerOutOfSync {
		t.Fatalf("partner churn monitor event %v (found %v)", out, ok)
	}
	churn, ok := findEvent(net, a, 1, engine.MachinePartnerChurn, engine.PartnerChurn, silent)
	if !ok || churn.Time != out.Time.Add(engine.ChurnDetectionTime) {
		t.Errorf("partner churn at %v (found %v), want 60s after %v", churn.Time, ok, out.Time)
	}
	// Defaulted, the port left the LAG for an Individual aggregator that
	// is not the active one, so it withdrew its own Synchronization and
	// churns too.
	if s := status(t, a, 1); s.ActorChurn != engine.ActorChurn || s.AggregatorActive || s.Aggregator == status(t, a, 2).Aggregator {
		t.Errorf("A port 1 after its partner went silent: %+v", s)
	}
}
