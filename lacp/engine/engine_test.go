package engine_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dxsim/dxsim/lacp"
	"github.com/dxsim/dxsim/lacp/engine"
	"github.com/dxsim/dxsim/lacp/engine/enginetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A fresh link between two active engines is usable both ways once each
// side has waited Aggregate_Wait_Time after selecting (which it does when
// the other's first PDU arrives, one delay in) and heard the other's
// Synchronization (one more delay): 2 s + 2 delays.
func TestFreshLinkConvergesAfterAggregateWait(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		delay  time.Duration
		frames bool
	}{
		{0, false},
		{5 * time.Millisecond, false},
		{250 * time.Millisecond, true},
	} {
		t.Run(fmt.Sprintf("delay=%v/frames=%v", tc.delay, tc.frames), func(t *testing.T) {
			t.Parallel()
			a, b := newEngine(t, sysA, 1, nil), newEngine(t, sysB, 1, nil)
			net := enginetest.New()
			net.Frames = tc.frames
			pair(t, net, a, b, 1, tc.delay)
			took := runUntil(t, net, time.Minute, bothWays(a, b, 1))
			assert.Equal(t, engine.AggregateWaitTime+2*tc.delay, took, "converged after")
			sa, sb := status(t, a, 1), status(t, b, 1)
			const usable = lacp.StateActivity | lacp.StateTimeout | lacp.StateAggregation |
				lacp.StateSynchronization | lacp.StateCollecting | lacp.StateDistributing
			assert.Equal(t, usable, sa.Actor.State, "A's actor state")
			assert.Equal(t, usable, sb.Actor.State, "B's actor state")
			// Each side has recorded the other's Actor as its Partner.
			run(t, net, 3*time.Second)
			sa, sb = status(t, a, 1), status(t, b, 1)
			assert.Equal(t, sb.Actor, sa.Partner, "A's partner does not echo B's actor")
			assert.Equal(t, sa.Actor, sb.Partner, "B's partner does not echo A's actor")
			assert.Equal(t, engine.RxCurrent, sa.Receive, "A receive")
			assert.Equal(t, engine.FastPeriodic, sa.Periodic, "A periodic")
			checkInvariants(t, a)
			checkInvariants(t, b)
		})
	}
}

// A member added to a LAG that is already up takes the same 2 s + 2 delays
// and does not disturb the members already distributing.
func TestLaterMemberJoinsWithoutDisturbingOthers(t *testing.T) {
	t.Parallel()
	const delay = 3 * time.Millisecond
	a, b := newEngine(t, sysA, 2, nil), newEngine(t, sysB, 2, nil)
	net := enginetest.New()
	pair(t, net, a, b, 1, delay)
	runUntil(t, net, time.Minute, bothWays(a, b, 1))
	run(t, net, 10*time.Second)

	joined := net.Now
	connect(t, net, a, b, 2, delay)
	took := runUntil(t, net, time.Minute, bothWays(a, b, 1, 2))
	assert.Equal(t, engine.AggregateWaitTime+2*delay, took, "second member converged after")
	ev, ok := findEvent(net, a, 1, engine.MachineMux, engine.MuxAttached, joined)
	assert.False(t, ok, "first member left COLLECTING_DISTRIBUTING: %v", ev)
	ev, ok = findEvent(net, b, 1, engine.MachineMux, engine.MuxAttached, joined)
	assert.False(t, ok, "first member left COLLECTING_DISTRIBUTING on B: %v", ev)
	for _, e := range []*engine.Engine{a, b} {
		aggs := e.Aggregators()
		if assert.Len(t, aggs, 1, "aggregators %+v, want one active with both ports", aggs) {
			assert.Len(t, aggs[0].Ports, 2, "aggregators %+v, want one active with both ports", aggs)
			assert.True(t, aggs[0].Active, "aggregators %+v, want one active with both ports", aggs)
		}
	}
}

