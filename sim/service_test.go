package sim_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

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
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, clock
}

func mustConn(t *testing.T, s *sim.Service, id string) *sim.Connection {
	t.Helper()
	cs, err := s.Connections(acct, id)
	if err != nil {
		t.Fatal(err)
	}
	return cs[0]
}

func mustLAG(t *testing.T, s *sim.Service, id string) sim.LAGView {
	t.Helper()
	ls, err := s.LAGs(acct, id)
	if err != nil {
		t.Fatal(err)
	}
	return ls[0]
}

func TestScheduleWithoutDataPlane(t *testing.T) {
	ctx := context.Background()
	s, clock := newService(t, nil)
	view, err := s.CreateLag(ctx, acct, sim.CreateLagInput{NumberOfConnections: 2, Location: "EqDC2", Bandwidth: "10Gbps", Name: "lag"})
	if err != nil {
		t.Fatal(err)
	}
	if len(view.Members) != 2 || view.LAG.State != sim.StatePending {
		t.Fatalf("CreateLag: %d members, state %s", len(view.Members), view.LAG.State)
	}
	wantName := fmt.Sprintf("Requested Connection 1 for Lag %s", view.LAG.ID)
	if view.Members[0].Name != wantName && view.Members[1].Name != wantName {
		t.Errorf("member names %q, %q; want %q", view.Members[0].Name, view.Members[1].Name, wantName)
	}
	m := view.Members[0].ID
	for _, step := range []struct {
		advance   time.Duration
		conn, lag string
	}{
		{0, sim.StateRequested, sim.StatePending},
		{time.Second, sim.StatePending, sim.StatePending},
		{time.Second, sim.StateAvailable, sim.StateAvailable},
	} {
		clock.Advance(step.advance)
		if got := mustConn(t, s, m).State; got != step.conn {
			t.Errorf("after %v: connection %s, want %s", step.advance, got, step.conn)
		}
		if got := mustLAG(t, s, view.LAG.ID).LAG.State; got != step.lag {
			t.Errorf("after %v: LAG %s, want %s", step.advance, got, step.lag)
		}
	}
	if mustConn(t, s, m).LOAIssueTime.IsZero() {
		t.Error("no LOA issue time once pending")
	}

	// Disassociate: the response says requested; the link is down and the
	// connection transitioning until the schedule brings it back.
	c, err := s.DisassociateConnectionFromLag(ctx, acct, m, view.LAG.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.State != sim.StateRequested || c.LAGID != "" {
		t.Errorf("disassociate response: state %s lag %q", c.State, c.LAGID)
	}
	if got := mustConn(t, s, m); got.State != sim.StateDown || !got.Transitioning {
		t.Errorf("mid-disassociation: %s transitioning=%v", got.State, got.Transitioning)
	}
	_, err = s.AssociateConnectionWithLag(ctx, acct, m, view.LAG.ID)
	if sim.RuleOf(err) != sim.RuleTransitioning || err.Error() != "DirectConnectClientException: Connection "+m+" is in a transitioning state." {
		t.Errorf("associate while transitioning: %v", err)
	}
	clock.Advance(5 * time.Second)
	if got := mustConn(t, s, m); got.State != sim.StateAvailable || got.Transitioning {
		t.Errorf("after the schedule: %s transitioning=%v", got.State, got.Transitioning)
	}
	if _, err := s.AssociateConnectionWithLag(ctx, acct, m, view.LAG.ID); err != nil {
		t.Fatalf("re-associate: %v", err)
	}
}

func TestMinimumLinksTakesLAGDown(t *testing.T) {
	ctx := context.Background()
	dp := simtest.NewDataPlane(simtest.NewClock(), 64)
	s, _ := newService(t, dp)
	sub, cancel := s.Subscribe(64)
	defer cancel()
	view, err := s.CreateLag(ctx, acct, sim.CreateLagInput{NumberOfConnections: 2, Location: "EqDC2", Bandwidth: "10Gbps", Name: "lag"})
	if err != nil {
		t.Fatal(err)
	}
	lag := view.LAG.ID
	a, b := view.Members[0].ID, view.Members[1].ID
	dp.Converge(lag, a)
	waitFor(t, sub, lag, sim.StateAvailable)
	if _, err := s.UpdateLag(ctx, acct, lag, sim.UpdateLagInput{MinimumLinks: ptr(2)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, sub, lag, sim.StateDown) // one operational member of the two required
	dp.Converge(lag, b)
	waitFor(t, sub, lag, sim.StateAvailable)
	dp.LinkDown(a)
	waitFor(t, sub, a, sim.StateDown)
	if got := mustLAG(t, s, lag).LAG.State; got != sim.StateDown {
		t.Errorf("LAG with 1 of 2 minimum links: %s", got)
	}
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
			t.Fatalf("%s never became %s", id, state)
		}
	}
}

