package sim_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/simtest"
)

const acct = "123456789012"

func newService(t *testing.T, dp sim.DataPlane) (*sim.Service, *simtest.Clock) {
	t.Helper()
	return newServiceClock(t, dp, simtest.NewClock())
}

func newServiceClock(t *testing.T, dp sim.DataPlane, clock *simtest.Clock) (*sim.Service, *simtest.Clock) {
	t.Helper()
	sched := sim.Schedule{Requested: time.Second, Pending: time.Second, Associate: 5 * time.Second, Confirm: time.Second}
	s, err := sim.New(sim.Config{Clock: clock, Schedule: &sched, DataPlane: dp})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s, clock
}

func mustConn(t *testing.T, s *sim.Service, id string) *sim.Connection {
	t.Helper()
	cs, err := s.Connections(acct, id)
	require.NoError(t, err)
	return cs[0]
}

func mustLAG(t *testing.T, s *sim.Service, id string) sim.LAGView {
	t.Helper()
	ls, err := s.LAGs(acct, id)
	require.NoError(t, err)
	return ls[0]
}

func TestScheduleWithoutDataPlane(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, clock := newService(t, nil)
	view, err := s.CreateLag(ctx, acct, sim.CreateLagInput{NumberOfConnections: 2, Location: "EqDC2", Bandwidth: "10Gbps", Name: "lag"})
	require.NoError(t, err)
	require.Len(t, view.Members, 2, "CreateLag members")
	require.Equal(t, sim.StatePending, view.LAG.State, "CreateLag state")
	wantName := fmt.Sprintf("Requested Connection 1 for Lag %s", view.LAG.ID)
	assert.Contains(t, []string{view.Members[0].Name, view.Members[1].Name}, wantName, "member names")
	m := view.Members[0].ID
	var elapsed time.Duration
	for _, step := range []struct {
		advance   time.Duration
		conn, lag string
	}{
		{0, sim.StateRequested, sim.StatePending},
		{time.Second, sim.StatePending, sim.StatePending},
		{time.Second, sim.StateAvailable, sim.StateAvailable},
	} {
		clock.Advance(step.advance)
		elapsed += step.advance
		t.Run(fmt.Sprintf("at %v", elapsed), func(t *testing.T) {
			assert.Equal(t, step.conn, mustConn(t, s, m).State, "after %v: connection", step.advance)
			assert.Equal(t, step.lag, mustLAG(t, s, view.LAG.ID).LAG.State, "after %v: LAG", step.advance)
		})
	}
	assert.False(t, mustConn(t, s, m).LOAIssueTime.IsZero(), "no LOA issue time once pending")

	// Disassociate: the response says requested; the link is down and the
	// connection transitioning until the schedule brings it back.
	c, err := s.DisassociateConnectionFromLag(ctx, acct, m, view.LAG.ID)
	require.NoError(t, err)
	assert.Equal(t, sim.StateRequested, c.State, "disassociate response: state")
	assert.Empty(t, c.LAGID, "disassociate response: lag")
	got := mustConn(t, s, m)
	assert.Equal(t, sim.StateDown, got.State, "mid-disassociation: state")
	assert.True(t, got.Transitioning, "mid-disassociation: transitioning")
	// As AWS: a connection just disassociated may be associated again at
	// once; it is then a member mid-association, which may not be
	// disassociated until it has converged.
	_, err = s.AssociateConnectionWithLag(ctx, acct, m, view.LAG.ID)
	require.NoError(t, err, "associate right after a disassociate")
	_, err = s.DisassociateConnectionFromLag(ctx, acct, m, view.LAG.ID)
	assert.Equal(t, sim.RuleTransitioning, sim.RuleOf(err), "disassociate while transitioning: %v", err)
	assert.EqualError(t, err, "DirectConnectClientException: Connection "+m+" is in a transitioning state.", "disassociate while transitioning")
	clock.Advance(5 * time.Second)
	got = mustConn(t, s, m)
	assert.Equal(t, sim.StateAvailable, got.State, "after the schedule: state")
	assert.False(t, got.Transitioning, "after the schedule: transitioning")
	assert.Equal(t, view.LAG.ID, got.LAGID)

	// And one just disassociated may be deleted at once.
	_, err = s.DisassociateConnectionFromLag(ctx, acct, m, view.LAG.ID)
	require.NoError(t, err)
	require.True(t, mustConn(t, s, m).Transitioning)
	_, err = s.DeleteConnection(ctx, acct, m)
	require.NoError(t, err, "delete right after a disassociate")
}

