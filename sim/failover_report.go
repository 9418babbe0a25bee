package sim

import "time"

// Failover test milestones (beside the BGP and routed ones).
const (
	MilestoneTestStarted   = "test_started"
	MilestoneTestCompleted = "test_completed"
	// The routed probe's outage as the traffic comes back to the tested
	// VIF after the test (MilestoneRoutedLost and MilestoneRoutedRestored
	// are the one as it leaves).
	MilestoneReturnLost     = "return_routed_lost"
	MilestoneReturnRestored = "return_routed_restored"
)

// FailoverReport is what a BGP failover test did to traffic, as dxsim's
// observer measured it: GET /dxsim/v1/failover-tests/{testId}. The routed
// probe runs twice: from the test's start for a few seconds (the traffic
// leaving the tested VIF's sessions) and from its end until the sessions
// are back with their routes and the traffic with them.
type FailoverReport struct {
	TestID  string    `json:"testId"`
	VIFID   string    `json:"vifId"`
	Started time.Time `json:"started"`
	// Milestones are timed from the test's start: test_started,
	// bgp_session_down, routed_lost, routed_restored, test_completed,
	// bgp_established, routes_restored, return_routed_lost,
	// return_routed_restored, as far as each was seen.
	Milestones []Milestone `json:"milestones"`
	// Failover and Return are the routed probe's two runs; nil when there
	// was nothing to probe (no routed path, or not dxsim's customer
	// router).
	Failover *RoutedProbe `json:"failover,omitempty"`
	Return   *RoutedProbe `json:"return,omitempty"`
	// Done is false while the test, or its aftermath, runs.
	Done bool   `json:"done"`
	Err  string `json:"error,omitempty"`
}

// Milestone returns the named milestone.
func (r *FailoverReport) Milestone(name string) (Milestone, bool) {
	for _, m := range r.Milestones {
		if m.Name == name {
			return m, true
		}
	}
	return Milestone{}, false
}

// FailoverTest returns a failover test by its ID, whoever owns it: for
// dxsim's own observer, not the API.
func (s *Service) FailoverTest(id string) (*FailoverTest, bool) {
	var out *FailoverTest
	_ = s.read(func(st *State) error {
		if f, ok := st.FailoverTests[id]; ok {
			out = f.clone()
		}
		return nil
	})
	return out, out != nil
}
