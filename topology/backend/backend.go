// Package backend is the line between dxsim's data plane (topology) and what
// builds its LAGs and VLANs: the kernel's bonding and 802.1Q drivers
// (topology/kernel) or dxsim's own userspace LACP engine and VLAN tagging
// (topology/userspace). Everything else (namespaces, veth ports, the order
// of a move, addresses, events, reconcile, teardown) is the same for both
// and stays in topology.
//
// Each call acts in one namespace: the data plane calls it once for the AWS
// device's side and once for the customer router's, the two sides possibly
// at the same time, so a Backend allows calls for different namespaces to
// run concurrently. Members are brought down before AddMembers and
// RemoveMember and up afterwards by the caller, except that a Backend that
// is an UpFirst is given a batch of new members already up.
package backend

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/dxsim/dxsim/lacp"
)

// LAGConfig is a LAG's logical interface in one namespace.
type LAGConfig struct {
	Name      string
	MinLinks  int
	SystemMAC net.HardwareAddr // the LACP system ID and the interface's MAC
}

// Membership is a port to enslave to a LAG.
type Membership struct{ LAG, Port string }

// VLANConfig is an 802.1Q interface in one namespace.
type VLANConfig struct {
	Name   string // the VIF's (or hosted connection's) ID
	Parent string // the port's or LAG's interface
	VID    int
}

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

// ErrNotFound is matched (errors.Is) by a NotFoundError.
var ErrNotFound = errors.New("not found")

// NotFoundError names an object that is not there.
type NotFoundError struct {
	Kind string // "connection", "LAG", "VLAN", "device", "interface"
	ID   string
}

func (e *NotFoundError) Error() string { return fmt.Sprintf("%s %s not found", e.Kind, e.ID) }

// Is makes errors.Is(err, ErrNotFound) true.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// Pick picks one LAG out of a listing.
func Pick(all []LAGStatus, err error, name string) (LAGStatus, error) {
	if err != nil {
		return LAGStatus{}, err
	}
	for _, s := range all {
		if s.Name == name {
			return s, nil
		}
	}
	return LAGStatus{}, &NotFoundError{Kind: "LAG interface", ID: name}
}

// LACPFault is a training fault on one LAG member's LACP (the zero value is
// none): what a misconfigured or failing end does to its LAG.
type LACPFault struct {
	// Silent: the member sends no LACPDUs, so its partner times it out.
	Silent bool
	// WrongKey gives the member a key unlike its LAG's (Key, or one the
	// backend picks when Key is 0): its partner will not aggregate it
	// with the LAG's other members.
	WrongKey bool
	Key      uint16
	// Passive: LACP_Activity FALSE, speaking only to an active partner.
	Passive bool
	// Slow asks the partner for LACPDUs every 30 s, not every second.
	Slow bool
	// FlapUp and FlapDown, both positive, bounce the member's LACP on that
	// schedule.
	FlapUp, FlapDown time.Duration
}

// Checkpoints is a durable store for what a backend keeps across a restart
// of the process that runs it (the userspace engine's LAGs, VLANs and LACP
// state), one opaque value per namespace, by its name. Load returns nil
// when there is none; Save with nil data forgets it. A backend given one
// leaves its interfaces in place when the process stops, to be adopted by
// the next.
type Checkpoints interface {
	LoadCheckpoint(ns string) ([]byte, error)
	SaveCheckpoint(ns string, data []byte) error
}