func TestFourPortsOneAggregator(t *testing.T) {
	t.Parallel()
	a, b := newEngine(t, sysA, 4, nil), newEngine(t, sysB, 4, nil)
	net := enginetest.New()
	pair(t, net, a, b, 4, time.Millisecond)
	took := runUntil(t, net, time.Minute, bothWays(a, b, 1, 2, 3, 4))
	assert.Equal(t, engine.AggregateWaitTime+2*time.Millisecond, took, "converged after")
	for name, e := range map[string]*engine.Engine{"A": a, "B": b} {
		aggs := e.Aggregators()
		require.Len(t, aggs, 1, "%s: aggregators", name)
		agg := aggs[0]
		assert.True(t, agg.Active, "%s: aggregator %+v", name, agg)
		assert.False(t, agg.Individual, "%s: aggregator %+v", name, agg)
		assert.Equal(t, "[1 2 3 4]", fmt.Sprint(agg.Ports), "%s: aggregator %+v", name, agg)
		assert.Equal(t, uint16(15), agg.Key, "%s: aggregator %+v", name, agg)
		assert.Equal(t, "[1 2 3 4]", fmt.Sprint(e.AppendDistributing(nil)), "%s: distributing on", name)
		checkInvariants(t, e)
	}
	assert.Equal(t, sysB, a.Aggregators()[0].Partner.System, "A's aggregator partner")
}

// A port whose key differs from its LAG's ends up in an aggregator of its
// own, which is not the bond's active one: neither side uses it, while the
// rest of the LAG works. Fixing the key brings it in.
func TestWrongKeyPreventsAggregation(t *testing.T) {
	t.Parallel()
	a, b := newEngine(t, sysA, 4, nil), newEngine(t, sysB, 4, nil)
	adm, err := b.PortAdmin(4)
	require.NoError(t, err)
	adm.Key = 99
	require.NoError(t, b.SetPortAdmin(enginetest.Epoch, 4, adm))
	net := enginetest.New()
	pair(t, net, a, b, 4, time.Millisecond)
	runUntil(t, net, time.Minute, bothWays(a, b, 1, 2, 3))
	run(t, net, 2*time.Minute)
	for name, e := range map[string]*engine.Engine{"A": a, "B": b} {
		assert.True(t, usable(e, 1, 2, 3), "%s: ports 1-3 not usable", name)
		s := status(t, e, 4)
		assert.False(t, s.Collecting(), "%s: wrong-key port %+v", name, s)
		assert.False(t, s.Distributing(), "%s: wrong-key port %+v", name, s)
		assert.False(t, s.Actor.State.Has(lacp.StateSynchronization), "%s: wrong-key port %+v", name, s)
		assert.False(t, s.AggregatorActive, "%s: wrong-key port %+v", name, s)
		assert.NotEqual(t, status(t, e, 1).Aggregator, s.Aggregator, "%s: wrong-key port shares aggregator %d", name, s.Aggregator)
		checkInvariants(t, e)
	}

	adm.Key = 15
	require.NoError(t, b.SetPortAdmin(net.Now, 4, adm))
	took := runUntil(t, net, time.Minute, bothWays(a, b, 1, 2, 3, 4))
	// B's PDU with the new key reaches A after a delay; both then wait.
	assert.Equal(t, engine.AggregateWaitTime+2*time.Millisecond, took, "port joined after")
}

func TestPassivePassiveNeverConverges(t *testing.T) {
	t.Parallel()
	passive := func(c *engine.Config) { c.Passive = true }
	a, b := newEngine(t, sysA, 2, passive), newEngine(t, sysB, 2, passive)
	net := enginetest.New()
	pair(t, net, a, b, 2, time.Millisecond)
	at, ok, err := net.RunUntil(net.Now.Add(10*time.Minute), func() bool {
		return usable(a, 1) || usable(b, 1) || usable(a, 2) || usable(b, 2)
	})
	require.NoError(t, err)
	require.False(t, ok, "passive pair converged at %v", at)
	for _, e := range []*engine.Engine{a, b} {
		for _, s := range e.Ports() {
			assert.Zero(t, s.Counters.TxLACPDUs, "passive port %d: %+v", s.Number, s)
			assert.Equal(t, engine.RxDefaulted, s.Receive, "passive port %d: %+v", s.Number, s)
			assert.Equal(t, engine.NoPeriodic, s.Periodic, "passive port %d: %+v", s.Number, s)
		}
		_, ok := e.NextDeadline()
		assert.False(t, ok, "a passive engine with passive partners still has timers running")
	}
}

