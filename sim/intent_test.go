package sim_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/boltstore"
	"github.com/dxsim/dxsim/sim/simtest"
)

// recordingStore is a MemoryStore that keeps every batch it commits.
type recordingStore struct {
	sim.MemoryStore
	mu      sync.Mutex
	batches []sim.Batch
}

func (r *recordingStore) Commit(b sim.Batch) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.batches = append(r.batches, b)
	return nil
}

func (r *recordingStore) since(n int) []sim.Batch {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sim.Batch(nil), r.batches[n:]...)
}

func (r *recordingStore) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.batches)
}

// TestIntentCommitsWithItsState: an associate's state change and its
// data-plane effects commit in one batch, and a later batch marks the
// intent done once the effects have run.
func TestIntentCommitsWithItsState(t *testing.T) {
	ctx := context.Background()
	clock := simtest.NewClock()
	dp := simtest.NewDataPlane(clock, 256)
	store := &recordingStore{}
	s, err := sim.New(sim.Config{Clock: clock, DataPlane: dp, Store: store})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	view, err := s.CreateLag(ctx, acct, sim.CreateLagInput{NumberOfConnections: 1, Location: "EqDC2", Bandwidth: "10Gbps", Name: "lag"})
	require.NoError(t, err)
	c := connOnDevice(t, s, "EqDC2", "10Gbps", view.LAG.Device)

	n := store.count()
	_, err = s.AssociateConnectionWithLag(ctx, acct, c.ID, view.LAG.ID)
	require.NoError(t, err)
	batches := store.since(n)
	require.GreaterOrEqual(t, len(batches), 2)
	first := batches[0]
	require.NotNil(t, first.Intent, "the associate's first commit carries its intent")
	assert.Equal(t, "AssociateConnectionWithLag", first.Intent.Op)
	assert.Equal(t, []sim.Effect{{Kind: sim.EffectMovePort, ID: c.ID, To: view.LAG.ID, Op: sim.OpAssociate}}, first.Intent.Effects)
	var ids []string
	for _, conn := range first.Connections {
		ids = append(ids, conn.ID)
	}
	assert.Contains(t, ids, c.ID, "the connection's new state is in the same batch")
	var done []uint64
	for _, b := range batches[1:] {
		done = append(done, b.Done...)
	}
	assert.Contains(t, done, first.Intent.Seq, "the intent is marked done after its effects ran")
}

// TestNoIntentWithoutEffects: a mutation that changes nothing on the data
// plane (a rename) writes no intent.
func TestNoIntentWithoutEffects(t *testing.T) {
	ctx := context.Background()
	clock := simtest.NewClock()
	store := &recordingStore{}
	s, err := sim.New(sim.Config{Clock: clock, DataPlane: simtest.NewDataPlane(clock, 256), Store: store})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	c, err := s.CreateConnection(ctx, acct, sim.CreateConnectionInput{Location: "EqDC2", Bandwidth: "10Gbps", Name: "c"})
	require.NoError(t, err)
	n := store.count()
	name := "renamed"
	_, err = s.UpdateConnection(acct, c.ID, &name, nil)
	require.NoError(t, err)
	for _, b := range store.since(n) {
		assert.Nil(t, b.Intent)
	}
}

// TestLAGToLAGMoveFlapsOnce: moving a member to another LAG is one MovePort,
// from the old LAG to the new, so its port goes down and up once.
func TestLAGToLAGMoveFlapsOnce(t *testing.T) {
	ctx := context.Background()
	dp := simtest.NewDataPlane(simtest.NewClock(), 256)
	s, _ := newService(t, dp)
	a, err := s.CreateLag(ctx, acct, sim.CreateLagInput{NumberOfConnections: 2, Location: "EqDC2", Bandwidth: "10Gbps", Name: "a"})
	require.NoError(t, err)
	b := lagOnDevice(t, s, "EqDC2", "10Gbps", a.LAG.Device)
	m := a.Members[0]
	for _, mem := range a.Members {
		dp.Converge(a.LAG.ID, mem.ID)
	}
	waitState(t, s, m.ID, sim.StateAvailable)
	before := dp.Moves(m.ID)

	_, err = s.AssociateConnectionWithLag(ctx, acct, m.ID, b.LAG.ID)
	require.NoError(t, err)
	assert.Equal(t, 1, dp.Moves(m.ID)-before, "calls: %v", dp.CallLog())
	assert.Contains(t, dp.CallLog(), "MovePort "+m.ID+" "+a.LAG.ID+" "+b.LAG.ID)
	rec, ok := s.LastAssociation(m.ID)
	require.True(t, ok)
	assert.False(t, rec.Steps.Down.IsZero(), "the one move's steps are recorded")
	assert.Equal(t, a.LAG.ID, rec.FromLAGID)
}

