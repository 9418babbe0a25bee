package engine_test

import (
	"testing"
	"time"

	"github.com/dxsim/dxsim/lacp"
	"github.com/dxsim/dxsim/lacp/engine"
	"github.com/dxsim/dxsim/lacp/engine/enginetest"
)

const benchPorts = 1000

// benchLAG returns an engine with benchPorts ports converged with a partner,
// the partner's steady-state PDU for each port, and the time it converged.
func benchLAG(b *testing.B) (*engine.Engine, []lacp.LACPDU, time.Time) {
	b.Helper()
	a, p := newEngine(b, sysA, benchPorts, nil), newEngine(b, sysB, benchPorts, nil)
	net := enginetest.New()
	pair(b, net, a, p, benchPorts, 0)
	ports := make([]uint16, benchPorts)
	for i := range ports {
		ports[i] = uint16(i + 1)
	}
	runUntil(b, net, time.Minute, bothWays(a, p, ports...))
	pdus := make([]lacp.LACPDU, benchPorts)
	for i := range pdus {
		sa, sp := status(b, a, uint16(i+1)), status(b, p, uint16(i+1))
		pdus[i] = lacp.LACPDU{Version: lacp.Version, Actor: sp.Actor, Partner: sa.Actor}
	}
	return a, pdus, net.Now
}

// BenchmarkTick1000Ports is one periodic tick of a 1,000-port LAG in its
// steady state: every port's periodic timer runs out, so every port
// transmits, and every port receives its partner's LACPDU.
func BenchmarkTick1000Ports(b *testing.B) {
	e, pdus, now := benchLAG(b)
	out := make([]engine.Transmit, 0, 2*benchPorts)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, cpuOK := cpuTime()
	for range b.N {
		now = now.Add(engine.FastPeriodicTime)
		e.Advance(now)
		for i := range pdus {
			if err := e.Receive(now, uint16(i+1), &pdus[i]); err != nil {
				b.Fatal(err)
			}
		}
		out = e.AppendTransmits(out[:0])
		if len(out) != benchPorts {
			b.Fatalf("%d transmits, want %d", len(out), benchPorts)
		}
	}
	if cpu1, ok := cpuTime(); ok && cpuOK {
		b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkIdleAdvance1000Ports is an Advance with nothing due: the cost a
// driver pays for waking early.
func BenchmarkIdleAdvance1000Ports(b *testing.B) {
	e, _, now := benchLAG(b)
	e.Advance(now)
	e.AppendTransmits(nil)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		e.Advance(now)
	}
}