func TestMinimumLinksTakesLAGDown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dp := simtest.NewDataPlane(simtest.NewClock(), 64)
	s, _ := newService(t, dp)
	sub, cancel := s.Subscribe(64)
	defer cancel()
	view, err := s.CreateLag(ctx, acct, sim.CreateLagInput{NumberOfConnections: 2, Location: "EqDC2", Bandwidth: "10Gbps", Name: "lag"})
	require.NoError(t, err)
	lag := view.LAG.ID
	a, b := view.Members[0].ID, view.Members[1].ID
	dp.Converge(lag, a)
	waitFor(t, sub, lag, sim.StateAvailable)
	_, err = s.UpdateLag(ctx, acct, lag, sim.UpdateLagInput{MinimumLinks: ptr(2)})
	require.NoError(t, err)
	waitFor(t, sub, lag, sim.StateDown) // one operational member of the two required
	dp.Converge(lag, b)
	waitFor(t, sub, lag, sim.StateAvailable)
	dp.LinkDown(a)
	waitFor(t, sub, a, sim.StateDown)
	assert.Equal(t, sim.StateDown, mustLAG(t, s, lag).LAG.State, "LAG with 1 of 2 minimum links")
}

func ptr[T any](v T) *T { return &v }

// waitFor reads state changes until id enters state; the data plane's events
// are applied asynchronously, so the test follows them rather than sleeping.
func waitFor(t *testing.T, sub <-chan sim.StateChange, id, state string) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case c := <-sub:
			if c.ID == id && c.To == state {
				return
			}
		case <-timeout:
			require.FailNow(t, "state not reached", "%s never became %s", id, state)
		}
	}
}

func TestAssociateWithDataPlane(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := simtest.NewClock()
	dp := simtest.NewDataPlane(clock, 64)
	s, _ := newServiceClock(t, dp, clock)
	sub, cancel := s.Subscribe(256)
	defer cancel()
	view, err := s.CreateLag(ctx, acct, sim.CreateLagInput{NumberOfConnections: 1, Location: "EqDC2", Bandwidth: "10Gbps", Name: "lag"})
	require.NoError(t, err)
	lag := view.LAG.ID
	c := connOnDevice(t, s, "EqDC2", "10Gbps", view.LAG.Device)
	waitFor(t, sub, c.ID, sim.StateAvailable)
	vif, err := s.CreateVirtualInterface(ctx, acct, sim.CreateVIFInput{Type: sim.VIFPrivate, ConnectionID: c.ID, Name: "v", VLAN: 101, ASN: 65000, VirtualGatewayID: "vgw-1"})
	require.NoError(t, err)
	clock.Advance(time.Second) // events from before the association are not part of its record
	resp, err := s.AssociateConnectionWithLag(ctx, acct, c.ID, lag)
	require.NoError(t, err)
	assert.Equal(t, sim.StateRequested, resp.State, "response: state")
	assert.Equal(t, lag, resp.LAGID, "response: lag")
	_, err = s.DisassociateConnectionFromLag(ctx, acct, c.ID, lag)
	assert.Equal(t, sim.RuleTransitioning, sim.RuleOf(err), "disassociate before convergence: %v", err)
	vifs, _ := s.VirtualInterfaces(acct, "", vif.ID)
	assert.Equal(t, lag, vifs[0].ConnectionID, "VIF not moved to the LAG")
	assert.Equal(t, lag, dp.VLANs[vif.ID].ParentID, "data-plane VLAN parent")
	dp.Converge(lag, c.ID)
	waitFor(t, sub, c.ID, sim.StateAvailable)
	rec, ok := s.LastAssociation(c.ID)
	require.True(t, ok, "no association record")
	require.Equal(t, sim.OpAssociate, rec.Op, "record: %+v", rec)
	require.Equal(t, lag, rec.LAGID, "record: %+v", rec)
	require.False(t, rec.Converged.IsZero(), "record without convergence time: %+v", rec)
	require.False(t, rec.Steps.Up.IsZero(), "record without link-up time: %+v", rec)
	var kinds []string
	for _, e := range rec.Events {
		kinds = append(kinds, fmt.Sprintf("%s/%v/%#x", e.Kind, e.Up, e.LACPState))
	}
	want := []string{"link/false/0x0", "link/true/0x0", "lacp/false/0x5", "lacp/false/0x3d"}
	assert.Equal(t, want, kinds, "record events")
	_, err = s.DisassociateConnectionFromLag(ctx, acct, c.ID, lag)
	require.NoError(t, err, "disassociate after convergence")
	got := mustConn(t, s, c.ID)
	assert.Equal(t, sim.StateAvailable, got.State, "after disassociate: %+v", got)
	assert.False(t, got.Transitioning, "after disassociate: %+v", got)
	assert.Empty(t, got.LAGID, "after disassociate: %+v", got)
	vifs, _ = s.VirtualInterfaces(acct, "", vif.ID)
	assert.Equal(t, lag, vifs[0].ConnectionID, "VIF left the LAG on disassociate")
}

