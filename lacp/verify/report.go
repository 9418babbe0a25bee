package verify

//go:generate go tool stringer -type=Side,EventKind,IssueKind,Direction -linecomment -output=enums_string.go

import (
	"fmt"
	"time"

	"github.com/dxsim/dxsim/lacp"
)

// Report is the timeline of an LACP conversation on each port of a LAG.
type Report struct {
	// Start is the time of the first LACPDU observed.
	Start time.Time
	// Local and Remote are the actor systems of the two sides.
	Local, Remote lacp.SystemID
	// LocalInferred says Local was inferred rather than configured.
	LocalInferred bool
	// Ports are sorted by name.
	Ports []*Port
	// Issues are inconsistencies in the conversation, in time order.
	Issues []Issue
	// Markers, OtherSubtypes and Malformed count the Slow Protocols frames
	// that are not timed: Marker PDUs, other subtypes, undecodable LACPDUs.
	Markers, OtherSubtypes, Malformed int
}

// Side is one end of a link.
type Side uint8

// Sides.
const (
	SideLocal  Side = iota // local
	SideRemote             // remote
	// SideBoth is an event of the link, not of one side.
	SideBoth // both
)

// Port is the timeline of one link: a captured port and its partner.
type Port struct {
	// Name is the captured interface, or "port N" (N the local port
	// number) when the capture names no interface.
	Name string
	// Local and Remote are the latest actor information each side sent;
	// zero for a side never heard.
	Local, Remote lacp.PortInfo
	// FirstLocal and FirstRemote are the times of each side's first
	// LACPDU; zero if none.
	FirstLocal, FirstRemote time.Time
	// Enslaved is when the port joined the LAG: the time passed to
	// MarkEnslaved, else the local side's first LACPDU (EnslavedMarked
	// says which).
	Enslaved       time.Time
	EnslavedMarked bool
	// Usable is the first time at or after Enslaved that both sides were
	// in sync, collecting and distributing: frames pass both ways. Zero if
	// never.
	Usable time.Time
	// PDUs counts the LACPDUs observed on the link, both ways.
	PDUs   int
	Events []Event
}

// ConvergedAfter is how long after it was enslaved the port became usable
// both ways; false if it did not, or its enslaving time is unknown.
func (p *Port) ConvergedAfter() (time.Duration, bool) {
	if p.Usable.IsZero() || p.Enslaved.IsZero() {
		return 0, false
	}
	return p.Usable.Sub(p.Enslaved), true
}

// First returns the time of the first event of kind on side.
func (p *Port) First(side Side, kind EventKind) (time.Time, bool) {
	for _, e := range p.Events {
		if e.Side == side && e.Kind == kind {
			return e.Time, true
		}
	}
	return time.Time{}, false
}

// Event is a change in one side's actor state, or in the link's usability.
type Event struct {
	Time time.Time
	Side Side
	Kind EventKind
	// State is the side's actor state after the event (zero for SideBoth
	// events).
	State lacp.State
}

// EventKind names what happened.
type EventKind uint8

// Event kinds. The "set" kinds mean the side's actor state bit turned on,
// the "cleared" kinds that it turned off.
const (
	EventFirstPDU            EventKind = iota // first PDU
	EventSync                                 // sync
	EventCollecting                           // collecting
	EventDistributing                         // distributing
	EventDefaulted                            // defaulted
	EventExpired                              // expired
	EventSyncLost                             // sync lost
	EventCollectingStopped                    // collecting stopped
	EventDistributingStopped                  // distributing stopped
	EventDefaultedCleared                     // defaulted cleared
	EventExpiredCleared                       // expired cleared
	// EventUsable: both sides in sync, collecting and distributing;
	// EventUnusable: no longer so.
	EventUsable   // usable both ways
	EventUnusable // not usable
)

// stateEvents maps the state bits the timeline follows to their events.
var stateEvents = [...]struct {
	bit          lacp.State
	set, cleared EventKind
}{
	{lacp.StateSynchronization, EventSync, EventSyncLost},
	{lacp.StateCollecting, EventCollecting, EventCollectingStopped},
	{lacp.StateDistributing, EventDistributing, EventDistributingStopped},
	{lacp.StateDefaulted, EventDefaulted, EventDefaultedCleared},
	{lacp.StateExpired, EventExpired, EventExpiredCleared},
}

// Issue is an inconsistency in the conversation. Repeats of the same issue
// on the same port and side are counted, not listed.
type Issue struct {
	// Time is the first PDU that shows the issue; for a LAG-wide issue,
	// the first PDU of that side on the port.
	Time   time.Time
	Port   string
	Side   Side // the side whose PDU shows it
	Kind   IssueKind
	Detail string
	Count  int
}

func (i Issue) String() string {
	return fmt.Sprintf("%s %s: %s: %s (%d times)", i.Port, i.Side, i.Kind, i.Detail, i.Count)
}

// IssueKind classifies an Issue.
type IssueKind uint8

// Issue kinds.
const (
	// IssueEcho: a side's Partner information is not what the other side
	// says of itself.
	IssueEcho IssueKind = iota // partner information not echoed
	// IssueKey: the ports of one side of the LAG use different keys.
	IssueKey // keys differ across the LAG
	// IssueSystem: the ports of one side of the LAG use different systems.
	IssueSystem // system IDs differ across the LAG
)