// An active port talks a passive one into the LAG: the passive side selects
// when the first PDU arrives (one delay), the active side when the passive
// side's answer arrives (two delays); the active side's Synchronization
// reaches the passive side one more delay after its wait: 2 s + 3 delays.
func TestActivePassiveConverges(t *testing.T) {
	t.Parallel()
	const delay = 10 * time.Millisecond
	a := newEngine(t, sysA, 1, nil)
	b := newEngine(t, sysB, 1, func(c *engine.Config) { c.Passive = true })
	net := enginetest.New()
	pair(t, net, a, b, 1, delay)
	took := runUntil(t, net, time.Minute, bothWays(a, b, 1))
	assert.Equal(t, engine.AggregateWaitTime+3*delay, took, "converged after")
	s := status(t, b, 1)
	assert.False(t, s.Actor.State.Has(lacp.StateActivity), "passive side %+v", s)
	assert.True(t, s.Partner.State.Has(lacp.StateActivity), "passive side %+v", s)
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
	t.Parallel()
	for _, tc := range []struct {
		name    string
		slow    bool
		timeout time.Duration
	}{
		{"short", false, engine.ShortTimeoutTime},
		{"long", true, engine.LongTimeoutTime},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			const delay = 2 * time.Millisecond
			a := newEngine(t, sysA, 2, func(c *engine.Config) { c.Slow = tc.slow })
			b := newEngine(t, sysB, 2, nil)
			net := enginetest.New()
			seen := watch(net)
			pair(t, net, a, b, 2, delay)
			runUntil(t, net, time.Minute, bothWays(a, b, 1, 2))
			run(t, net, 100*time.Second)
			require.True(t, usable(a, 1, 2) && usable(b, 1, 2), "LAG not stable before the fault")
			if tc.slow {
				assert.Equal(t, engine.SlowPeriodic, status(t, b, 1).Periodic, "what B sends to a partner that asks for long timeouts")
			}

			fault := net.Now
			adm, _ := b.PortAdmin(1)
			adm.Silent = true
			require.NoError(t, b.SetPortAdmin(net.Now, 1, adm))
			run(t, net, tc.timeout+time.Minute)
			last := seen.last[enginetest.End{Engine: b, Port: 1}]
			require.True(t, last.After(fault.Add(-engine.SlowPeriodicTime-delay)), "last PDU from B at %v, fault at %v", last, fault)
			exp, ok := findEvent(net, a, 1, engine.MachineReceive, engine.RxExpired, fault)
			if assert.True(t, ok, "no EXPIRED event, want one at %v", last.Add(tc.timeout)) {
				assert.Equal(t, last.Add(tc.timeout), exp.Time, "EXPIRED event %v", exp)
				assert.Equal(t, engine.ReasonCurrentWhile, exp.Reason, "EXPIRED event %v", exp)
			}
			def, ok := findEvent(net, a, 1, engine.MachineReceive, engine.RxDefaulted, fault)
			if assert.True(t, ok, "no DEFAULTED event, want one at %v", exp.Time.Add(engine.ShortTimeoutTime)) {
				assert.Equal(t, exp.Time.Add(engine.ShortTimeoutTime), def.Time, "DEFAULTED event %v", def)
			}
			out, ok := findEvent(net, a, 1, engine.MachineMux, engine.MuxAttached, fault)
			if assert.True(t, ok, "never left COLLECTING_DISTRIBUTING, want at %v", exp.Time) {
				assert.Equal(t, exp.Time, out.Time, "left COLLECTING_DISTRIBUTING: %v", out)
				assert.Equal(t, engine.ReasonPartnerOutOfSync, out.Reason, "left COLLECTING_DISTRIBUTING: %v", out)
			}
			sa := status(t, a, 1)
			assert.Equal(t, engine.RxDefaulted, sa.Receive, "A port 1 after timeout: %+v", sa)
			assert.True(t, sa.Actor.State.Has(lacp.StateDefaulted), "A port 1 after timeout: %+v", sa)
			assert.False(t, sa.Collecting(), "A port 1 after timeout: %+v", sa)
			assert.Equal(t, lacp.SystemID{}, sa.Partner.System, "defaulted partner %v, want the administrative default", sa.Partner)
			// B still hears A, so it only loses Synchronization from A.
			sb := status(t, b, 1)
			assert.False(t, sb.Collecting(), "B port 1 after its silence: %+v", sb)
			assert.NotZero(t, sb.Counters.TxSuppressed, "B port 1 after its silence: %+v", sb)
			assert.True(t, usable(a, 2) && usable(b, 2), "the other member was disturbed")
			checkInvariants(t, a)
			checkInvariants(t, b)
		})
	}
}