func TestDataPlaneFailureEndsTransition(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dp := simtest.NewDataPlane(simtest.NewClock(), 64)
	s, _ := newService(t, dp)
	view, err := s.CreateLag(ctx, acct, sim.CreateLagInput{NumberOfConnections: 0, Location: "EqDC2", Bandwidth: "1Gbps", Name: "lag"})
	require.NoError(t, err)
	c, err := s.CreateConnection(ctx, acct, sim.CreateConnectionInput{Location: "EqDC2", Bandwidth: "1Gbps", Name: "c", LAGID: view.LAG.ID})
	require.NoError(t, err)
	assert.Equal(t, view.LAG.Device, c.Device, "connection created into a LAG: device")
	d := connOnDevice(t, s, "EqDC2", "1Gbps", view.LAG.Device)
	dp.Fail["MovePort"] = fmt.Errorf("boom")
	_, err = s.AssociateConnectionWithLag(ctx, acct, d.ID, view.LAG.ID)
	var apiErr *sim.Error
	require.ErrorAs(t, err, &apiErr, "associate with failing data plane")
	require.Equal(t, sim.CodeServer, apiErr.Code, "associate with failing data plane: %v", err)
	assert.False(t, mustConn(t, s, d.ID).Transitioning, "still transitioning after a data-plane failure")
	rec, _ := s.LastAssociation(d.ID)
	assert.NotEmpty(t, rec.Err, "record does not hold the failure")
}

