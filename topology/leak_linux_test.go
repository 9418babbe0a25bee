package topology

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/topology/netnstest"
)

// TestCloseLeavesNoGoroutines builds and tears down the default lab (with
// the userspace engine behind it) and checks that Close stops every
// goroutine the data plane started.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	netnstest.RequireRoot(t)
	before := runtime.NumGoroutine()
	d := openTest(t, nil)
	build(t, d, defaultLab)
	require.NoError(t, d.Teardown(context.Background()))
	require.NoError(t, d.Close())
	// Goroutines that have been told to stop take a moment to return; this
	// bounds a leak, it does not time anything.
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<20)
		require.FailNow(t, "goroutines left after Close", "%d goroutines before, %d after Close:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}
