package engine_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/dxsim/dxsim/lacp/engine"
	"github.com/dxsim/dxsim/lacp/engine/enginetest"
	"github.com/stretchr/testify/require"
)

// TestChaos throws random faults at a four-port LAG: cables pulled and
// plugged, keys changed, ends turned passive, slow or silent, ports set
// flapping. After every step the engines' bookkeeping must hold; once every
// fault is cleared, the LAG must come back whole within a bounded time.
func TestChaos(t *testing.T) {
	t.Parallel()
	for seed := range uint64(40) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(seed, 7))
			a, b := newEngine(t, sysA, 4, nil), newEngine(t, sysB, 4, nil)
			net := enginetest.New()
			net.Frames = seed%2 == 0
			pair(t, net, a, b, 4, time.Duration(rng.IntN(20))*time.Millisecond)
			engines := []*engine.Engine{a, b}
			check := func(step int) {
				t.Helper()
				for _, e := range engines {
					checkInvariants(t, e)
				}
				if t.Failed() {
					require.FailNow(t, "invariants broken", "seed %d step %d", seed, step)
				}
			}
			disturbed := 0
			for step := range 60 {
				e := engines[rng.IntN(2)]
				port := uint16(1 + rng.IntN(4))
				adm, _ := e.PortAdmin(port)
				switch rng.IntN(7) {
				case 0:
					require.NoError(t, net.SetLink(enginetest.End{Engine: e, Port: port}, rng.IntN(2) == 0))
				case 1:
					adm.Key = uint16(15 + rng.IntN(2))
				case 2:
					adm.Passive = !adm.Passive
				case 3:
					adm.Slow = !adm.Slow
				case 4:
					adm.Silent = !adm.Silent
				case 5:
					adm.Flap = engine.Flap{}
					if rng.IntN(2) == 0 {
						adm.Flap = engine.Flap{Up: time.Duration(1+rng.IntN(20)) * time.Second, Down: time.Duration(1+rng.IntN(5)) * time.Second}
					}
				case 6:
					adm.Priority = uint16(1 + rng.IntN(255))
				}
				require.NoError(t, e.SetPortAdmin(net.Now, port, adm))
				check(step)
				run(t, net, time.Duration(rng.IntN(10000))*time.Millisecond)
				check(step)
				if !bothWays(a, b, 1, 2, 3, 4)() {
					disturbed++
				}
			}
			require.NotZero(t, disturbed, "seed %d: the faults never disturbed the LAG", seed)
			// Clear every fault.
			for _, e := range engines {
				for port := uint16(1); port <= 4; port++ {
					require.NoError(t, e.SetPortAdmin(net.Now, port, engine.PortAdmin{Key: 15, Priority: 255}))
					require.NoError(t, net.SetLink(enginetest.End{Engine: e, Port: port}, true))
				}
			}
			// A port that was slow may wait out a 90 s timeout before its
			// partner notices it is fast again; everything is settled well
			// inside two minutes.
			_, ok, err := net.RunUntil(net.Now.Add(2*time.Minute), bothWays(a, b, 1, 2, 3, 4))
			require.NoError(t, err, "seed %d", seed)
			require.True(t, ok, "seed %d: LAG did not recover: A %+v\nB %+v", seed, a.Ports(), b.Ports())
			check(-1)
		})
	}
}
