package sim

import (
	"context"
	"slices"
	"time"
)

// BGP failover tests (StartBgpFailoverTest, StopBgpFailoverTest,
// ListVirtualInterfaceTestHistory).
//
// A test is kept as its history entry: in-progress from its start, then
// completed when stopped, when its duration has passed (dated then), or when
// its VIF is deleted. A VIF runs one test at a time. While it runs, the
// sessions it names are held down on the data plane (BGPRouters: Down), and
// with them the routes: the Region sends the traffic over the VIF's other
// paths, if it has any (topology/region).
//
//	test: in-progress → completed

// Failover test statuses, as AWS reports them.
const (
	TestInProgress = "in-progress"
	TestCompleted  = "completed"
)

// Failover test durations in minutes (model: "Maximum value: 4,320 minutes
// (72 hours). Default: 180 minutes (3 hours)").
const (
	DefaultTestMinutes = 180
	MaxTestMinutes     = 4320
)

// FailoverTest is one BGP failover test of a VIF.
type FailoverTest struct {
	ID      string    `json:"id"`
	VIFID   string    `json:"vifId"`
	Owner   string    `json:"owner"`
	Peers   []string  `json:"bgpPeers"`
	Status  string    `json:"status"`
	Minutes int       `json:"minutes"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end,omitzero"` // when it completed
	Since   time.Time `json:"since"`
}

func (f *FailoverTest) lifecycle() (string, string, *time.Time) { return f.ID, f.Status, &f.Since }

func (f *FailoverTest) clone() *FailoverTest {
	n := *f
	n.Peers = slices.Clone(f.Peers)
	return &n
}

func (t *txn) putTest(f *FailoverTest) { put(t, t.st.FailoverTests, f) }

// StartFailoverTest starts a failover test of a VIF's BGP peers: those
// named, or all of them; for minutes (0: the default of 180).
func (s *Service) StartFailoverTest(ctx context.Context, account, vifID string, peers []string, minutes int) (*FailoverTest, error) {
	var out *FailoverTest
	err := s.do(ctx, "StartBgpFailoverTest", func(t *txn) error {
		v, err := findVIF(t.st, account, vifID)
		if err != nil {
			return err
		}
		if minutes == 0 {
			minutes = DefaultTestMinutes
		}
		if peers, err = checkStartTest(t.st, v, peers, minutes); err != nil {
			return err
		}
		id, err := s.newUUID()
		if err != nil {
			return err
		}
		out = &FailoverTest{ID: id, VIFID: v.ID, Owner: v.Owner, Peers: peers, Status: TestInProgress, Minutes: minutes, Start: t.now, Since: t.now}
		t.putTest(out)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkStartTest: the duration is 1 to 4,320 minutes; the VIF is available
// (a session that is not up cannot be taken down) and runs no other test;
// the peers named are the VIF's, and not being deleted. It returns the
// peers to test.
func checkStartTest(st *State, v *VIF, named []string, minutes int) ([]string, error) {
	if minutes < 1 || minutes > MaxTestMinutes {
		return nil, clientErr(RuleInvalidArgument, "testDurationInMinutes %d is not between 1 and %d.", minutes, MaxTestMinutes)
	}
	if v.State != StateAvailable {
		return nil, clientErr(RuleState, "Virtual interface %s is in state %s; a failover test needs it available.", v.ID, v.State)
	}
	if f := runningTest(st, v.ID); f != nil {
		return nil, clientErr(RuleInUse, "Virtual interface %s is already under failover test %s; stop it first.", v.ID, f.ID)
	}
	var live []string
	for _, p := range v.peers() {
		if p.live() {
			live = append(live, p.ID)
		}
	}
	if len(named) == 0 {
		return live, nil
	}
	var out []string
	for _, id := range named {
		if !slices.Contains(live, id) {
			return nil, clientErr(RuleNotFound, "Could not find BGP peer %s on virtual interface %s.", id, v.ID)
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

func runningTest(st *State, vifID string) *FailoverTest {
	for _, f := range st.FailoverTests {
		if f.VIFID == vifID && f.Status == TestInProgress {
			return f
		}
	}
	return nil
}

// StopFailoverTest ends a VIF's running failover test.
func (s *Service) StopFailoverTest(ctx context.Context, account, vifID string) (*FailoverTest, error) {
	var out *FailoverTest
	err := s.do(ctx, "StopBgpFailoverTest", func(t *txn) error {
		v, err := findVIF(t.st, account, vifID)
		if err != nil {
			return err
		}
		f := runningTest(t.st, v.ID)
		if f == nil {
			return clientErr(RuleState, "Virtual interface %s has no failover test in progress.", v.ID)
		}
		out = f.clone()
		out.Status, out.End = TestCompleted, t.now
		t.putTest(out)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// TestFilter narrows ListVirtualInterfaceTestHistory; empty fields match all.
type TestFilter struct {
	TestID, VIFID, Status string
	Peers                 []string // tests that took all of these down
}

func (q TestFilter) match(f *FailoverTest) bool {
	switch {
	case q.TestID != "" && f.ID != q.TestID,
		q.VIFID != "" && f.VIFID != q.VIFID,
		q.Status != "" && f.Status != q.Status:
		return false
	}
	for _, p := range q.Peers {
		if !slices.Contains(f.Peers, p) {
			return false
		}
	}
	return true
}

// FailoverTests lists the caller's failover tests that match q, oldest
// first (by start, then ID).
func (s *Service) FailoverTests(account string, q TestFilter) ([]*FailoverTest, error) {
	var out []*FailoverTest
	err := s.read(func(st *State) error {
		for _, f := range st.FailoverTests {
			if f.Owner == account && q.match(f) {
				out = append(out, f)
			}
		}
		slices.SortFunc(out, func(a, b *FailoverTest) int {
			if c := a.Start.Compare(b.Start); c != 0 {
				return c
			}
			return compareIDs(a.ID, b.ID)
		})
		return nil
	})
	return out, err
}

// testDeadline is when a running test completes by itself: when its
// duration has passed, or at once when its VIF is gone.
func (s *Service) testDeadline(st *State, f *FailoverTest) (time.Time, bool) {
	if f.Status != TestInProgress {
		return time.Time{}, false
	}
	if _, ok := st.VIFs[f.VIFID]; !ok {
		if g, ok := st.Gone[f.VIFID]; ok {
			return g.Deleted, true
		}
		return f.Start, true
	}
	return f.Start.Add(time.Duration(f.Minutes) * time.Minute), true
}

// advanceBGP moves BGP peers and failover tests whose deadline has passed.
func (s *Service) advanceBGP(t *txn) {
	s.advancePeers(t)
	for _, f := range t.st.FailoverTests {
		if at, ok := s.testDeadline(t.st, f); ok && !t.now.Before(at) {
			n := f.clone()
			n.Status, n.End = TestCompleted, at
			t.putTest(n)
			n.Since = at
		}
	}
}

// bgpNext offers the earliest deadline of BGP peers and failover tests.
func (s *Service) bgpNext(consider func(time.Time, bool)) {
	s.peersNext(consider)
	for _, f := range s.state.FailoverTests {
		consider(s.testDeadline(s.state, f))
	}
}
