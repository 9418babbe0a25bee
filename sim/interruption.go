package sim

import "time"

// Milestone names, in the order they normally happen.
const (
	MilestoneRequested         = "request_accepted"
	MilestoneCalled            = "dataplane_called" // capture and probe running; the data plane is asked
	MilestoneDXPortDown        = "dx_port_down"
	MilestoneCustomerDown      = "customer_carrier_lost"
	MilestoneEnslaved          = "enslaved"
	MilestoneReleased          = "released"
	MilestoneDXPortUp          = "dx_port_up"
	MilestoneCustomerUp        = "customer_carrier_up"
	MilestoneFirstPDUDX        = "first_lacpdu_from_dx"
	MilestoneFirstPDUCustomer  = "first_lacpdu_from_customer"
	MilestoneSyncDX            = "dx_in_sync"
	MilestoneSyncCustomer      = "customer_in_sync"
	MilestoneCollDistDX        = "dx_collecting_distributing"
	MilestoneCollDistCustomer  = "customer_collecting_distributing"
	MilestoneLACPConverged     = "lacp_converged"
	MilestoneProbeRestored     = "probe_restored"
	MilestoneObservationFailed = "observation_failed"

	// A VIF's BGP, per VIF (Milestone.VIF) that moved with the connection.
	MilestoneBGPDown        = "bgp_session_down" // Amazon's side saw its session leave Established
	MilestoneBGPEstablished = "bgp_established"  // Established again
	MilestoneRoutesRestored = "routes_restored"  // both sides have each other's prefixes again

	// The routed probe's (a customer network to a VPC's address and back).
	MilestoneRoutedLost     = "routed_lost"     // the last echo before its longest outage
	MilestoneRoutedRestored = "routed_restored" // the first echo after it
)

// Milestone is one step of an operation, timed from the request.
type Milestone struct {
	Name string    `json:"name"`
	TMS  float64   `json:"t_ms"` // milliseconds after the request was accepted
	Time time.Time `json:"time"`
	// VIF is the VIF whose BGP session a bgp_ or routes_ milestone is of.
	VIF string `json:"vifId,omitempty"`
}

// Interruption is what one associate or disassociate did to a connection's
// link, as dxsim's observer measured it on the data plane: the report that
// /dxsim/v1/interruptions/{id} serves. It is kept with the connection's
// association record, so a restart keeps it.
type Interruption struct {
	Op           OpKind `json:"op"`
	Backend      string `json:"backend,omitempty"`
	ConnectionID string `json:"connectionId"`
	LAGID        string `json:"lagId"`
	// Requested is when the control plane accepted the request.
	Requested  time.Time   `json:"requested"`
	Milestones []Milestone `json:"milestones"`

	// InterruptionMS runs from carrier loss (the customer router's, else
	// the DX port going down) to traffic restored (the first probe frame
	// delivered again).
	InterruptionMS *float64 `json:"interruption_ms"`
	// LACPConvergedMS runs from carrier loss to both sides collecting and
	// distributing; nil on disassociate, where there is no LACP.
	LACPConvergedMS *float64 `json:"lacp_converged_ms"`
	// OverheadMS is dxsim's own part: from the request to the DX port up
	// again.
	OverheadMS *float64 `json:"overhead_ms"`
	// DataPlaneMS is the data plane's own part of OverheadMS: from the DX
	// port down to up again (down, enslave or release, up).
	DataPlaneMS *float64 `json:"dataplane_ms"`
	// ProbeOutageMS is the probe's longest outage, as its lost sequence
	// numbers tell it (lost frames / rate); ProbesLost how many frames were
	// lost in all.
	ProbeOutageMS *float64 `json:"probe_outage_ms"`
	// ProbeOutages is every run of lost probe frames, the longest among
	// them, timed from the request.
	ProbeOutages []ProbeOutage `json:"probe_outages,omitempty"`
	ProbesSent   uint64        `json:"probes_sent"`
	ProbesLost   int           `json:"probes_lost"`
	ProbeRate    int           `json:"probe_rate"`
	// LACPOutageMS is the same outage as the link and LACP timeline tell
	// it: from the DX port going down to the DX side collecting on the
	// member (on disassociate, to the link up on both sides).
	LACPOutageMS *float64 `json:"lacp_outage_ms"`
	// ProbeLatenessMS is how late the probe's sender ran at the edges of
	// its longest outage (zero while it kept time). A sender the scheduler
	// runs late sends its backlog at once when it runs again; backlog
	// frames sent after the link came back are delivered, so the true
	// outage lies between ProbeOutageMS and ProbeOutageMS+ProbeLatenessMS.
	ProbeLatenessMS float64 `json:"probe_lateness_ms"`
	// Agree says whether LACPOutageMS is within the observer's bound
	// (10 ms) of the probe's outage: of ProbeOutageMS, widened by
	// ProbeLatenessMS when the sender ran late.
	Agree bool `json:"agree"`

	// LACPSource says where the LACP milestones come from: "actor state"
	// (the member's own state: a kernel bond's read every millisecond, the
	// userspace engine's as it changes) or, when that is unknown,
	// "LACPDUs" (the capture). PDUs trail the state they announce: a Linux
	// bond sends one at most every third 100 ms tick, and any actor at most
	// three a second.
	LACPSource string `json:"lacp_source,omitempty"`

	// BGP is, per VIF that moved with the connection, what happened to its
	// session (the bgp_ and routes_ milestones carry the times).
	BGP []VIFSession `json:"bgp,omitempty"`

	// Routed is the routed probe's view, when the connection carried a
	// VIF with routes: layer 3, end to end.
	Routed *RoutedProbe `json:"routed,omitempty"`

	Pcap   string   `json:"pcap,omitempty"`
	Issues []string `json:"issues,omitempty"`
	Err    string   `json:"error,omitempty"`
}

