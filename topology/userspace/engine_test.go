package userspace

import (
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/lacp"
)

// wire connects two controls' ports pairwise (a's "p0" to b's "p0", ...) in
// virtual time: whatever one sends, the other receives at once.
type wire struct {
	t      *testing.T
	now    time.Time
	a, b   control
	states map[control]map[string]portState
}

func (w *wire) apply(from control, acts actions) {
	w.t.Helper()
	to := w.b
	if from == w.b {
		to = w.a
	}
	for _, st := range acts.states {
		w.states[from][st.port] = st
	}
	for _, s := range acts.send {
		require.NotEmpty(w.t, s.port, "control sent a frame on a port it cannot name")
		w.apply(to, to.receive(s.port, s.frame, w.now))
	}
}

// runUntil advances virtual time deadline by deadline until ok or limit.
func (w *wire) runUntil(limit time.Duration, ok func() bool) bool {
	end := w.now.Add(limit)
	for !ok() {
		next := end
		for _, c := range []control{w.a, w.b} {
			if d := c.deadline(); !d.IsZero() && d.Before(next) {
				next = d
			}
		}
		if !next.Before(end) {
			return ok()
		}
		w.now = next
		w.apply(w.a, w.a.advance(w.now))
		w.apply(w.b, w.b.advance(w.now))
	}
	return true
}

func (w *wire) usable(c control, ports ...string) bool {
	for _, p := range ports {
		st := w.states[c][p]
		if !st.collecting || !st.distributing || !st.partner.Has(lacp.StateSynchronization) {
			return false
		}
	}
	return true
}

func newTestControl(t *testing.T, mac string, key uint16) control {
	t.Helper()
	m, _ := net.ParseMAC(mac)
	c, err := newEngineControl(LAGConfig{Name: "dxlag-v", SystemMAC: m, Key: key}, time.Now(), slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	return c
}

func TestEngineControlConvergesInVirtualTime(t *testing.T) {
	t.Parallel()
	a := newTestControl(t, "02:dd:00:00:00:01", 7)
	b := newTestControl(t, "02:cc:00:00:00:01", 9)
	w := &wire{t: t, now: time.Unix(1_700_000_000, 0), a: a, b: b,
		states: map[control]map[string]portState{a: {}, b: {}}}
	ports := []string{"p0", "p1"}
	for i, p := range ports {
		mac := net.HardwareAddr{2, 0, 0, 0, 0, byte(i + 1)}
		w.apply(a, a.addPort(portID{name: p, mac: mac, number: uint16(i + 1)}, true, w.now))
		w.apply(b, b.addPort(portID{name: p, mac: mac, number: uint16(i + 1)}, true, w.now))
	}
	ok := w.runUntil(time.Minute, func() bool { return w.usable(a, ports...) && w.usable(b, ports...) })
	require.True(t, ok, "no convergence in a virtual minute: a %+v b %+v", w.states[a], w.states[b])

	// One side's link goes down: that side stops using the port at once,
	// the other once it times the partner out (3 s short timeout).
	w.apply(a, a.setLink("p1", false, w.now))
	assert.False(t, w.states[a]["p1"].collecting, "a still collects on a port whose link is down")
	ok = w.runUntil(time.Minute, func() bool { return !w.states[b]["p1"].distributing })
	require.True(t, ok, "b kept distributing on a port whose partner went silent")
	w.apply(a, a.setLink("p1", true, w.now))
	ok = w.runUntil(time.Minute, func() bool { return w.usable(a, ports...) && w.usable(b, ports...) })
	require.True(t, ok, "no convergence after the link came back")

	// A removed port is forgotten: no state, no frames for it.
	acts := a.removePort("p0", w.now)
	for _, s := range acts.send {
		assert.NotEqual(t, "p0", s.port, "control sent on a removed port")
	}
	for _, st := range acts.states {
		assert.NotEqual(t, "p0", st.port, "control reported a removed port")
	}
}

func TestEngineControlNeedsSystemMAC(t *testing.T) {
	t.Parallel()
	_, err := newEngineControl(LAGConfig{Name: "dxlag-v"}, time.Now(), slog.New(slog.DiscardHandler))
	require.Error(t, err, "an engine without a system MAC was made")
}

func TestEngineControlFaults(t *testing.T) {
	t.Parallel()
	a := newTestControl(t, "02:dd:00:00:00:01", 7)
	b := newTestControl(t, "02:cc:00:00:00:01", 9)
	w := &wire{t: t, now: time.Unix(1_700_000_000, 0), a: a, b: b,
		states: map[control]map[string]portState{a: {}, b: {}}}
	ports := []string{"p0", "p1"}
	for i, p := range ports {
		mac := net.HardwareAddr{2, 0, 0, 0, 0, byte(i + 1)}
		w.apply(a, a.addPort(portID{name: p, mac: mac, number: uint16(i + 1)}, true, w.now))
		w.apply(b, b.addPort(portID{name: p, mac: mac, number: uint16(i + 1)}, true, w.now))
	}
	converged := func() bool { return w.usable(a, ports...) && w.usable(b, ports...) }
	require.True(t, w.runUntil(time.Minute, converged), "no convergence")
	for _, tc := range []struct {
		name  string
		fault Fault
	}{
		{"silent", Fault{Silent: true}},
		{"wrong key", Fault{Key: 99}},
	} {
		// The cases run in turn on one pair of controls, each starting from
		// where the last left them.
		t.Run(tc.name, func(t *testing.T) {
			parent := w.t
			w.t = t
			defer func() { w.t = parent }()
			acts, err := a.setFault("p0", tc.fault, w.now)
			require.NoError(t, err)
			w.apply(a, acts)
			ok := w.runUntil(time.Minute, func() bool { return !w.states[b]["p0"].distributing })
			assert.True(t, ok, "the partner kept distributing on p0")
			assert.True(t, w.usable(b, "p1"), "the fault on p0 took p1 out too")
			acts, err = a.setFault("p0", Fault{}, w.now)
			require.NoError(t, err)
			w.apply(a, acts)
			require.True(t, w.runUntil(time.Minute, converged), "no convergence after the fault was cleared")
		})
		// The next case needs the controls converged again.
		if !converged() {
			t.FailNow()
		}
	}
	_, err := a.setFault("p9", Fault{Silent: true}, w.now)
	assert.ErrorIs(t, err, ErrNotFound, "fault on an unknown member")
	_, err = newStaticControl().setFault("p0", Fault{}, w.now)
	assert.ErrorIs(t, err, ErrUnsupported, "fault on a static LAG")
}