func TestAssociateWithDataPlane(t *testing.T) {
	ctx := context.Background()
	clock := simtest.NewClock()
	dp := simtest.NewDataPlane(clock, 64)
	s, _ := newServiceClock(t, dp, clock)
	sub, cancel := s.Subscribe(256)
	defer cancel()
	view, err := s.CreateLag(ctx, acct, sim.CreateLagInput{NumberOfConnections: 1, Location: "EqDC2", Bandwidth: "10Gbps", Name: "lag"})
	if err != nil {
		t.Fatal(err)
	}
	lag := view.LAG.ID
	c := connOnDevice(t, s, "EqDC2", "10Gbps", view.LAG.Device)
	waitFor(t, sub, c.ID, sim.StateAvailable)
	vif, err := s.CreateVirtualInterface(ctx, acct, sim.CreateVIFInput{Type: sim.VIFPrivate, ConnectionID: c.ID, Name: "v", VLAN: 101, ASN: 65000, VirtualGatewayID: "vgw-1"})
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second) // events from before the association are not part of its record
	resp, err := s.AssociateConnectionWithLag(ctx, acct, c.ID, lag)
	if err != nil {
		t.Fatal(err)
	}
	if resp.State != sim.StateRequested || resp.LAGID != lag {
		t.Errorf("response: state %s lag %s", resp.State, resp.LAGID)
	}
	if _, err := s.DisassociateConnectionFromLag(ctx, acct, c.ID, lag); sim.RuleOf(err) != sim.RuleTransitioning {
		t.Errorf("disassociate before convergence: %v", err)
	}
	vifs, _ := s.VirtualInterfaces(acct, "", vif.ID)
	if vifs[0].ConnectionID != lag {
		t.Errorf("VIF on %s, want it moved to %s", vifs[0].ConnectionID, lag)
	}
	if dp.VLANs[vif.ID].ParentID != lag {
		t.Errorf("data-plane VLAN on %s", dp.VLANs[vif.ID].ParentID)
	}
	dp.Converge(lag, c.ID)
	waitFor(t, sub, c.ID, sim.StateAvailable)
	rec, ok := s.LastAssociation(c.ID)
	if !ok || rec.Op != sim.OpAssociate || rec.LAGID != lag || rec.Converged.IsZero() || rec.Steps.Up.IsZero() {
		t.Fatalf("record: %+v", rec)
	}
	var kinds []string
	for _, e := range rec.Events {
		kinds = append(kinds, fmt.Sprintf("%s/%v/%#x", e.Kind, e.Up, e.LACPState))
	}
	want := []string{"link/false/0x0", "link/true/0x0", "lacp/false/0x5", "lacp/false/0x3d"}
	if fmt.Sprint(kinds) != fmt.Sprint(want) {
		t.Errorf("record events %v, want %v", kinds, want)
	}
	if _, err := s.DisassociateConnectionFromLag(ctx, acct, c.ID, lag); err != nil {
		t.Fatalf("disassociate after convergence: %v", err)
	}
	if got := mustConn(t, s, c.ID); got.State != sim.StateAvailable || got.Transitioning || got.LAGID != "" {
		t.Errorf("after disassociate: %+v", got)
	}
	if vifs, _ := s.VirtualInterfaces(acct, "", vif.ID); vifs[0].ConnectionID != lag {
		t.Errorf("VIF left the LAG on disassociate: %s", vifs[0].ConnectionID)
	}
}