func TestPortDownDetaches(t *testing.T) {
	t.Parallel()
	const delay = time.Millisecond
	a, b := newEngine(t, sysA, 2, nil), newEngine(t, sysB, 2, nil)
	net := enginetest.New()
	pair(t, net, a, b, 2, delay)
	runUntil(t, net, time.Minute, bothWays(a, b, 1, 2))

	down := net.Now
	require.NoError(t, net.SetLink(enginetest.End{Engine: a, Port: 1}, false))
	for name, e := range map[string]*engine.Engine{"A": a, "B": b} {
		s := status(t, e, 1)
		assert.Equal(t, engine.MuxDetached, s.Mux, "%s: port 1 after link down: %+v", name, s)
		assert.Zero(t, s.Aggregator, "%s: port 1 after link down: %+v", name, s)
		assert.Equal(t, engine.RxPortDisabled, s.Receive, "%s: port 1 after link down: %+v", name, s)
		assert.False(t, s.Distributing(), "%s: port 1 after link down: %+v", name, s)
		assert.Equal(t, "[2]", fmt.Sprint(e.AppendDistributing(nil)), "%s: distributing on", name)
		ev, ok := findEvent(net, e, 1, engine.MachineMux, engine.MuxDetached, down)
		if assert.True(t, ok, "%s: no detach event", name) {
			assert.Equal(t, engine.ReasonUnselected, ev.Reason, "%s: detach event %v", name, ev)
		}
		checkInvariants(t, e)
	}
	run(t, net, time.Minute)
	s := status(t, a, 1)
	assert.NotZero(t, s.Counters.TxLACPDUs, "down port %+v", s)
	assert.Equal(t, engine.NoPeriodic, s.Periodic, "down port %+v", s)
	require.NoError(t, net.SetLink(enginetest.End{Engine: a, Port: 1}, true))
	// PORT_DISABLED keeps the Partner's information (6.4.12), so the port
	// selects its old aggregator as soon as the link is back rather than
	// when the Partner's first PDU arrives: 2 s + one delay.
	took := runUntil(t, net, time.Minute, bothWays(a, b, 1, 2))
	assert.Equal(t, engine.AggregateWaitTime+delay, took, "port back after")
}

