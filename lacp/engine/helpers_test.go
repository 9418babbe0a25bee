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

var (
	sysA = lacp.SystemID{0x02, 0xdc, 0, 0, 0, 0xa}
	sysB = lacp.SystemID{0x02, 0xc0, 0, 0, 0, 0xb}
)

func mac(sys lacp.SystemID, port uint16) []byte {
	return []byte{sys[0], sys[1], sys[2], sys[3], byte(port >> 8), byte(port)}
}

// newEngine makes an engine for sys with ports 1..n, down.
func newEngine(t testing.TB, sys lacp.SystemID, n int, tweak func(*engine.Config)) *engine.Engine {
	t.Helper()
	cfg := engine.Config{System: sys, Key: 15}
	if tweak != nil {
		tweak(&cfg)
	}
	e, err := engine.New(cfg)
	require.NoError(t, err)
	for i := 1; i <= n; i++ {
		require.NoError(t, e.AddPort(enginetest.Epoch, engine.PortConfig{Number: uint16(i), MAC: mac(sys, uint16(i))}))
	}
	return e
}

// pair links ports 1..n of a to the same ports of b, each with delay, all
// at the Net's current time.
func pair(t testing.TB, net *enginetest.Net, a, b *engine.Engine, n int, delay time.Duration) {
	t.Helper()
	for i := 1; i <= n; i++ {
		connect(t, net, a, b, uint16(i), delay)
	}
}

func connect(t testing.TB, net *enginetest.Net, a, b *engine.Engine, port uint16, delay time.Duration) {
	t.Helper()
	require.NoError(t, net.Connect(enginetest.End{Engine: a, Port: port}, enginetest.End{Engine: b, Port: port}, delay))
}

func status(t testing.TB, e *engine.Engine, port uint16) engine.PortStatus {
	t.Helper()
	s, err := e.Port(port)
	require.NoError(t, err)
	return s
}

// usable reports whether every listed port of e collects and distributes.
func usable(e *engine.Engine, ports ...uint16) bool {
	for _, n := range ports {
		s, err := e.Port(n)
		if err != nil || s.Mux != engine.MuxCollectingDistributing || !s.Collecting() || !s.Distributing() {
			return false
		}
	}
	return true
}

// bothWays reports whether the listed ports are usable on both engines.
func bothWays(a, b *engine.Engine, ports ...uint16) func() bool {
	return func() bool { return usable(a, ports...) && usable(b, ports...) }
}

// runUntil runs net until cond or limit (relative to now) and fails the
// test if cond never holds; it returns how long that took.
func runUntil(t testing.TB, net *enginetest.Net, limit time.Duration, cond func() bool) time.Duration {
	t.Helper()
	start := net.Now
	at, ok, err := net.RunUntil(start.Add(limit), cond)
	require.NoError(t, err)
	require.True(t, ok, "condition not reached within %v", limit)
	return at.Sub(start)
}

func run(t testing.TB, net *enginetest.Net, d time.Duration) {
	t.Helper()
	require.NoError(t, net.RunFor(d))
}

// checkInvariants checks what must hold of every port at any time, and
// the engine's internal bookkeeping.
func checkInvariants(t testing.TB, e *engine.Engine) {
	t.Helper()
	assert.NoError(t, engine.CheckInternal(e))
	for _, s := range e.Ports() {
		attached := s.Mux != engine.MuxDetached
		assert.Equal(t, attached, s.Aggregator != 0, "port %d: mux %v with aggregator %d", s.Number, s.Mux, s.Aggregator)
		assert.Equal(t, s.Mux == engine.MuxCollectingDistributing, s.Collecting(), "port %d: mux %v with actor state %v", s.Number, s.Mux, s.Actor.State)
		assert.Equal(t, s.Collecting(), s.Distributing(), "port %d: mux %v with actor state %v", s.Number, s.Mux, s.Actor.State)
		if s.Mux == engine.MuxCollectingDistributing {
			assert.True(t, s.Partner.State.Has(lacp.StateSynchronization),
				"port %d: collecting and distributing with partner %v, aggregator active %v", s.Number, s.Partner, s.AggregatorActive)
			assert.True(t, s.AggregatorActive,
				"port %d: collecting and distributing with partner %v, aggregator active %v", s.Number, s.Partner, s.AggregatorActive)
		}
		if !s.Enabled {
			assert.Equal(t, engine.MuxDetached, s.Mux, "port %d disabled but mux %v, receive %v", s.Number, s.Mux, s.Receive)
			assert.Equal(t, engine.RxPortDisabled, s.Receive, "port %d disabled but mux %v, receive %v", s.Number, s.Mux, s.Receive)
		}
	}
}

// findEvent returns the first recorded event of e's port that matches.
func findEvent(net *enginetest.Net, e *engine.Engine, port uint16, m engine.Machine, to engine.MachineState, after time.Time) (engine.Event, bool) {
	for _, r := range net.Events {
		if r.Engine == e && r.Port == port && r.Machine == m && r.To == to && !r.Time.Before(after) {
			return r.Event, true
		}
	}
	return engine.Event{}, false
}
