package sim

import (
	"context"
	"time"
)

// DataPlane is what the control plane needs from the links beneath it, at the
// level of Direct Connect operations. The topology package implements it with
// netlink; tests use a fake; "--dataplane none" uses no data plane at all and
// moves states on a provisioning schedule instead.
//
// Every method is idempotent for the same arguments, and a method that fails
// leaves nothing half-made behind.
type DataPlane interface {
	// CreatePort makes a connection's link: the DX end on the device and the
	// customer router's end, up.
	CreatePort(ctx context.Context, p PortSpec) error
	DeletePort(ctx context.Context, connectionID string) error

	// CreateLAG makes a LAG's logical interface on the device (and the matching
	// one on the customer router), with no members.
	CreateLAG(ctx context.Context, l LAGSpec) error
	DeleteLAG(ctx context.Context, lagID string) error
	SetMinLinks(ctx context.Context, lagID string, n int) error

	// MovePort moves a connection's port from one LAG to another: m.From ""
	// makes a standalone port a member, m.To "" releases a member. The port
	// goes down, leaves From, joins To, and comes back up, once, in that
	// order (a LAG-to-LAG move is one interruption). It returns when the
	// port is up again, with each step's time; a port already where To says
	// returns zero StepTimes. LACP convergence is reported later through
	// Events. m.Op and m.Requested are for those who watch the data plane.
	MovePort(ctx context.Context, m Move) (StepTimes, error)

	// CreateVLAN makes a VIF or hosted connection: an 802.1Q VLAN on its parent
	// (a connection's port, a LAG, or an interconnect).
	CreateVLAN(ctx context.Context, v VLANSpec) error
	// MoveVLAN moves a VLAN to another parent (a VIF or hosted connection that
	// follows its connection into a LAG).
	MoveVLAN(ctx context.Context, id, newParentID string) error
	// SetVLANAddresses gives an existing VLAN exactly v's addresses on each
	// side: a VIF's BGP peer came or went.
	SetVLANAddresses(ctx context.Context, v VLANSpec) error
	DeleteVLAN(ctx context.Context, id string) error

	// SetFaults gives a connection's port exactly these training faults
	// (LACP and link, either side; none clears them): they last until
	// set again, across the port's moves, and Reconcile keeps them.
	SetFaults(ctx context.Context, connectionID string, faults []Fault) error

	// Reconcile makes the data plane match the control plane's whole state,
	// after a crash, a restart or a hand edit, and reports what it had to fix.
	Reconcile(ctx context.Context, s Snapshot) ([]Drift, error)

	// Events delivers link and LACP status changes. There is one consumer.
	Events() <-chan Event

	// Close stops event delivery. It does not tear the links down.
	Close() error
}

// PortSpec describes a connection's link (a dedicated connection or an
// interconnect).
type PortSpec struct {
	ConnectionID string
	DeviceID     string // the AWS device (DX endpoint) the port terminates on
	Location     string
	Bandwidth    string // "1Gbps", "10Gbps", "100Gbps", "400Gbps", ...
	LAGID        string // the LAG it is a member of, "" when standalone
}

// LAGSpec describes a LAG's logical interface.
type LAGSpec struct {
	LAGID    string
	DeviceID string
	Location string
	MinLinks int
}

// VLANSpec describes a virtual interface or hosted connection.
type VLANSpec struct {
	ID              string // dxvif-… or dxcon-… (hosted)
	ParentID        string // dxcon-… or dxlag-… whose link carries the VLAN
	VLAN            int
	AmazonAddress   string // CIDR, "" when none
	CustomerAddress string // CIDR, "" when none
	// AmazonAddress2 and CustomerAddress2 are a VIF's second BGP peer's
	// (a VIF has at most one per address family, so at most two), "" when
	// it has none.
	AmazonAddress2   string `json:",omitempty"`
	CustomerAddress2 string `json:",omitempty"`
}

// Amazon returns the Amazon side's addresses (CIDRs), in order.
func (v VLANSpec) Amazon() []string { return nonEmpty(v.AmazonAddress, v.AmazonAddress2) }

// Customer returns the customer side's addresses (CIDRs), in order.
func (v VLANSpec) Customer() []string { return nonEmpty(v.CustomerAddress, v.CustomerAddress2) }

func nonEmpty(s ...string) []string {
	var out []string
	for _, a := range s {
		if a != "" {
			out = append(out, a)
		}
	}
	return out
}

// Snapshot is the control plane's whole desired state, as Reconcile takes it.
// Membership is PortSpec.LAGID.
type Snapshot struct {
	Ports []PortSpec
	LAGs  []LAGSpec
	VLANs []VLANSpec
	// Faults are the ports' training faults (LACP and link).
	Faults []Fault
}

// Drift is one difference Reconcile found between the data plane and the
// control plane, and what it did about it.
type Drift struct {
	ObjectID string
	Problem  string // e.g. "missing", "not enslaved", "unexpected"
	Action   string // e.g. "created", "enslaved", "deleted"
}

// StepTimes timestamps each step of an attach or detach.
type StepTimes struct {
	Down    time.Time // the DX port went down
	Changed time.Time // enslaved into, or released from, the LAG
	Up      time.Time // the DX port was brought up again
}

// Side says which end of a link an event speaks of: the DX endpoint's
// (aws) or the customer router's.
type Side int

const (
	SideAWS      Side = iota // aws
	SideCustomer             // customer
)

// EventKind says what an Event reports.
type EventKind int

const (
	// EventLink: a port's carrier changed (Up says which way).
	EventLink EventKind = iota + 1 // link
	// EventLACP: a LAG member's LACP actor state changed (LACPState holds the
	// 802.1AX state bits; Collecting and Distributing are decoded from them).
	EventLACP // lacp
	// EventLAG: a LAG's logical interface changed carrier (min links).
	EventLAG // lag
)

// Event is a status change reported by the data plane.
type Event struct {
	Time         time.Time
	Kind         EventKind
	Side         Side
	ConnectionID string // the port, for link and LACP events
	LAGID        string // the LAG, for LACP and LAG events
	Up           bool   // carrier, for link and LAG events
	LACPState    uint8  // actor state bits, for LACP events
}

// CollectingDistributing reports whether an LACP event's actor is both
// collecting and distributing: the member carries traffic.
func (e Event) CollectingDistributing() bool {
	const collecting, distributing = 0x10, 0x20
	return e.LACPState&(collecting|distributing) == collecting|distributing
}