// A flapping port goes down and up on its schedule; each time it comes back
// the LAG takes it in again after the aggregate wait.
func TestFlap(t *testing.T) {
	t.Parallel()
	a, b := newEngine(t, sysA, 2, nil), newEngine(t, sysB, 2, nil)
	net := enginetest.New()
	pair(t, net, a, b, 2, 0)
	runUntil(t, net, time.Minute, bothWays(a, b, 1, 2))
	start := net.Now
	adm, _ := a.PortAdmin(1)
	adm.Flap = engine.Flap{Up: 10 * time.Second, Down: 5 * time.Second}
	require.NoError(t, a.SetPortAdmin(net.Now, 1, adm))
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
	assert.Equal(t, "[10s 25s 40s]", fmt.Sprint(downs), "flap downs")
	assert.Equal(t, "[15s 30s]", fmt.Sprint(ups), "flap ups")
	// B's port noticed: it stopped distributing after A's first bounce, and
	// came back 2 s after each return.
	s := status(t, a, 1)
	assert.False(t, s.Enabled, "A port 1 in a down phase: %+v", s)
	assert.False(t, s.Distributing(), "A port 1 in a down phase: %+v", s)
	back, ok := findEvent(net, b, 1, engine.MachineMux, engine.MuxCollectingDistributing, start.Add(15*time.Second))
	if assert.True(t, ok, "B port 1 never back, want 17s after start") {
		assert.Equal(t, start.Add(17*time.Second), back.Time, "B port 1 back at %v, want 17s after start", back.Time.Sub(start))
	}
	adm.Flap = engine.Flap{}
	require.NoError(t, a.SetPortAdmin(net.Now, 1, adm))
	runUntil(t, net, time.Minute, bothWays(a, b, 1, 2))
	checkInvariants(t, a)
	checkInvariants(t, b)
}

// Config.SelectionDelay reproduces Linux's first-member figure: the side
// with the delay collects and distributes only 8 s after its first port was
// added, while its partner, which sees Synchronization after 2 s, starts
// then. Later members take the usual 2 s.
func TestSelectionDelayLikeLinuxBond(t *testing.T) {
	t.Parallel()
	a := newEngine(t, sysA, 2, nil)
	b := newEngine(t, sysB, 2, func(c *engine.Config) { c.SelectionDelay = engine.LinuxSelectionDelay })
	net := enginetest.New()
	connect(t, net, a, b, 1, 0)
	took := runUntil(t, net, time.Minute, func() bool { return usable(a, 1) })
	assert.Equal(t, 2*time.Second, took, "A usable after")
	assert.False(t, usable(b, 1), "B usable before its selection delay")
	at, _, _ := net.RunUntil(net.Now.Add(time.Minute), func() bool { return usable(b, 1) })
	assert.Equal(t, enginetest.Epoch.Add(8*time.Second), at, "B usable at %v, want 8s", at.Sub(enginetest.Epoch))
	ev, ok := findEvent(net, b, 1, engine.MachineMux, engine.MuxCollectingDistributing, enginetest.Epoch)
	if assert.True(t, ok, "B never moved to COLLECTING_DISTRIBUTING") {
		assert.Equal(t, engine.ReasonSelectionDelay, ev.Reason, "B's move to COLLECTING_DISTRIBUTING: %v", ev)
	}
	run(t, net, 5*time.Second)
	connect(t, net, a, b, 2, 0)
	took = runUntil(t, net, time.Minute, bothWays(a, b, 1, 2))
	assert.Equal(t, 2*time.Second, took, "second member usable after")
}

// The transmit machine sends no more than three LACPDUs in any second; the
// fourth waits until the first is a second old.
func TestTransmitRateLimit(t *testing.T) {
	t.Parallel()
	e := newEngine(t, sysA, 1, nil)
	t0 := enginetest.Epoch
	require.NoError(t, e.SetPortUp(t0, 1, true))
	sent := func() []engine.Transmit { return e.AppendTransmits(nil) }
	require.Len(t, sent(), 1, "PDUs on port up")
	adm, _ := e.PortAdmin(1)
	for i := range 5 { // each key change must be told, and unselects the port
		adm.Key = uint16(100 + i)
		require.NoError(t, e.SetPortAdmin(t0.Add(time.Duration(i)*100*time.Millisecond), 1, adm))
	}
	assert.Len(t, sent(), 2, "more PDUs in the first 400 ms")
	d, _ := e.NextDeadline()
	assert.Equal(t, t0.Add(time.Second), d, "next deadline %v, want 1s", d.Sub(t0))
	e.Advance(t0.Add(999 * time.Millisecond))
	assert.Empty(t, sent(), "PDUs before the window opened")
	e.Advance(t0.Add(time.Second))
	tx := sent()
	require.Len(t, tx, 1, "deferred PDU %+v, want one with key 104", tx)
	require.Equal(t, uint16(104), tx[0].LACPDU.Actor.Key, "deferred PDU %+v, want one with key 104", tx)
	s := status(t, e, 1)
	assert.Equal(t, uint64(1), s.Counters.TxDeferred, "counters %+v", s.Counters)
	assert.Equal(t, uint64(4), s.Counters.TxLACPDUs, "counters %+v", s.Counters)
}

