package engine_test

import (
	"testing"
	"time"

	"github.com/dxsim/dxsim/lacp"
	"github.com/dxsim/dxsim/lacp/engine"
	"github.com/dxsim/dxsim/lacp/engine/enginetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const tick = engine.LinuxTick

// linuxPair is two Linux-mode engines with n ports each, down, on a Net.
// B's ticks lag A's by phase: two kernels' handlers do not tick together.
func linuxPair(t testing.TB, n int, phase time.Duration, tweak func(*engine.Config)) (*enginetest.Net, *engine.Engine, *engine.Engine) {
	t.Helper()
	net := enginetest.New()
	mk := func(sys lacp.SystemID) *engine.Engine {
		cfg := engine.Config{System: sys, Key: 15, Tick: tick}
		if tweak != nil {
			tweak(&cfg)
		}
		e, err := engine.New(cfg)
		require.NoError(t, err)
		for i := 1; i <= n; i++ {
			require.NoError(t, e.AddPort(net.Now, engine.PortConfig{Number: uint16(i), MAC: mac(sys, uint16(i))}))
		}
		net.Add(e)
		return e
	}
	a := mk(sysA)
	run(t, net, phase)
	b := mk(sysB)
	return net, a, b
}

// sent records every LACPDU the Net carries.
type sent struct {
	from *engine.Engine
	port uint16
	at   time.Time
	pdu  lacp.LACPDU
}

func recordSent(net *enginetest.Net) *[]sent {
	var s []sent
	net.Log = func(f enginetest.Frame) {
		if f.Transmit.Kind == engine.TransmitLACPDU {
			s = append(s, sent{from: f.From.Engine, port: f.From.Port, at: f.Sent, pdu: f.Transmit.LACPDU})
		}
	}
	return &s
}

// firstSent is when e first sent on port at or after from.
func firstSent(s []sent, e *engine.Engine, port uint16, from time.Time) (time.Time, bool) {
	for _, x := range s {
		if x.from == e && x.port == port && !x.at.Before(from) {
			return x.at, true
		}
	}
	return time.Time{}, false
}

// inTicks is d in ticks, for messages.
func inTicks(d time.Duration) float64 { return float64(d) / float64(tick) }

// A third member joining a running two-member LAG between two Linux-mode
// engines: each side's first LACPDU goes on the third tick after the port
// came up (bind sets sm_tx_timer_counter to 3), so 200-300 ms after; both
// sides collect and distribute once the 2 s wait_while has run from the
// WAITING entry on the second tick, the ATTACHED entry's PDU has gone on a
// transmit tick and the Partner's tick has taken it: 23 to 27 ticks after
// link up. A kernel bond measured 2.5-2.8 s (each tick there took about
// 105 ms).
func TestLinuxTickThirdMemberJoins(t *testing.T) {
	t.Parallel()
	for _, phase := range []time.Duration{0, 1 * time.Millisecond, 37 * time.Millisecond, 99 * time.Millisecond} {
		net, a, b := linuxPair(t, 2, phase, nil)
		s := recordSent(net)
		pair(t, net, a, b, 2, 0)
		runUntil(t, net, 15*time.Second, bothWays(a, b, 1, 2))
		run(t, net, 10*time.Second+13*time.Millisecond) // off the ticks

		// Enslaving: the port joins the bond, then comes up.
		up := net.Now
		for _, e := range []*engine.Engine{a, b} {
			require.NoError(t, e.AddPort(up, engine.PortConfig{Number: 3}))
		}
		connect(t, net, a, b, 3, 0)
		took := runUntil(t, net, 5*time.Second, bothWays(a, b, 3))
		t.Logf("phase %v: port 3 collecting and distributing on both sides %v after link up (%.1f ticks)", phase, took, inTicks(took))
		assert.GreaterOrEqual(t, took, 23*tick, "phase %v", phase)
		assert.LessOrEqual(t, took, 27*tick, "phase %v", phase)
		assert.True(t, usable(a, 1, 2) && usable(b, 1, 2), "phase %v: the first two members left the LAG", phase)
		for _, e := range []*engine.Engine{a, b} {
			first, ok := firstSent(*s, e, 3, up)
			require.True(t, ok, "phase %v: port 3 never sent", phase)
			d := first.Sub(up)
			t.Logf("phase %v: first LACPDU %v after link up", phase, d)
			assert.Greater(t, d, 2*tick, "phase %v", phase)
			assert.LessOrEqual(t, d, 3*tick, "phase %v", phase)
		}
		checkInvariantsLinux(t, a)
		checkInvariantsLinux(t, b)
	}
}

// The first member of a new LAG with Linux's 8 s aggregator selection
// timer: nothing collects before tick 80 after the port was added, and the
// partners are in sync well before, so both go at tick 80 (A's, then B's
// at its own tick 80, the phase later); each says so on its next transmit
// tick. A kernel bond measured 8.3 s.
func TestLinuxTickFirstMemberSelectionDelay(t *testing.T) {
	t.Parallel()
	const phase = 42 * time.Millisecond
	net, a, b := linuxPair(t, 1, phase, func(c *engine.Config) { c.SelectionDelay = engine.LinuxSelectionDelay })
	added := net.Now.Add(-phase) // A's ports; B's came phase later
	s := recordSent(net)
	pair(t, net, a, b, 1, 0)
	took := runUntil(t, net, 20*time.Second, bothWays(a, b, 1))
	since := net.Now.Sub(added)
	t.Logf("collecting and distributing on both sides %v after link up, %v after A's port was added", took, since)
	assert.Equal(t, 80*tick+phase, since, "want B's tick 80")
	run(t, net, time.Second)
	for _, e := range []*engine.Engine{a, b} {
		var said time.Time
		for _, x := range *s {
			if x.from == e && x.pdu.Actor.State.Has(lacp.StateCollecting|lacp.StateDistributing) {
				said = x.at
				break
			}
		}
		require.False(t, said.IsZero())
		t.Logf("first LACPDU saying so %v after link up", said.Sub(added.Add(phase)))
		assert.WithinRange(t, said, added.Add(80*tick), added.Add(83*tick+phase))
	}
}

// checkInvariantsLinux is checkInvariants for the Linux timing mode, where
// a DETACHED port may already be in the aggregator the selection logic
// chose.
func checkInvariantsLinux(t testing.TB, e *engine.Engine) {
	t.Helper()
	assert.NoError(t, engine.CheckInternal(e))
	for _, s := range e.Ports() {
		if s.Mux != engine.MuxDetached {
			assert.NotZero(t, s.Aggregator, "port %d: mux %v without an aggregator", s.Number, s.Mux)
		}
		assert.Equal(t, s.Mux == engine.MuxCollectingDistributing, s.Collecting(), "port %d: mux %v with actor state %v", s.Number, s.Mux, s.Actor.State)
		if s.Mux == engine.MuxCollectingDistributing {
			assert.True(t, s.Partner.State.Has(lacp.StateSynchronization), "port %d", s.Number)
			assert.True(t, s.AggregatorActive, "port %d", s.Number)
		}
		if !s.Enabled {
			assert.Equal(t, engine.MuxDetached, s.Mux, "port %d disabled but mux %v", s.Number, s.Mux)
		}
	}
}

// In the Linux timing mode a port sends at most one LACPDU every three
// ticks, and every transmission and every mux change falls on one of its
// engine's ticks, whatever happens: members joining, a key going wrong and
// back, a flapping member, a cable pulled and put back. (A link going down
// is the exception the package doc names: the engine detaches the port at
// once.)
func TestLinuxTickPacing(t *testing.T) {
	t.Parallel()
	const phase = 61 * time.Millisecond
	net, a, b := linuxPair(t, 3, phase, nil)
	tickBase := map[*engine.Engine]time.Time{a: enginetest.Epoch, b: enginetest.Epoch.Add(phase)}
	s := recordSent(net)
	pair(t, net, a, b, 2, 0)
	run(t, net, 1234*time.Millisecond)
	connect(t, net, a, b, 3, 0)
	runUntil(t, net, 15*time.Second, bothWays(a, b, 1, 2, 3))
	run(t, net, 3*time.Second+7*time.Millisecond)

	admin, err := a.PortAdmin(2)
	require.NoError(t, err)
	wrong := admin
	wrong.Key = 99
	require.NoError(t, a.SetPortAdmin(net.Now, 2, wrong))
	run(t, net, 5*time.Second+3*time.Millisecond)
	require.NoError(t, a.SetPortAdmin(net.Now, 2, admin))
	runUntil(t, net, 10*time.Second, bothWays(a, b, 1, 2, 3))

	flap := admin
	flap.Flap = engine.Flap{Up: 1500 * time.Millisecond, Down: 430 * time.Millisecond}
	require.NoError(t, b.SetPortAdmin(net.Now, 3, flap))
	run(t, net, 9*time.Second)
	require.NoError(t, b.SetPortAdmin(net.Now, 3, admin))
	require.NoError(t, net.SetLink(enginetest.End{Engine: a, Port: 1}, false))
	run(t, net, 2*time.Second+17*time.Millisecond)
	require.NoError(t, net.SetLink(enginetest.End{Engine: a, Port: 1}, true))
	took := runUntil(t, net, 10*time.Second, bothWays(a, b, 1, 2, 3))
	t.Logf("after the cable went back, all three members collect and distribute again in %v", took)

	onTick := func(e *engine.Engine, at time.Time) bool { return at.Sub(tickBase[e])%tick == 0 }
	last := map[enginetest.End]time.Time{}
	for _, x := range *s {
		assert.True(t, onTick(x.from, x.at), "port %d sent at %v, off its engine's ticks", x.port, x.at.Sub(tickBase[x.from]))
		end := enginetest.End{Engine: x.from, Port: x.port}
		if l, ok := last[end]; ok {
			assert.GreaterOrEqual(t, x.at.Sub(l), 3*tick, "port %d sent %v after its last", x.port, x.at.Sub(l))
		}
		last[end] = x.at
	}
	assert.Greater(t, len(*s), 100)
	mux := 0
	for _, r := range net.Events {
		if r.Machine != engine.MachineMux || r.Reason == engine.ReasonPortDown || r.Reason == engine.ReasonFlap {
			continue
		}
		mux++
		assert.True(t, onTick(r.Engine, r.Time), "%v at %v, off its engine's ticks", r.Event, r.Time.Sub(tickBase[r.Engine]))
	}
	t.Logf("%d LACPDUs and %d mux changes, all on ticks", len(*s), mux)
	checkInvariantsLinux(t, a)
	checkInvariantsLinux(t, b)
}

// A LAG in its steady state wakes its driver only when a timer runs out
// or a port has something to send: a few times a second, not at every
// tick.
func TestLinuxTickIdleWakeups(t *testing.T) {
	t.Parallel()
	net, a, b := linuxPair(t, 2, 50*time.Millisecond, nil)
	pair(t, net, a, b, 2, 0)
	runUntil(t, net, 15*time.Second, bothWays(a, b, 1, 2))
	run(t, net, 5*time.Second)
	wakeups := 0
	const span = 10 * time.Second
	_, _, err := net.RunUntil(net.Now.Add(span), func() bool { wakeups++; return false })
	require.NoError(t, err)
	t.Logf("two engines of two ports: %d wakeups in %v (%d ticks each)", wakeups, span, span/tick)
	assert.Less(t, wakeups, int(span/tick))
}

// Removing a port in the Linux timing mode sends at once, off the ticks, a
// last LACPDU that withdraws the port from the LAG (bond_3ad_unbind_slave).
func TestLinuxTickUnbindSendsAtOnce(t *testing.T) {
	t.Parallel()
	net, a, b := linuxPair(t, 2, 30*time.Millisecond, nil)
	pair(t, net, a, b, 2, 0)
	runUntil(t, net, 15*time.Second, bothWays(a, b, 1, 2))
	run(t, net, 3*time.Second+41*time.Millisecond)
	a.AppendTransmits(nil)
	require.NoError(t, a.RemovePort(net.Now, 2))
	tx := a.AppendTransmits(nil)
	require.Len(t, tx, 1)
	assert.Equal(t, uint16(2), tx[0].Port)
	withdrawn := lacp.StateSynchronization | lacp.StateCollecting | lacp.StateDistributing | lacp.StateAggregation
	assert.Zero(t, tx[0].LACPDU.Actor.State&withdrawn, "actor state %v", tx[0].LACPDU.Actor.State)
	assert.NoError(t, engine.CheckInternal(a))
}

// A bond's handler ticks from when the bond came up (Config.TickFrom), not
// from its first port: a first port added between two ticks sends its
// first LACPDU on the third tick after (200-300 ms later, as on a kernel
// bond, not always 300), and the selection timer ends on the bond's 80th
// tick after the port was added.
func TestLinuxTickKeepsTheBondsPhase(t *testing.T) {
	t.Parallel()
	net := enginetest.New()
	upA, upB := net.Now.Add(-37*time.Millisecond), net.Now.Add(-1371*time.Millisecond)
	mk := func(sys lacp.SystemID, from time.Time) *engine.Engine {
		e, err := engine.New(engine.Config{System: sys, Key: 15, Tick: tick, TickFrom: from, SelectionDelay: engine.LinuxSelectionDelay})
		require.NoError(t, err)
		require.NoError(t, e.AddPort(net.Now, engine.PortConfig{Number: 1, MAC: mac(sys, 1)}))
		net.Add(e)
		return e
	}
	a, b := mk(sysA, upA), mk(sysB, upB)
	added := net.Now
	s := recordSent(net)
	pair(t, net, a, b, 1, 0)
	took := runUntil(t, net, 20*time.Second, bothWays(a, b, 1))
	for _, x := range []struct {
		e    *engine.Engine
		want time.Duration // the bond's third tick after the port was added
	}{{a, 3*tick - 37*time.Millisecond}, {b, 3*tick - 71*time.Millisecond}} {
		first, ok := firstSent(*s, x.e, 1, added)
		require.True(t, ok)
		assert.Equal(t, x.want, first.Sub(added), "first LACPDU after the port was added")
	}
	// Both collect and distribute once the later of the two selection
	// timers has ended: A's, at its 80th tick after the port was added.
	assert.Equal(t, 80*tick-37*time.Millisecond, took, "collecting and distributing on both sides")
	checkInvariantsLinux(t, a)
	checkInvariantsLinux(t, b)
}
