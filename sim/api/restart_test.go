package api_test

import (
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/api"
	"github.com/dxsim/dxsim/sim/boltstore"
	"github.com/dxsim/dxsim/sim/simtest"
)

// newDurableEnv is newEnv over a bbolt store in dir, sharing clock.
func newDurableEnv(t *testing.T, dir string, clock *simtest.Clock) *env {
	t.Helper()
	e, _ := openDurableEnv(t, dir, clock)
	return e
}

// openDurableEnv is newDurableEnv that also returns how to stop it midway
// (to restart on the same state); the test's cleanup stops it otherwise.
func openDurableEnv(t *testing.T, dir string, clock *simtest.Clock) (*env, func()) {
	t.Helper()
	store, err := boltstore.Open(dir)
	require.NoError(t, err)
	svc, err := sim.New(sim.Config{Clock: clock, Schedule: &testSchedule, Store: store})
	require.NoError(t, err)
	srv := httptest.NewServer(api.NewHandler(svc, api.Options{}))
	e := &env{t: t, svc: svc, clock: clock, srv: srv, dx: client(srv.URL, "AKIDLAB", "lab-secret")}
	stop := e.closeDurable(store)
	t.Cleanup(stop)
	return e, stop
}

func (e *env) closeDurable(store *boltstore.Store) func() {
	done := false
	return func() {
		if done {
			return
		}
		done = true
		e.srv.Close()
		e.svc.Close()
		store.Close()
	}
}

// TestLifecycleAcrossRestart stops the server and its store in the middle of
// the lifecycle (after the LAG, connections and VIF exist) and finishes the
// lifecycle against a new process's worth of state read back from disk.
func TestLifecycleAcrossRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	clock := simtest.NewClock()
	first, stop := openDurableEnv(t, dir, clock)
	first.lifecycle(func() *env {
		before := describeAll(t, first)
		stop()
		second := newDurableEnv(t, dir, clock)
		require.Equal(t, before, describeAll(t, second), "state changed across restart")
		return second
	})
}