func TestNextDeadlineIsPeriodicTimer(t *testing.T) {
	t.Parallel()
	a, b := newEngine(t, sysA, 1, nil), newEngine(t, sysB, 1, nil)
	net := enginetest.New()
	pair(t, net, a, b, 1, 0)
	runUntil(t, net, time.Minute, bothWays(a, b, 1))
	// Converged at 2 s; the periodic timer runs on whole seconds from the
	// port coming up at 0.
	run(t, net, 10*time.Second+time.Second/2)
	d, ok := a.NextDeadline()
	assert.True(t, ok, "no next deadline, want the periodic timer at 13s")
	assert.Equal(t, enginetest.Epoch.Add(13*time.Second), d, "next deadline %v, want the periodic timer at 13s", d.Sub(enginetest.Epoch))
	a.AppendTransmits(nil)
	a.Advance(d.Add(-time.Nanosecond))
	assert.Empty(t, a.AppendTransmits(nil), "PDUs sent before the deadline")
	a.Advance(d)
	assert.Len(t, a.AppendTransmits(nil), 1, "PDUs sent at the deadline")
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	_, err := engine.New(engine.Config{})
	assert.Error(t, err, "New without a System succeeded")
	e := newEngine(t, sysA, 1, nil)
	for _, tc := range []struct {
		name string
		pc   engine.PortConfig
	}{
		{"number 0", engine.PortConfig{Number: 0}},
		{"number taken", engine.PortConfig{Number: 1}},
		{"2-byte MAC", engine.PortConfig{Number: 2, MAC: []byte{1, 2}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Error(t, e.AddPort(enginetest.Epoch, tc.pc), "AddPort(%+v) succeeded", tc.pc)
		})
	}
	assert.Error(t, e.SetPortUp(enginetest.Epoch, 9, true), "SetPortUp on an unknown port succeeded")
	assert.Error(t, e.SetPortAdmin(enginetest.Epoch, 1, engine.PortAdmin{}), "SetPortAdmin with a zero key succeeded")
}

func TestRemovePortLeavesAggregator(t *testing.T) {
	t.Parallel()
	a, b := newEngine(t, sysA, 2, nil), newEngine(t, sysB, 2, nil)
	net := enginetest.New()
	pair(t, net, a, b, 2, 0)
	runUntil(t, net, time.Minute, bothWays(a, b, 1, 2))
	require.NoError(t, a.RemovePort(net.Now, 1))
	require.NoError(t, net.Disconnect(enginetest.End{Engine: a, Port: 1}))
	aggs := a.Aggregators()
	if assert.Len(t, aggs, 1, "aggregators after removal %+v", aggs) {
		assert.Equal(t, "[2]", fmt.Sprint(aggs[0].Ports), "aggregators after removal %+v", aggs)
		assert.True(t, aggs[0].Active, "aggregators after removal %+v", aggs)
	}
	_, err := a.Port(1)
	assert.Error(t, err, "removed port still there")
	run(t, net, time.Minute)
	assert.True(t, usable(a, 2), "LAG wrong after removing a port: A port 2 not usable")
	assert.True(t, usable(b, 2), "LAG wrong after removing a port: B port 2 not usable")
	assert.False(t, usable(b, 1), "LAG wrong after removing a port: B port 1 still usable")
}

