package engine_test

import (
	"fmt"
	"net"
	"time"

	"github.com/dxsim/dxsim/lacp"
	"github.com/dxsim/dxsim/lacp/engine"
)

// A driver owns the clock and the sockets. It feeds the engine what it
// receives, sends what the engine returns, applies its decisions, and
// sleeps until NextDeadline or the next frame. Here two engines stand in for
// a bond and a customer router, their ports wired by hand, with time passed
// in rather than slept.
func Example() {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	dx, _ := engine.New(engine.Config{System: lacp.SystemID{2, 0xdc, 0, 0, 0, 1}, Key: 15})
	router, _ := engine.New(engine.Config{System: lacp.SystemID{2, 0xc0, 0, 0, 0, 1}, Key: 15, Passive: true})
	for _, e := range []*engine.Engine{dx, router} {
		_ = e.AddPort(start, engine.PortConfig{Number: 1, MAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}})
		_ = e.SetPortUp(start, 1, true)
	}
	peer := map[*engine.Engine]*engine.Engine{dx: router, router: dx}
	name := map[*engine.Engine]string{dx: "dx", router: "router"}

	var out []engine.Transmit
	var events []engine.Event
	var frame []byte
	now := start
	for now.Before(start.Add(5 * time.Second)) {
		// Send what each engine returned: here, straight into its peer.
		for sent := true; sent; {
			sent = false
			for _, e := range []*engine.Engine{dx, router} {
				out = e.AppendTransmits(out[:0])
				for i := range out {
					frame, _ = out[i].AppendFrame(frame[:0])
					_ = peer[e].ReceiveFrame(now, out[i].Port, frame)
					sent = true
				}
			}
		}
		for _, e := range []*engine.Engine{dx, router} {
			events = e.AppendEvents(events[:0])
			for _, ev := range events {
				if usable, ok := ev.Decision(); ok {
					fmt.Printf("%v %s port %d usable=%v\n", ev.Time.Sub(start), name[e], ev.Port, usable)
				}
			}
		}
		// Sleep until the earliest deadline, then wake the engines.
		next := start.Add(5 * time.Second)
		for _, e := range []*engine.Engine{dx, router} {
			if d, ok := e.NextDeadline(); ok && d.Before(next) {
				next = d
			}
		}
		now = next
		dx.Advance(now)
		router.Advance(now)
	}
	// Output:
	// 2s dx port 1 usable=true
	// 2s router port 1 usable=true
}
