package sim_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/simtest"
)

// TestCloseLeavesNoGoroutines: the event consumer and every subscription end
// with Close.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	clock := simtest.NewClock()
	dp := simtest.NewDataPlane(clock, 64)
	s, err := sim.New(sim.Config{Clock: clock, DataPlane: dp})
	if err != nil {
		t.Fatal(err)
	}
	sub, _ := s.Subscribe(8)
	if _, err := s.CreateLag(context.Background(), acct, sim.CreateLagInput{NumberOfConnections: 2, Location: "EqDC2", Bandwidth: "10Gbps", Name: "l"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for range sub { // Close ends subscriptions: the channel drains and closes
	}
	// Goroutines exit asynchronously after Close returns; poll, bounded by
	// iterations rather than by a duration assertion.
	for i := 0; runtime.NumGoroutine() > before; i++ {
		if i == 1000 {
			t.Fatalf("%d goroutines after Close, %d before", runtime.NumGoroutine(), before)
		}
		time.Sleep(time.Millisecond)
	}
}
