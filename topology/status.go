package topology

import "github.com/dxsim/dxsim/lacp"

// LAGStatus is a LAG's logical interface as one side sees it.
type LAGStatus struct {
	Name     string
	Up       bool // carrier: at least MinLinks members are active
	MinLinks int
	Members  []MemberStatus
}

// MemberStatus is one LAG member's link and LACP state.
type MemberStatus struct {
	Name    string
	Up      bool
	Actor   lacp.State
	Partner lacp.State
}

// PortStatus is a connection's link, both ends.
type PortStatus struct {
	ConnectionID string
	DeviceID     string
	LAGID        string // "" when standalone
	AWSUp        bool
	CustomerUp   bool
	AWSLACP      *MemberStatus // nil when not a LAG member
	CustomerLACP *MemberStatus
}

// VLANStatus is a VLAN interface, both ends.
type VLANStatus struct {
	ID         string
	Parent     string
	VLAN       int
	AWSUp      bool
	CustomerUp bool
}

// Status is everything a data plane holds, as the kernel reports it.
type Status struct {
	Backend string
	Ports   []PortStatus
	LAGs    []LAGSideStatus
	VLANs   []VLANStatus
	// LinkResyncs counts the link watches lost to an overflowing socket and
	// repaired, since Open: link events may have been late (never lost).
	LinkResyncs uint64
}

// LAGSideStatus is a LAG's logical interface on both sides.
type LAGSideStatus struct {
	LAGID    string
	DeviceID string
	AWS      LAGStatus
	Customer LAGStatus
}