func TestDataPlaneFailureEndsTransition(t *testing.T) {
	ctx := context.Background()
	dp := simtest.NewDataPlane(simtest.NewClock(), 64)
	s, _ := newService(t, dp)
	view, err := s.CreateLag(ctx, acct, sim.CreateLagInput{NumberOfConnections: 0, Location: "EqDC2", Bandwidth: "1Gbps", Name: "lag"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.CreateConnection(ctx, acct, sim.CreateConnectionInput{Location: "EqDC2", Bandwidth: "1Gbps", Name: "c", LAGID: view.LAG.ID})
	if err != nil {
		t.Fatal(err)
	}
	if c.Device != view.LAG.Device {
		t.Errorf("connection created into a LAG on %s, LAG on %s", c.Device, view.LAG.Device)
	}
	d := connOnDevice(t, s, "EqDC2", "1Gbps", view.LAG.Device)
	dp.Fail["MovePort"] = fmt.Errorf("boom")
	_, err = s.AssociateConnectionWithLag(ctx, acct, d.ID, view.LAG.ID)
	var apiErr *sim.Error
	if err == nil || !asErr(err, &apiErr) || apiErr.Code != sim.CodeServer {
		t.Fatalf("associate with failing data plane: %v", err)
	}
	if got := mustConn(t, s, d.ID); got.Transitioning {
		t.Error("still transitioning after a data-plane failure")
	}
	if rec, _ := s.LastAssociation(d.ID); rec.Err == "" {
		t.Error("record does not hold the failure")
	}
}

// TestConcurrentAssociatesRespectLAGSize races more associates than a LAG
// has room for: exactly the room is granted.
func TestConcurrentAssociatesRespectLAGSize(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t, nil)
	view, err := s.CreateLag(ctx, acct, sim.CreateLagInput{NumberOfConnections: 1, Location: "CSVA1", Bandwidth: "100Gbps", Name: "lag"})
	if err != nil {
		t.Fatal(err)
	}
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
			} else if sim.RuleOf(err) != sim.RuleLAGFull {
				t.Errorf("associate %s: %v", id, err)
			}
		})
	}
	wg.Wait()
	if ok != 1 || len(mustLAG(t, s, view.LAG.ID).Members) != 2 {
		t.Errorf("%d associates succeeded, LAG has %d members; want 1 and 2", ok, len(mustLAG(t, s, view.LAG.ID).Members))
	}
}

func TestRejectedRequestLeavesStateUnchanged(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t, nil)
	before := fmt.Sprint(len(mustConns(t, s)))
	// The third connection cannot join a 100G LAG: nothing of the request may remain.
	if _, err := s.CreateLag(ctx, acct, sim.CreateLagInput{NumberOfConnections: 3, Location: "EqDC2", Bandwidth: "100Gbps", Name: "x"}); sim.RuleOf(err) != sim.RuleLAGFull {
		t.Fatalf("CreateLag 3×100G: %v", err)
	}
	if _, err := s.CreateConnection(ctx, acct, sim.CreateConnectionInput{Location: "EqDC2", Bandwidth: "10Gbps", Name: "x", LAGID: "dxlag-zzzzzzzz"}); sim.RuleOf(err) != sim.RuleNotFound {
		t.Fatalf("CreateConnection into unknown LAG: %v", err)
	}
	if after := fmt.Sprint(len(mustConns(t, s))); after != before {
		t.Errorf("connections %s → %s", before, after)
	}
	if lags, _ := s.LAGs(acct, ""); len(lags) != 0 {
		t.Errorf("%d LAGs after rejected requests", len(lags))
	}
}

