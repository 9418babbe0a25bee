package dxapi

import (
	"time"

	"github.com/dxsim/dxsim/sim"
)

// Event types.
const (
	TypeState        = "state"        // a control-plane state change
	TypeMilestone    = "milestone"    // an observed operation reached a milestone
	TypeInterruption = "interruption" // an observed operation finished: Report holds it
	TypeBGP          = "bgp"          // a VIF's BGP session changed state or prefix count
	TypeFault        = "fault"        // a training fault was set or cleared
)

// Event is one line of the event stream.
type Event struct {
	Type string    `json:"type"`
	Time time.Time `json:"time"`
	ID   string    `json:"id"` // the connection, LAG or VIF

	// State changes.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`

	// Milestones and reports.
	Op        sim.OpKind        `json:"op,omitzero"`
	Milestone string            `json:"milestone,omitempty"`
	TMS       *float64          `json:"t_ms,omitempty"`
	Report    *sim.Interruption `json:"report,omitempty"`

	// BGP sessions (ID is the VIF).
	BGPPeer  string  `json:"bgpPeerId,omitempty"`
	BGPState string  `json:"bgpState,omitempty"`
	Prefixes *uint64 `json:"prefixes,omitempty"` // accepted from the customer
	Reason   string  `json:"reason,omitempty"`

	// Faults (ID is the object): Action is "set" or "cleared".
	Action string     `json:"action,omitempty"`
	Fault  *sim.Fault `json:"fault,omitempty"`
}

func bgpEvent(b sim.BGPSession) Event {
	n := b.Prefixes
	return Event{Type: TypeBGP, Time: b.Time, ID: b.VIFID, BGPPeer: b.PeerID, BGPState: b.State, Prefixes: &n, Reason: b.Reason}
}

func stateEvent(c sim.StateChange) Event {
	if c.Fault != nil {
		e := Event{Type: TypeFault, Time: c.Time, ID: c.ID, Action: "set", Fault: &c.Fault.Fault}
		if c.Fault.Cleared {
			e.Action = "cleared"
		}
		return e
	}
	return Event{Type: TypeState, Time: c.Time, ID: c.ID, From: c.From, To: c.To}
}

func updateEvent(u sim.InterruptionUpdate) Event {
	e := Event{ID: u.ConnectionID, Op: u.Op}
	switch {
	case u.Report != nil:
		e.Type, e.Report = TypeInterruption, u.Report
		if n := len(u.Report.Milestones); n > 0 {
			e.Time = u.Report.Milestones[n-1].Time
		}
	case u.Milestone != nil:
		t := u.Milestone.TMS
		e.Type, e.Time, e.Milestone, e.TMS = TypeMilestone, u.Milestone.Time, u.Milestone.Name, &t
	}
	return e
}