func TestNamesAreComplete(t *testing.T) {
	t.Parallel()
	for s := engine.RxInitialize; s <= engine.PartnerChurn; s++ {
		assert.False(t, strings.HasPrefix(s.String(), "MachineState("), "state %d has no name", s)
	}
	for r := engine.ReasonBegin; r <= engine.ReasonChurn; r++ {
		assert.False(t, strings.HasPrefix(r.String(), "Reason("), "reason %d has no name", r)
	}
	ev := engine.Event{Port: 3, Machine: engine.MachineMux, From: engine.MuxAttached, To: engine.MuxCollectingDistributing, Reason: engine.ReasonPartnerInSync}
	assert.Equal(t, "port 3 mux ATTACHED -> COLLECTING_DISTRIBUTING (partner in sync)", ev.String(), "Event.String()")
}

// Turning the only active end passive (the "passive" fault) stops the
// conversation: the LAG stops working at once and both ends end up
// defaulted and quiet.
func TestGoingPassiveAgainstPassivePartner(t *testing.T) {
	t.Parallel()
	a := newEngine(t, sysA, 1, nil)
	b := newEngine(t, sysB, 1, func(c *engine.Config) { c.Passive = true })
	net := enginetest.New()
	pair(t, net, a, b, 1, time.Millisecond)
	runUntil(t, net, time.Minute, bothWays(a, b, 1))

	adm, _ := a.PortAdmin(1)
	adm.Passive = true
	require.NoError(t, a.SetPortAdmin(net.Now, 1, adm))
	run(t, net, 10*time.Millisecond)
	assert.False(t, usable(a, 1), "A still usable after going passive against a passive partner")
	run(t, net, time.Minute)
	for name, e := range map[string]*engine.Engine{"A": a, "B": b} {
		s := status(t, e, 1)
		assert.Equal(t, engine.RxDefaulted, s.Receive, "%s: %+v", name, s)
		assert.Equal(t, engine.NoPeriodic, s.Periodic, "%s: %+v", name, s)
		assert.False(t, s.Collecting(), "%s: %+v", name, s)
	}
	sent := func() uint64 { return status(t, a, 1).Counters.TxLACPDUs + status(t, b, 1).Counters.TxLACPDUs }
	before := sent()
	run(t, net, time.Hour)
	after := sent()
	assert.Equal(t, before, after, "%d LACPDUs sent between two passive ends", after-before)
	// Going active again brings the LAG back.
	adm.Passive = false
	require.NoError(t, a.SetPortAdmin(net.Now, 1, adm))
	runUntil(t, net, time.Minute, bothWays(a, b, 1))
}