// TestUnconvergedMemberIsReportedDown: a member whose LACP never converges
// is down once Schedule.Converge has passed, with the reason recorded, and
// may be associated again.
func TestUnconvergedMemberIsReportedDown(t *testing.T) {
	ctx := context.Background()
	clock := simtest.NewClock()
	dp := simtest.NewDataPlane(clock, 256)
	sched := sim.DefaultSchedule()
	sched.Converge = 30 * time.Second
	s, err := sim.New(sim.Config{Clock: clock, DataPlane: dp, Schedule: &sched})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	view, err := s.CreateLag(ctx, acct, sim.CreateLagInput{NumberOfConnections: 1, Location: "EqDC2", Bandwidth: "10Gbps", Name: "lag"})
	require.NoError(t, err)
	c := connOnDevice(t, s, "EqDC2", "10Gbps", view.LAG.Device)
	_, err = s.AssociateConnectionWithLag(ctx, acct, c.ID, view.LAG.ID)
	require.NoError(t, err)
	clock.Advance(29 * time.Second)
	assert.True(t, mustConn(t, s, c.ID).Transitioning)
	clock.Advance(2 * time.Second)
	got := mustConn(t, s, c.ID)
	assert.False(t, got.Transitioning)
	assert.Equal(t, sim.StateDown, got.State)
	rec, _ := s.LastAssociation(c.ID)
	assert.Contains(t, rec.Err, "did not converge")
	_, err = s.DisassociateConnectionFromLag(ctx, acct, c.ID, view.LAG.ID)
	assert.NoError(t, err, "a given-up member is not transitioning for good")
}

// crashMidway starts op against a service on a blocked data plane, waits
// until its effects have been committed and the data plane reached, and
// abandons the service there, as a kill -9 would: the store is closed under
// it and the blocked call never returns to it.
func crashMidway(t *testing.T, dir string, setup func(s *sim.Service, dp *simtest.DataPlane) func() error) {
	t.Helper()
	s, store, dp := openDurable(t, dir)
	op := setup(s, dp)
	dp.Block = make(chan struct{})
	dp.Attaching = make(chan string, 1)
	go op() //nolint:errcheck // abandoned mid-way on purpose
	<-dp.Attaching
	require.NoError(t, store.Close())
	t.Cleanup(func() { s.Close() })
	t.Cleanup(func() { close(dp.Block) })
}

// restart opens the state again on a fresh data plane that, like a real one
// after Reconcile, holds what the committed state says.
func restart(t *testing.T, dir string) (*sim.Service, *simtest.DataPlane) {
	t.Helper()
	s, store, dp := openDurable(t, dir)
	t.Cleanup(func() { s.Close(); store.Close() })
	return s, dp
}

// openDurable opens a service on the bbolt state in dir and a fresh fake
// data plane.
func openDurable(t *testing.T, dir string) (*sim.Service, *boltstore.Store, *simtest.DataPlane) {
	t.Helper()
	clock := simtest.NewClock()
	store, err := boltstore.Open(dir)
	require.NoError(t, err)
	dp := simtest.NewDataPlane(clock, 1024)
	s, err := sim.New(sim.Config{Clock: clock, DataPlane: dp, Store: store})
	require.NoError(t, err)
	return s, store, dp
}