func mustConns(t *testing.T, s *sim.Service) []*sim.Connection {
	t.Helper()
	cs, err := s.Connections(acct, "")
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// connOnDevice creates connections until one lands on device (devices are
// assigned in turn), deleting the others.
func connOnDevice(t *testing.T, s *sim.Service, loc, bw, device string) *sim.Connection {
	t.Helper()
	for range 10 {
		c, err := s.CreateConnection(context.Background(), acct, sim.CreateConnectionInput{Location: loc, Bandwidth: bw, Name: "c"})
		if err != nil {
			t.Fatal(err)
		}
		if c.Device == device {
			return c
		}
		if _, err := s.DeleteConnection(context.Background(), acct, c.ID); err != nil {
			t.Fatal(err)
		}
	}
	t.Fatalf("no connection landed on %s", device)
	return nil
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
	ctx := context.Background()
	store := &failingStore{}
	s, err := sim.New(sim.Config{Clock: simtest.NewClock(), Store: store})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	view, err := s.CreateLag(ctx, acct, sim.CreateLagInput{NumberOfConnections: 2, Location: "EqDC2", Bandwidth: "10Gbps", Name: "lag"})
	if err != nil {
		t.Fatal(err)
	}
	store.armed = true
	_, err = s.DisassociateConnectionFromLag(ctx, acct, view.Members[0].ID, view.LAG.ID)
	var apiErr *sim.Error
	if !asErr(err, &apiErr) || apiErr.Code != sim.CodeServer {
		t.Fatalf("disassociate with a failing store: %v", err)
	}
	if _, err := s.CreateConnection(ctx, acct, sim.CreateConnectionInput{Location: "EqDC2", Bandwidth: "10Gbps", Name: "x"}); err == nil {
		t.Fatal("create acknowledged without a commit")
	}
	store.armed = false
	if got := mustLAG(t, s, view.LAG.ID); len(got.Members) != 2 || got.Members[0].Transitioning {
		t.Errorf("LAG after a failed commit: %d members, transitioning %v", len(got.Members), got.Members[0].Transitioning)
	}
	if n := len(mustConns(t, s)); n != 2 {
		t.Errorf("%d connections after a failed create, want 2", n)
	}
	if _, ok := s.LastAssociation(view.Members[0].ID); ok {
		t.Error("a refused disassociate left an association record")
	}
}

// TestHostedConnectionAccounts: a partner allocates a hosted connection for a
// customer; the customer sees and confirms it, the partner sees it on its
// interconnect and may delete it, a third account may do neither.
func TestHostedConnectionAccounts(t *testing.T) {
	ctx := context.Background()
	s, clock := newService(t, nil)
	const partner, customer, stranger = "111111111111", "222222222222", "333333333333"
	ic, err := s.CreateInterconnect(ctx, partner, sim.CreateConnectionInput{Location: "EqDC2", Bandwidth: "10Gbps", Name: "ic"})
	if err != nil {
		t.Fatal(err)
	}
	h, err := s.AllocateHostedConnection(ctx, partner, sim.AllocateHostedConnectionInput{ParentID: ic.ID, Owner: customer, Bandwidth: "1Gbps", Name: "h", VLAN: 10})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AllocateHostedConnection(ctx, stranger, sim.AllocateHostedConnectionInput{ParentID: ic.ID, Owner: customer, Bandwidth: "1Gbps", Name: "x", VLAN: 11}); sim.RuleOf(err) != sim.RuleNotFound {
		t.Errorf("a stranger allocating on the partner's interconnect: %v", err)
	}
	if got, err := s.Connections(customer, ""); err != nil || len(got) != 1 || got[0].State != sim.StateOrdering {
		t.Fatalf("customer's view: %v %v", got, err)
	}
	if _, err := s.ConfirmConnection(customer, h.ID); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second)
	if hs, err := s.HostedConnections(partner, ic.ID); err != nil || len(hs) != 1 || hs[0].State != sim.StateAvailable {
		t.Fatalf("partner's view: %v %v", hs, err)
	}
	if _, err := s.DeleteConnection(ctx, stranger, h.ID); sim.RuleOf(err) != sim.RuleNotFound {
		t.Errorf("a stranger deleting: %v", err)
	}
	if _, err := s.DeleteConnection(ctx, partner, h.ID); err != nil {
		t.Errorf("the partner deleting: %v", err)
	}
	if got, _ := s.Connections(customer, ""); len(got) != 0 {
		t.Errorf("customer still sees %d", len(got))
	}
}

