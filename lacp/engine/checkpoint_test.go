package engine_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/lacp"
	"github.com/dxsim/dxsim/lacp/engine"
	"github.com/dxsim/dxsim/lacp/engine/enginetest"
)

// roundTrip checkpoints e, through JSON, and resumes it at now.
func roundTrip(t *testing.T, e *engine.Engine, cfg engine.Config, now time.Time) *engine.Engine {
	t.Helper()
	b, err := json.Marshal(e.Checkpoint())
	require.NoError(t, err)
	var cp engine.Checkpoint
	require.NoError(t, json.Unmarshal(b, &cp))
	r, err := engine.Resume(cfg, now, cp)
	require.NoError(t, err)
	require.NoError(t, engine.CheckInternal(r))
	return r
}

// TestCheckpointResume converges two Systems, stops both (a process
// restart), resumes both from their checkpoints 300 ms later and checks
// that every port stays collecting and distributing, that each sends its
// LACPDU at once, and that nothing renegotiates over the next 10 s.
func TestCheckpointResume(t *testing.T) {
	cfgA, cfgB := engine.Config{System: sysA, Key: 15}, engine.Config{System: sysB, Key: 15}
	net := enginetest.New()
	a, b := newEngine(t, sysA, 2, nil), newEngine(t, sysB, 2, nil)
	pair(t, net, a, b, 2, time.Millisecond)
	require.NoError(t, net.RunFor(5*time.Second))
	require.True(t, usable(a, 1, 2) && usable(b, 1, 2), "converged before the checkpoint")
	before := a.Ports()

	resumeAt := net.Now.Add(300 * time.Millisecond)
	a2, b2 := roundTrip(t, a, cfgA, resumeAt), roundTrip(t, b, cfgB, resumeAt)
	assert.True(t, usable(a2, 1, 2) && usable(b2, 1, 2), "collecting and distributing straight after Resume")
	for i, p := range a2.Ports() {
		assert.Equal(t, before[i].Actor, p.Actor, "port %d Actor", p.Number)
		assert.Equal(t, before[i].Partner, p.Partner, "port %d Partner", p.Number)
		assert.Equal(t, before[i].Mux, p.Mux, "port %d mux", p.Number)
		assert.Equal(t, before[i].Aggregator, p.Aggregator, "port %d aggregator", p.Number)
		assert.True(t, p.AggregatorActive, "port %d aggregator active", p.Number)
	}
	tx := a2.AppendTransmits(nil)
	require.Len(t, tx, 2, "a LACPDU on each port at once")
	for _, x := range tx {
		cd := lacp.StateSynchronization | lacp.StateCollecting | lacp.StateDistributing
		assert.True(t, x.LACPDU.Actor.State.Has(cd), "port %d says %s", x.Port, x.LACPDU.Actor.State)
	}
	d, ok := a2.NextDeadline()
	require.True(t, ok)
	assert.Equal(t, resumeAt.Add(engine.FastPeriodicTime), d, "the periodic timer restarts at the resume")

	// The resumed pair talks on; no machine moves.
	net2 := enginetest.New()
	net2.Now = resumeAt
	pair(t, net2, a2, b2, 2, time.Millisecond)
	require.NoError(t, net2.RunFor(10*time.Second))
	for _, r := range net2.Events {
		assert.NotEqual(t, engine.MachineMux, r.Machine, "mux moved after the resume: %v", r.Event)
		assert.NotEqual(t, engine.MachineSelection, r.Machine, "selection moved after the resume: %v", r.Event)
	}
	assert.True(t, usable(a2, 1, 2) && usable(b2, 1, 2))
}