// TestConcurrentAssociatesRespectLAGSize races more associates than a LAG
// has room for: exactly the room is granted.
func TestConcurrentAssociatesRespectLAGSize(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newService(t, nil)
	view, err := s.CreateLag(ctx, acct, sim.CreateLagInput{NumberOfConnections: 1, Location: "CSVA1", Bandwidth: "100Gbps", Name: "lag"})
	require.NoError(t, err)
	var ids []string
	for len(ids) < 6 {
		ids = append(ids, connOnDevice(t, s, "CSVA1", "100Gbps", view.LAG.Device).ID)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for _, id := range ids {
		wg.Go(func() {
			if _, err := s.AssociateConnectionWithLag(ctx, acct, id, view.LAG.ID); err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			} else {
				assert.Equal(t, sim.RuleLAGFull, sim.RuleOf(err), "associate %s: %v", id, err)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 1, ok, "associates succeeded")
	assert.Len(t, mustLAG(t, s, view.LAG.ID).Members, 2, "LAG members")
}

func TestRejectedRequestLeavesStateUnchanged(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newService(t, nil)
	before := len(mustConns(t, s))
	// The third connection cannot join a 100G LAG: nothing of the request may remain.
	_, err := s.CreateLag(ctx, acct, sim.CreateLagInput{NumberOfConnections: 3, Location: "EqDC2", Bandwidth: "100Gbps", Name: "x"})
	require.Equal(t, sim.RuleLAGFull, sim.RuleOf(err), "CreateLag 3×100G: %v", err)
	_, err = s.CreateConnection(ctx, acct, sim.CreateConnectionInput{Location: "EqDC2", Bandwidth: "10Gbps", Name: "x", LAGID: "dxlag-zzzzzzzz"})
	require.Equal(t, sim.RuleNotFound, sim.RuleOf(err), "CreateConnection into unknown LAG: %v", err)
	assert.Len(t, mustConns(t, s), before, "connections after rejected requests")
	lags, _ := s.LAGs(acct, "")
	assert.Empty(t, lags, "LAGs after rejected requests")
}

func mustConns(t *testing.T, s *sim.Service) []*sim.Connection {
	t.Helper()
	cs, err := s.Connections(acct, "")
	require.NoError(t, err)
	return cs
}

// connOnDevice creates connections until one lands on device (devices are
// assigned in turn), deleting the others.
func connOnDevice(t *testing.T, s *sim.Service, loc, bw, device string) *sim.Connection {
	t.Helper()
	c, err := s.CreateConnection(context.Background(), acct, sim.CreateConnectionInput{Location: loc, Bandwidth: bw, Name: "c",
		Tags: []sim.Tag{{Key: sim.DeviceTag, Value: device}}})
	require.NoError(t, err)
	require.Equal(t, device, c.Device, "placed by %s", sim.DeviceTag)
	return c
}

// failingStore refuses commits once armed.
type failingStore struct {
	sim.MemoryStore
	armed bool
}

func (f *failingStore) Commit(b sim.Batch) error {
	if f.armed {
		return fmt.Errorf("disk full")
	}
	return nil
}

// TestCommitFailureLeavesStateUnchanged: a mutation the store cannot make
// durable is not acknowledged and leaves no trace.
func TestCommitFailureLeavesStateUnchanged(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := &failingStore{}
	s, err := sim.New(sim.Config{Clock: simtest.NewClock(), Store: store})
	require.NoError(t, err)
	defer s.Close()
	view, err := s.CreateLag(ctx, acct, sim.CreateLagInput{NumberOfConnections: 2, Location: "EqDC2", Bandwidth: "10Gbps", Name: "lag"})
	require.NoError(t, err)
	store.armed = true
	_, err = s.DisassociateConnectionFromLag(ctx, acct, view.Members[0].ID, view.LAG.ID)
	var apiErr *sim.Error
	require.ErrorAs(t, err, &apiErr, "disassociate with a failing store")
	require.Equal(t, sim.CodeServer, apiErr.Code, "disassociate with a failing store: %v", err)
	_, err = s.CreateConnection(ctx, acct, sim.CreateConnectionInput{Location: "EqDC2", Bandwidth: "10Gbps", Name: "x"})
	require.Error(t, err, "create acknowledged without a commit")
	store.armed = false
	if got := mustLAG(t, s, view.LAG.ID); assert.Len(t, got.Members, 2, "LAG after a failed commit") {
		assert.False(t, got.Members[0].Transitioning, "LAG after a failed commit: member transitioning")
	}
	assert.Len(t, mustConns(t, s), 2, "connections after a failed create")
	_, ok := s.LastAssociation(view.Members[0].ID)
	assert.False(t, ok, "a refused disassociate left an association record")
}

// TestHostedConnectionAccounts: a partner allocates a hosted connection for a
// customer; the customer sees and confirms it, the partner sees it on its
// interconnect and may delete it, a third account may do neither.
func TestHostedConnectionAccounts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, clock := newService(t, nil)
	const partner, customer, stranger = "111111111111", "222222222222", "333333333333"
	ic, err := s.CreateInterconnect(ctx, partner, sim.CreateConnectionInput{Location: "EqDC2", Bandwidth: "10Gbps", Name: "ic"})
	require.NoError(t, err)
	h, err := s.AllocateHostedConnection(ctx, partner, sim.AllocateHostedConnectionInput{ParentID: ic.ID, Owner: customer, Bandwidth: "1Gbps", Name: "h", VLAN: 10})
	require.NoError(t, err)
	_, err = s.AllocateHostedConnection(ctx, stranger, sim.AllocateHostedConnectionInput{ParentID: ic.ID, Owner: customer, Bandwidth: "1Gbps", Name: "x", VLAN: 11})
	assert.Equal(t, sim.RuleNotFound, sim.RuleOf(err), "a stranger allocating on the partner's interconnect: %v", err)
	got, err := s.Connections(customer, "")
	require.NoError(t, err, "customer's view")
	require.Len(t, got, 1, "customer's view")
	require.Equal(t, sim.StateOrdering, got[0].State, "customer's view")
	_, err = s.ConfirmConnection(customer, h.ID)
	require.NoError(t, err)
	clock.Advance(time.Second)
	hs, err := s.HostedConnections(partner, ic.ID)
	require.NoError(t, err, "partner's view")
	require.Len(t, hs, 1, "partner's view")
	require.Equal(t, sim.StateAvailable, hs[0].State, "partner's view")
	// By its own ID, as the AWS provider reads a hosted connection back.
	for _, who := range []string{partner, customer} {
		one, err := s.HostedConnections(who, h.ID)
		require.NoError(t, err, "%s reading the hosted connection by its ID", who)
		require.Len(t, one, 1)
		assert.Equal(t, h.ID, one[0].ID)
	}
	_, err = s.HostedConnections(stranger, h.ID)
	assert.Equal(t, sim.RuleNotFound, sim.RuleOf(err), "a stranger reading it by its ID: %v", err)
	_, err = s.DeleteConnection(ctx, stranger, h.ID)
	assert.Equal(t, sim.RuleNotFound, sim.RuleOf(err), "a stranger deleting: %v", err)
	_, err = s.DeleteConnection(ctx, partner, h.ID)
	assert.NoError(t, err, "the partner deleting")
	one, err := s.HostedConnections(partner, h.ID)
	require.NoError(t, err, "the partner reading the deleted hosted connection by its ID")
	require.Len(t, one, 1)
	assert.Equal(t, sim.StateDeleted, one[0].State)
	got, err = s.Connections(customer, "")
	require.NoError(t, err)
	require.Len(t, got, 1, "the customer sees it deleted, for a while")
	assert.Equal(t, sim.StateDeleted, got[0].State)
	clock.Advance(sim.DefaultSchedule().Retain)
	got, _ = s.Connections(customer, "")
	assert.Empty(t, got, "customer still sees connections")
}

// TestConcurrentRequestsKeepInvariants races requests that would each be
// allowed alone but not together: one connection into two LAGs, and two
// disassociates that would together break minimumLinks.
func TestConcurrentRequestsKeepInvariants(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, clock := newService(t, nil)
	a, err := s.CreateLag(ctx, acct, sim.CreateLagInput{NumberOfConnections: 3, Location: "EqDC2", Bandwidth: "10Gbps", Name: "a"})
	require.NoError(t, err)
	_, err = s.UpdateLag(ctx, acct, a.LAG.ID, sim.UpdateLagInput{MinimumLinks: ptr(2)})
	require.NoError(t, err)
	var lagB []string // LAGs on a's device, so only the rules decide
	for len(lagB) < 2 {
		l, err := s.CreateLag(ctx, acct, sim.CreateLagInput{NumberOfConnections: 0, Location: "EqDC2", Bandwidth: "10Gbps", Name: "b"})
		require.NoError(t, err)
		if l.LAG.Device == a.LAG.Device {
			lagB = append(lagB, l.LAG.ID)
		}
	}
	c := connOnDevice(t, s, "EqDC2", "10Gbps", a.LAG.Device)
	clock.Advance(10 * time.Second)

	var wg sync.WaitGroup
	for _, lag := range lagB {
		wg.Go(func() { _, _ = s.AssociateConnectionWithLag(ctx, acct, c.ID, lag) })
	}
	for _, m := range a.Members {
		wg.Go(func() { _, _ = s.DisassociateConnectionFromLag(ctx, acct, m.ID, a.LAG.ID) })
	}
	wg.Wait()
	assert.Contains(t, lagB, mustConn(t, s, c.ID).LAGID, "connection's LAG")
	n := 0
	for _, l := range lagB {
		n += len(mustLAG(t, s, l).Members)
	}
	assert.Equal(t, 1, n, "LAGs the connection is a member of")
	assert.Len(t, mustLAG(t, s, a.LAG.ID).Members, 2, "LAG with minimumLinks 2 after racing disassociates")
}

// TestMustEncrypt: with must_encrypt and no MACsec key, a LAG's members carry
// no traffic, so they report down and the LAG is down; a key brings them
// back. A connection joining the LAG gives up its own keys for the LAG's.
func TestMustEncrypt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, clock := newService(t, nil)
	view, err := s.CreateLag(ctx, acct, sim.CreateLagInput{NumberOfConnections: 2, Location: "EqDC2", Bandwidth: "10Gbps", Name: "l", RequestMACsec: true})
	require.NoError(t, err)
	lag := view.LAG.ID
	clock.Advance(2 * time.Second)
	require.Equal(t, sim.StateAvailable, mustLAG(t, s, lag).LAG.State, "LAG before must_encrypt")
	_, err = s.UpdateLag(ctx, acct, lag, sim.UpdateLagInput{Encryption: ptr(sim.EncryptMust)})
	require.NoError(t, err)
	v := mustLAG(t, s, lag)
	assert.Equal(t, sim.StateDown, v.LAG.State, "must_encrypt without a key: LAG")
	assert.Equal(t, sim.StateDown, v.Members[0].State, "must_encrypt without a key: member")
	assert.True(t, v.Members[0].EncryptionDown, "must_encrypt without a key: member encryption down")
	assert.Equal(t, sim.EncryptMust, v.Members[0].Encryption, "must_encrypt without a key: member mode")
	key := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	_, err = s.AssociateMACsecKey(acct, lag, "", key, key)
	require.NoError(t, err)
	v = mustLAG(t, s, lag)
	assert.Equal(t, sim.StateAvailable, v.LAG.State, "with a key: LAG")
	assert.Equal(t, sim.StateAvailable, v.Members[0].State, "with a key: member")

	// A MACsec connection with a key of its own, on the LAG's device.
	var c2 *sim.Connection
	for c2 == nil || c2.Device != view.LAG.Device {
		c2, err = s.CreateConnection(ctx, acct, sim.CreateConnectionInput{Location: "EqDC2", Bandwidth: "10Gbps", Name: "m", RequestMACsec: true})
		require.NoError(t, err)
	}
	own := "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
	_, err = s.AssociateMACsecKey(acct, c2.ID, "", own, own)
	require.NoError(t, err)
	_, err = s.DisassociateConnectionFromLag(ctx, acct, view.Members[0].ID, lag)
	require.NoError(t, err)
	_, err = s.AssociateConnectionWithLag(ctx, acct, c2.ID, lag)
	require.NoError(t, err)
	got := mustConn(t, s, c2.ID)
	assert.Empty(t, got.MACsecKeys, "joined member keeps its own keys; want the LAG's")
	assert.Equal(t, sim.EncryptMust, got.Encryption, "joined member's mode; want the LAG's")
}

// TestCloseEndsSubscriptions: a subscriber ranging over its channel stops
// when the service closes (TestMain checks no goroutine is left behind).
func TestCloseEndsSubscriptions(t *testing.T) {
	t.Parallel()
	clock := simtest.NewClock()
	s, err := sim.New(sim.Config{Clock: clock, DataPlane: simtest.NewDataPlane(clock, 64)})
	require.NoError(t, err)
	sub, _ := s.Subscribe(8)
	_, err = s.CreateLag(context.Background(), acct, sim.CreateLagInput{NumberOfConnections: 2, Location: "EqDC2", Bandwidth: "10Gbps", Name: "l"})
	require.NoError(t, err)
	done := make(chan int)
	go func() {
		n := 0
		for range sub {
			n++
		}
		done <- n
	}()
	require.NoError(t, s.Close())
	assert.NotZero(t, <-done, "the subscriber saw no state changes")
}

// TestConcurrentRequestsWithDataPlane runs mutations that call the data
// plane from many goroutines at once: none may wait for another forever
// (a request's follow-up after its data-plane call takes the state lock
// while others are committing).
func TestConcurrentRequestsWithDataPlane(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := simtest.NewClock()
	dp := simtest.NewDataPlane(clock, 4)
	s, _ := newServiceClock(t, dp, clock)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 10 {
				c, err := s.CreateConnection(ctx, acct, sim.CreateConnectionInput{Location: "EqDC2", Bandwidth: "10Gbps", Name: "c"})
				if !assert.NoError(t, err) {
					return
				}
				_, err = s.CreateLag(ctx, acct, sim.CreateLagInput{NumberOfConnections: 1, Location: "EqDC2", Bandwidth: "10Gbps", Name: "l", ConnectionID: c.ID})
				if err != nil && !assert.Equal(t, sim.RuleQuota, sim.RuleOf(err), "CreateLag: %v", err) {
					return
				}
				_, err = s.Connections(acct, "")
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
}