// TestRestartFinishesInterruptedOperations: an associate, a disassociate and
// a LAG-to-LAG move interrupted after their commit, before their data-plane
// effects returned, are finished by the next start: nothing stays
// transitioning, and the data plane holds what the API says.
func TestRestartFinishesInterruptedOperations(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		op   func(s *sim.Service, conn string, lags [2]string) error
		lag  int // the LAG the connection ends in, -1 for none
	}{
		{"associate", func(s *sim.Service, conn string, lags [2]string) error {
			_, err := s.AssociateConnectionWithLag(ctx, acct, conn, lags[0])
			return err
		}, 0},
		{"disassociate", func(s *sim.Service, conn string, lags [2]string) error {
			_, err := s.DisassociateConnectionFromLag(ctx, acct, conn, lags[1])
			return err
		}, -1},
		{"move between LAGs", func(s *sim.Service, conn string, lags [2]string) error {
			_, err := s.AssociateConnectionWithLag(ctx, acct, conn, lags[0])
			return err
		}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			var conn string
			var lags [2]string
			crashMidway(t, dir, func(s *sim.Service, dp *simtest.DataPlane) func() error {
				a, err := s.CreateLag(ctx, acct, sim.CreateLagInput{NumberOfConnections: 1, Location: "EqDC2", Bandwidth: "10Gbps", Name: "a"})
				require.NoError(t, err)
				b := lagOnDevice(t, s, "EqDC2", "10Gbps", a.LAG.Device)
				lags = [2]string{a.LAG.ID, b.LAG.ID}
				conn = connOnDevice(t, s, "EqDC2", "10Gbps", a.LAG.Device).ID
				if tc.name != "associate" {
					_, err := s.AssociateConnectionWithLag(ctx, acct, conn, lags[1])
					require.NoError(t, err)
					dp.Converge(lags[1], conn)
					waitState(t, s, conn, sim.StateAvailable)
				}
				return func() error { return tc.op(s, conn, lags) }
			})

			s, dp := restart(t, dir)
			want := ""
			if tc.lag >= 0 {
				want = lags[tc.lag]
				// The member converges on the restarted data plane.
				dp.Converge(want, conn)
			}
			waitState(t, s, conn, sim.StateAvailable)
			got := mustConn(t, s, conn)
			assert.False(t, got.Transitioning)
			assert.Equal(t, want, got.LAGID)
			p, ok := dp.Port(conn)
			require.True(t, ok)
			assert.Equal(t, want, p.LAGID, "the data plane agrees with the API")
			assert.Contains(t, dp.CallLog(), "MovePort "+conn+" "+moveFrom(tc.name, lags)+" "+want, "the interrupted move was run again")
		})
	}
}

func moveFrom(name string, lags [2]string) string {
	if name == "associate" {
		return ""
	}
	return lags[1]
}

func lagOnDevice(t *testing.T, s *sim.Service, loc, bw, device string) sim.LAGView {
	t.Helper()
	v, err := s.CreateLag(context.Background(), acct, sim.CreateLagInput{NumberOfConnections: 0, Location: loc, Bandwidth: bw, Name: "b",
		Tags: []sim.Tag{{Key: sim.DeviceTag, Value: device}}})
	require.NoError(t, err)
	require.Equal(t, device, v.LAG.Device, "placed by %s", sim.DeviceTag)
	return v
}

// waitState waits (a generous bound, for the data plane's events to be
// applied) until a connection is in a state.
func waitState(t *testing.T, s *sim.Service, id, want string) {
	t.Helper()
	require.Eventually(t, func() bool {
		cs, err := s.Connections(acct, id)
		return err == nil && len(cs) == 1 && cs[0].State == want && !cs[0].Transitioning
	}, 10*time.Second, time.Millisecond, "connection %s never became %s", id, want)
}

// TestRecordsSurviveRestart: a connection's last association record (its
// steps, events and convergence) is in the state, so a restart keeps it.
func TestRecordsSurviveRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, store, dp := openDurable(t, dir)
	view, err := s.CreateLag(ctx, acct, sim.CreateLagInput{NumberOfConnections: 1, Location: "EqDC2", Bandwidth: "10Gbps", Name: "lag"})
	require.NoError(t, err)
	c := connOnDevice(t, s, "EqDC2", "10Gbps", view.LAG.Device)
	_, err = s.AssociateConnectionWithLag(ctx, acct, c.ID, view.LAG.ID)
	require.NoError(t, err)
	dp.Converge(view.LAG.ID, c.ID)
	waitState(t, s, c.ID, sim.StateAvailable)
	want, ok := s.LastAssociation(c.ID)
	require.True(t, ok)
	require.NoError(t, s.Close())
	require.NoError(t, store.Close())

	s2, _ := restart(t, dir)
	got, ok := s2.LastAssociation(c.ID)
	require.True(t, ok, "the record survived the restart")
	assert.Equal(t, want.Op, got.Op)
	assert.True(t, want.Converged.Equal(got.Converged))
	assert.True(t, want.Steps.Down.Equal(got.Steps.Down))
	assert.Len(t, got.Events, len(want.Events))
}