// TestConcurrentRequestsKeepInvariants races requests that would each be
// allowed alone but not together: one connection into two LAGs, and two
// disassociates that would together break minimumLinks.
func TestConcurrentRequestsKeepInvariants(t *testing.T) {
	ctx := context.Background()
	s, clock := newService(t, nil)
	a, err := s.CreateLag(ctx, acct, sim.CreateLagInput{NumberOfConnections: 3, Location: "EqDC2", Bandwidth: "10Gbps", Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateLag(ctx, acct, a.LAG.ID, sim.UpdateLagInput{MinimumLinks: ptr(2)}); err != nil {
		t.Fatal(err)
	}
	var lagB []string // LAGs on a's device, so only the rules decide
	for len(lagB) < 2 {
		l, err := s.CreateLag(ctx, acct, sim.CreateLagInput{NumberOfConnections: 0, Location: "EqDC2", Bandwidth: "10Gbps", Name: "b"})
		if err != nil {
			t.Fatal(err)
		}
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
	if got := mustConn(t, s, c.ID); got.LAGID != lagB[0] && got.LAGID != lagB[1] {
		t.Errorf("connection in %q", got.LAGID)
	}
	n := 0
	for _, l := range lagB {
		n += len(mustLAG(t, s, l).Members)
	}
	if n != 1 {
		t.Errorf("the connection is a member of %d LAGs", n)
	}
	if left := len(mustLAG(t, s, a.LAG.ID).Members); left != 2 {
		t.Errorf("LAG with minimumLinks 2 has %d members after racing disassociates, want 2", left)
	}
}

// TestMustEncrypt: with must_encrypt and no MACsec key, a LAG's members carry
// no traffic, so they report down and the LAG is down; a key brings them
// back. A connection joining the LAG gives up its own keys for the LAG's.
func TestMustEncrypt(t *testing.T) {
	ctx := context.Background()
	s, clock := newService(t, nil)
	view, err := s.CreateLag(ctx, acct, sim.CreateLagInput{NumberOfConnections: 2, Location: "EqDC2", Bandwidth: "10Gbps", Name: "l", RequestMACsec: true})
	if err != nil {
		t.Fatal(err)
	}
	lag := view.LAG.ID
	clock.Advance(2 * time.Second)
	if got := mustLAG(t, s, lag).LAG.State; got != sim.StateAvailable {
		t.Fatalf("LAG %s before must_encrypt", got)
	}
	if _, err := s.UpdateLag(ctx, acct, lag, sim.UpdateLagInput{Encryption: ptr(sim.EncryptMust)}); err != nil {
		t.Fatal(err)
	}
	v := mustLAG(t, s, lag)
	if v.LAG.State != sim.StateDown || v.Members[0].State != sim.StateDown || !v.Members[0].EncryptionDown || v.Members[0].Encryption != sim.EncryptMust {
		t.Errorf("must_encrypt without a key: LAG %s, member %s (encryption down %v, mode %s)", v.LAG.State, v.Members[0].State, v.Members[0].EncryptionDown, v.Members[0].Encryption)
	}
	key := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	if _, err := s.AssociateMACsecKey(acct, lag, "", key, key); err != nil {
		t.Fatal(err)
	}
	if v := mustLAG(t, s, lag); v.LAG.State != sim.StateAvailable || v.Members[0].State != sim.StateAvailable {
		t.Errorf("with a key: LAG %s, member %s", v.LAG.State, v.Members[0].State)
	}

	// A MACsec connection with a key of its own, on the LAG's device.
	var c2 *sim.Connection
	for c2 == nil || c2.Device != view.LAG.Device {
		if c2, err = s.CreateConnection(ctx, acct, sim.CreateConnectionInput{Location: "EqDC2", Bandwidth: "10Gbps", Name: "m", RequestMACsec: true}); err != nil {
			t.Fatal(err)
		}
	}
	own := "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
	if _, err := s.AssociateMACsecKey(acct, c2.ID, "", own, own); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DisassociateConnectionFromLag(ctx, acct, view.Members[0].ID, lag); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AssociateConnectionWithLag(ctx, acct, c2.ID, lag); err != nil {
		t.Fatal(err)
	}
	got := mustConn(t, s, c2.ID)
	if len(got.MACsecKeys) != 0 || got.Encryption != sim.EncryptMust {
		t.Errorf("joined member keeps keys %v, mode %s; want the LAG's", got.MACsecKeys, got.Encryption)
	}
}

// TestCloseEndsSubscriptions: a subscriber ranging over its channel stops
// when the service closes (TestMain checks no goroutine is left behind).
func TestCloseEndsSubscriptions(t *testing.T) {
	clock := simtest.NewClock()
	s, err := sim.New(sim.Config{Clock: clock, DataPlane: simtest.NewDataPlane(clock, 64)})
	if err != nil {
		t.Fatal(err)
	}
	sub, _ := s.Subscribe(8)
	if _, err := s.CreateLag(context.Background(), acct, sim.CreateLagInput{NumberOfConnections: 2, Location: "EqDC2", Bandwidth: "10Gbps", Name: "l"}); err != nil {
		t.Fatal(err)
	}
	done := make(chan int)
	go func() {
		n := 0
		for range sub {
			n++
		}
		done <- n
	}()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if n := <-done; n == 0 {
		t.Error("the subscriber saw no state changes")
	}
}

// TestConcurrentRequestsWithDataPlane runs mutations that call the data
// plane from many goroutines at once: none may wait for another forever
// (a request's follow-up after its data-plane call takes the state lock
// while others are committing).
func TestConcurrentRequestsWithDataPlane(t *testing.T) {
	ctx := context.Background()
	clock := simtest.NewClock()
	dp := simtest.NewDataPlane(clock, 4)
	s, _ := newServiceClock(t, dp, clock)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 10 {
				c, err := s.CreateConnection(ctx, acct, sim.CreateConnectionInput{Location: "EqDC2", Bandwidth: "10Gbps", Name: "c"})
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := s.CreateLag(ctx, acct, sim.CreateLagInput{NumberOfConnections: 1, Location: "EqDC2", Bandwidth: "10Gbps", Name: "l", ConnectionID: c.ID}); err != nil && sim.RuleOf(err) != sim.RuleQuota {
					t.Error(err)
					return
				}
				if _, err := s.Connections(acct, ""); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
}
