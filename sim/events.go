package sim

import (
	"time"
)

// StateChange is a control-plane state change: a connection, LAG or VIF
// entering a new state (To is "deleted" when it is removed; From is "" when
// it is created).
type StateChange struct {
	Time time.Time
	ID   string
	From string
	To   string
	// Fault, when set, says that a training fault on ID was set or
	// cleared; From and To are then empty.
	Fault *FaultChange
}

// AssociationRecord is what happened on the data plane during a connection's
// last associate or disassociate: the step times of the attach or detach and
// the data-plane events that followed until the link converged.
type AssociationRecord struct {
	Op           OpKind
	ConnectionID string
	LAGID        string
	FromLAGID    string // the LAG the connection left, for a re-association
	Requested    time.Time
	Steps        StepTimes
	Events       []Event
	Converged    time.Time // zero until the member collects and distributes (or, on disassociate, until the port is up)
	Err          string    // a data-plane failure, if any
	// Interruption is the observer's report of the move, once it has
	// finished (KeepInterruption); nil while it runs, or with no observer.
	Interruption *Interruption `json:",omitempty"`
}

// maxRecordEvents bounds the events kept per record; a flapping link must not
// grow memory without bound.
const maxRecordEvents = 256