// Churn detection (6.4.17): a working LAG never churns; the wrong-key port,
// which never gets in sync, churns on both sides Churn_Detection_Time after
// it came up; a partner that goes silent churns that long after it fell
// out of sync.
func TestChurnDetection(t *testing.T) {
	t.Parallel()
	a, b := newEngine(t, sysA, 3, nil), newEngine(t, sysB, 3, nil)
	adm, _ := b.PortAdmin(3)
	adm.Key = 99
	require.NoError(t, b.SetPortAdmin(enginetest.Epoch, 3, adm))
	net := enginetest.New()
	pair(t, net, a, b, 3, time.Millisecond)
	run(t, net, 5*time.Minute)
	for name, e := range map[string]*engine.Engine{"A": a, "B": b} {
		for _, port := range []uint16{1, 2} {
			s := status(t, e, port)
			assert.Equal(t, engine.NoActorChurn, s.ActorChurn, "%s: working port %d churns: %+v", name, port, s)
			assert.Equal(t, engine.NoPartnerChurn, s.PartnerChurn, "%s: working port %d churns: %+v", name, port, s)
			assert.Zero(t, s.Counters.ActorChurns+s.Counters.PartnerChurns, "%s: working port %d churns: %+v", name, port, s)
		}
		s := status(t, e, 3)
		assert.Equal(t, engine.ActorChurn, s.ActorChurn, "%s: wrong-key port: actor churn", name)
		assert.Equal(t, engine.PartnerChurn, s.PartnerChurn, "%s: wrong-key port: partner churn", name)
		for m, to := range map[engine.Machine]engine.MachineState{engine.MachineActorChurn: engine.ActorChurn, engine.MachinePartnerChurn: engine.PartnerChurn} {
			ev, ok := findEvent(net, e, 3, m, to, enginetest.Epoch)
			if assert.True(t, ok, "%s: no %v event, want one at 60s", name, m) {
				assert.Equal(t, enginetest.Epoch.Add(engine.ChurnDetectionTime), ev.Time, "%s: %v event %v, want at 60s", name, m, ev)
				assert.Equal(t, engine.ReasonChurn, ev.Reason, "%s: %v event %v", name, m, ev)
			}
		}
	}

	silent := net.Now
	adm, _ = b.PortAdmin(1)
	adm.Silent = true
	require.NoError(t, b.SetPortAdmin(net.Now, 1, adm))
	run(t, net, 2*time.Minute)
	out, ok := findEvent(net, a, 1, engine.MachinePartnerChurn, engine.PartnerChurnMonitor, silent)
	require.True(t, ok, "no partner churn monitor event")
	require.Equal(t, engine.ReasonPartnerOutOfSync, out.Reason, "partner churn monitor event %v", out)
	churn, ok := findEvent(net, a, 1, engine.MachinePartnerChurn, engine.PartnerChurn, silent)
	if assert.True(t, ok, "no partner churn, want 60s after %v", out.Time) {
		assert.Equal(t, out.Time.Add(engine.ChurnDetectionTime), churn.Time, "partner churn at %v, want 60s after %v", churn.Time, out.Time)
	}
	// Defaulted, the port left the LAG for an Individual aggregator that
	// is not the active one, so it withdrew its own Synchronization and
	// churns too.
	s := status(t, a, 1)
	assert.Equal(t, engine.ActorChurn, s.ActorChurn, "A port 1 after its partner went silent: %+v", s)
	assert.False(t, s.AggregatorActive, "A port 1 after its partner went silent: %+v", s)
	assert.NotEqual(t, status(t, a, 2).Aggregator, s.Aggregator, "A port 1 after its partner went silent: %+v", s)
}

// With Stable (ad_select=stable, Linux's default), a port of a two-port
// LAG whose key goes wrong leaves the LAG, whichever port it is, and the
// other keeps carrying it; with count semantics the tie goes to the lowest
// aggregator number, which may be the wrong-key port's new one.
func TestStableKeepsTheActiveAggregator(t *testing.T) {
	t.Parallel()
	for _, bad := range []uint16{1, 2} {
		stable := func(c *engine.Config) { c.Stable = true }
		a, b := newEngine(t, sysA, 2, stable), newEngine(t, sysB, 2, stable)
		net := enginetest.New()
		// Port 2 first: its aggregator is numbered 2, and port 1 joins
		// it; a port 1 that leaves then gets aggregator 1, the lower.
		connect(t, net, a, b, 2, time.Millisecond)
		runUntil(t, net, time.Minute, bothWays(a, b, 2))
		connect(t, net, a, b, 1, time.Millisecond)
		runUntil(t, net, time.Minute, bothWays(a, b, 1, 2))
		adm, err := b.PortAdmin(bad)
		require.NoError(t, err)
		adm.Key = 99
		require.NoError(t, b.SetPortAdmin(net.Now, bad, adm))
		run(t, net, 10*time.Second)
		good := 3 - bad
		for name, e := range map[string]*engine.Engine{"A": a, "B": b} {
			assert.True(t, usable(e, good), "%s: port %d (key unchanged) not usable after port %d's key changed", name, good, bad)
			assert.False(t, status(t, e, bad).Collecting(), "%s: wrong-key port %d collects", name, bad)
			checkInvariants(t, e)
		}
	}
}