// TestResumeStalePartner resumes one side only: its Partner went on
// without it and timed it out. The Partner's first LACPDU takes the resumed
// ports out of collecting and distributing, and the two converge again, as
// from scratch.
func TestResumeStalePartner(t *testing.T) {
	cfgA := engine.Config{System: sysA, Key: 15}
	net := enginetest.New()
	a, b := newEngine(t, sysA, 1, nil), newEngine(t, sysB, 1, nil)
	pair(t, net, a, b, 1, time.Millisecond)
	require.NoError(t, net.RunFor(5*time.Second))
	cp := a.Checkpoint()
	// A is gone for 5 s: B times it out (3 s) and defaults.
	require.NoError(t, net.Disconnect(enginetest.End{Engine: a, Port: 1}))
	require.NoError(t, b.SetPortUp(net.Now, 1, true))
	require.NoError(t, net.RunFor(5*time.Second))
	require.False(t, usable(b, 1))

	a2, err := engine.Resume(cfgA, net.Now, cp)
	require.NoError(t, err)
	net2 := enginetest.New()
	net2.Now = net.Now
	pair(t, net2, a2, b, 1, time.Millisecond)
	require.NoError(t, net2.RunFor(50*time.Millisecond))
	assert.False(t, usable(a2, 1), "a Partner out of sync takes the resumed port out")
	at, ok, err := net2.RunUntil(net2.Now.Add(10*time.Second), func() bool { return usable(a2, 1) && usable(b, 1) })
	require.NoError(t, err)
	require.True(t, ok, "converged again")
	t.Logf("converged again %v after the resume", at.Sub(net.Now))
}

func TestResumeRefusesAnotherSystem(t *testing.T) {
	a := newEngine(t, sysA, 1, nil)
	_, err := engine.Resume(engine.Config{System: sysB, Key: 15}, enginetest.Epoch, a.Checkpoint())
	assert.True(t, errors.Is(err, engine.ErrInvalid), "%v", err)

	cp := a.Checkpoint()
	cp.Ports = append(cp.Ports, cp.Ports[0])
	_, err = engine.Resume(engine.Config{System: sysA, Key: 15}, enginetest.Epoch, cp)
	assert.True(t, errors.Is(err, engine.ErrInvalid), "a port twice: %v", err)
}

// TestCheckpointResumeLinuxTicks is TestCheckpointResume in the Linux
// timing mode: the resumed engines tick from the resume, send their
// LACPDUs at the first tick, and nothing renegotiates.
func TestCheckpointResumeLinuxTicks(t *testing.T) {
	net, a, b := linuxPair(t, 2, 37*time.Millisecond, nil)
	pair(t, net, a, b, 2, time.Millisecond)
	runUntil(t, net, 15*time.Second, bothWays(a, b, 1, 2))
	require.NoError(t, net.RunFor(5*time.Second))

	resumeAt := net.Now.Add(300 * time.Millisecond)
	cfgA := engine.Config{System: sysA, Key: 15, Tick: engine.LinuxTick}
	cfgB := engine.Config{System: sysB, Key: 15, Tick: engine.LinuxTick}
	a2, b2 := roundTrip(t, a, cfgA, resumeAt), roundTrip(t, b, cfgB, resumeAt)
	assert.True(t, usable(a2, 1, 2) && usable(b2, 1, 2), "collecting and distributing straight after Resume")
	d, ok := a2.NextDeadline()
	require.True(t, ok)
	assert.Equal(t, resumeAt.Add(engine.LinuxTick), d, "the first tick after the resume")

	net2 := enginetest.New()
	net2.Now = resumeAt
	s := recordSent(net2)
	pair(t, net2, a2, b2, 2, time.Millisecond)
	require.NoError(t, net2.RunFor(10*time.Second))
	for _, e := range []*engine.Engine{a2, b2} {
		for _, port := range []uint16{1, 2} {
			first, ok := firstSent(*s, e, port, resumeAt)
			require.True(t, ok, "port %d never sent after the resume", port)
			assert.Equal(t, resumeAt.Add(engine.LinuxTick), first, "port %d's first LACPDU after the resume", port)
		}
	}
	for _, r := range net2.Events {
		assert.NotEqual(t, engine.MachineMux, r.Machine, "mux moved after the resume: %v", r.Event)
		assert.NotEqual(t, engine.MachineSelection, r.Machine, "selection moved after the resume: %v", r.Event)
	}
	assert.True(t, usable(a2, 1, 2) && usable(b2, 1, 2))
	checkInvariantsLinux(t, a2)
	checkInvariantsLinux(t, b2)
}