// TestMovesCarryTheirOperation: each move reaches the data plane with the
// operation that asked for it and the time it was accepted, so whoever
// watches the data plane reports it without asking the control plane; a
// move that interrupts nothing to report (a deleted LAG's members released)
// says so.
func TestMovesCarryTheirOperation(t *testing.T) {
	ctx := context.Background()
	clock := simtest.NewClock()
	dp := simtest.NewDataPlane(clock, 256)
	s, _ := newService(t, dp)
	view, err := s.CreateLag(ctx, acct, sim.CreateLagInput{NumberOfConnections: 1, Location: "EqDC2", Bandwidth: "10Gbps", Name: "lag"})
	require.NoError(t, err)
	c := connOnDevice(t, s, "EqDC2", "10Gbps", view.LAG.Device)

	accepted := clock.Now()
	_, err = s.AssociateConnectionWithLag(ctx, acct, c.ID, view.LAG.ID)
	require.NoError(t, err)
	m, ok := dp.LastMove(c.ID)
	require.True(t, ok)
	assert.Equal(t, sim.Move{ConnectionID: c.ID, To: view.LAG.ID, Op: sim.OpAssociate, Requested: accepted}, m)
	rec, ok := s.LastAssociation(c.ID)
	require.True(t, ok)
	assert.True(t, rec.Requested.Equal(m.Requested), "the move's request time is the record's")

	dp.Converge(view.LAG.ID, c.ID)
	waitState(t, s, c.ID, sim.StateAvailable)
	_, err = s.DisassociateConnectionFromLag(ctx, acct, c.ID, view.LAG.ID)
	require.NoError(t, err)
	m, _ = dp.LastMove(c.ID)
	assert.Equal(t, sim.OpDisassociate, m.Op)
	assert.Equal(t, view.LAG.ID, m.From)

	member := view.Members[0]
	dp.Converge(view.LAG.ID, member.ID)
	waitState(t, s, member.ID, sim.StateAvailable)
	_, err = s.DeleteLag(ctx, acct, view.LAG.ID)
	require.NoError(t, err)
	m, ok = dp.LastMove(member.ID)
	require.True(t, ok)
	assert.Equal(t, sim.OpNone, m.Op, "a deleted LAG's member is released, not disassociated")
}

// TestInterruptionsSurviveRestart: the observer's report of an operation is
// kept with its association record in the state; a report of an operation
// that is no longer the connection's last is not.
func TestInterruptionsSurviveRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, store, dp := openDurable(t, dir)
	view, err := s.CreateLag(ctx, acct, sim.CreateLagInput{NumberOfConnections: 1, Location: "EqDC2", Bandwidth: "10Gbps", Name: "lag"})
	require.NoError(t, err)
	c := connOnDevice(t, s, "EqDC2", "10Gbps", view.LAG.Device)
	_, err = s.AssociateConnectionWithLag(ctx, acct, c.ID, view.LAG.ID)
	require.NoError(t, err)
	dp.Converge(view.LAG.ID, c.ID)
	waitState(t, s, c.ID, sim.StateAvailable)
	rec, ok := s.LastAssociation(c.ID)
	require.True(t, ok)
	_, ok = s.Interruption(c.ID)
	assert.False(t, ok, "no report before the observer gives one")

	stale := &sim.Interruption{Op: sim.OpAssociate, ConnectionID: c.ID, Requested: rec.Requested.Add(-time.Second)}
	kept, err := s.KeepInterruption(stale)
	require.NoError(t, err)
	assert.False(t, kept, "a report of an earlier operation is not kept")

	outage := 2010.5
	report := &sim.Interruption{
		Op: sim.OpAssociate, ConnectionID: c.ID, LAGID: view.LAG.ID, Requested: rec.Requested,
		InterruptionMS: &outage, Pcap: "/state/pcap/x.pcapng",
		Milestones: []sim.Milestone{{Name: sim.MilestoneRequested, Time: rec.Requested}},
	}
	kept, err = s.KeepInterruption(report)
	require.NoError(t, err)
	require.True(t, kept)
	require.NoError(t, s.Close())
	require.NoError(t, store.Close())

	s2, _ := restart(t, dir)
	got, ok := s2.Interruption(c.ID)
	require.True(t, ok, "the report survived the restart")
	assert.Equal(t, sim.OpAssociate, got.Op)
	assert.Equal(t, "/state/pcap/x.pcapng", got.Pcap)
	require.NotNil(t, got.InterruptionMS)
	assert.InDelta(t, outage, *got.InterruptionMS, 0)
	require.Len(t, got.Milestones, 1)
	assert.True(t, got.Milestones[0].Time.Equal(rec.Requested))
}