// VIFSession is what an operation did to one VIF's BGP session.
type VIFSession struct {
	VIFID string `json:"vifId"`
	// From and To are the connection or LAG that carried the VIF before
	// and after.
	From string `json:"from"`
	To   string `json:"to"`
	// ResetBy says who reset the session and why.
	ResetBy string `json:"resetBy"`
	// DownMS, EstablishedMS and RestoredMS are the session's milestones,
	// in milliseconds after the request; nil when not reached.
	DownMS        *float64 `json:"bgp_session_down_ms"`
	EstablishedMS *float64 `json:"bgp_established_ms"`
	RestoredMS    *float64 `json:"routes_restored_ms"`
	// Prefixes are what each side had from the other before the move, and
	// what routes_restored waited for (Customer is -1 when the customer's
	// router is not dxsim's, and only Amazon's side is known).
	AmazonPrefixes   uint64 `json:"amazon_prefixes"`
	CustomerPrefixes int64  `json:"customer_prefixes"`
}

// RoutedProbe is what the routed probe saw: UDP from an address of the
// customer's network to an address of a VPC (or transit gateway's prefix)
// and echoed back, over whatever path BGP and the Region chose.
type RoutedProbe struct {
	VIFID string `json:"vifId"` // the moved VIF whose routes it follows
	From  string `json:"from"`
	To    string `json:"to"`
	// OutageMS is its longest outage: the longest run of lost sequence
	// numbers, at its rate (nil when nothing was lost).
	OutageMS *float64 `json:"outage_ms"`
	Sent     uint64   `json:"sent"`
	Lost     int      `json:"lost"`
	Rate     int      `json:"rate"`
}

// VIFMilestone returns the named milestone of a VIF.
func (r *Interruption) VIFMilestone(name, vifID string) (Milestone, bool) {
	for _, m := range r.Milestones {
		if m.Name == name && m.VIF == vifID {
			return m, true
		}
	}
	return Milestone{}, false
}

// Milestone returns the named milestone.
func (r *Interruption) Milestone(name string) (Milestone, bool) {
	for _, m := range r.Milestones {
		if m.Name == name {
			return m, true
		}
	}
	return Milestone{}, false
}

// ProbeOutage is one run of lost probe frames: from the last frame
// delivered before it to the first after it (-1 when there was none).
type ProbeOutage struct {
	FromMS float64 `json:"from_ms"`
	ToMS   float64 `json:"to_ms"`
	Lost   int     `json:"lost"`
}

// InterruptionUpdate is what an observer tells as an operation goes: a
// milestone as it is reached, or the finished report.
type InterruptionUpdate struct {
	ConnectionID string
	Op           OpKind
	Milestone    *Milestone    // a milestone just reached
	Report       *Interruption // the operation's finished report
}
