package topology

import (
	"context"
	"net"
)

// backend is what differs between the kernel's bonding and 8021q drivers and
// dxsim's userspace LACP engine. Everything else (namespaces, veth ports,
// the order of an attach, addresses, events, reconcile, teardown) is the
// same for both and lives in DataPlane.
//
// Each call acts in one namespace: the DataPlane calls it once for the AWS
// device's side and once for the customer router's, the two sides possibly
// at the same time (a backend must allow calls for different namespaces to
// run concurrently). Members are brought down before AddMember and
// RemoveMember and up afterwards by the caller, except that a backend that
// says MembersUpFirst is given a batch of new members already up.
type backend interface {
	// Name is "kernel" or "userspace".
	Name() string

	// CreateLAG makes the LAG's logical interface, up, with no members.
	CreateLAG(ctx context.Context, ns *netNS, c lagConfig) error
	// DeleteLAG removes it, releasing any members. Deleting an absent LAG
	// is not an error.
	DeleteLAG(ctx context.Context, ns *netNS, name string) error
	SetMinLinks(ctx context.Context, ns *netNS, name string, n int) error
	AddMember(ctx context.Context, ns *netNS, lag, member string) error
	// AddMembers enslaves each member to its LAG, in order, stopping at
	// the first failure; it returns how many are members.
	AddMembers(ctx context.Context, ns *netNS, ms []membership) (int, error)
	// MembersUpFirst is true when new ports are best brought up before a
	// batch of them is enslaved rather than after.
	MembersUpFirst() bool
	RemoveMember(ctx context.Context, ns *netNS, lag, member string) error

	// CreateVLAN makes an 802.1Q interface on a port or LAG, up.
	CreateVLAN(ctx context.Context, ns *netNS, v vlanConfig) error
	// MoveVLAN puts an existing VLAN interface on another parent. Its
	// addresses are the caller's to restore.
	MoveVLAN(ctx context.Context, ns *netNS, v vlanConfig) error
	// DeleteVLAN removes it; deleting an absent VLAN is not an error.
	DeleteVLAN(ctx context.Context, ns *netNS, name string) error

	// LAGs lists the LAG interfaces present in ns, for discovery and
	// reconcile.
	LAGs(ctx context.Context, ns *netNS) ([]LAGStatus, error)
	// LAGStatus reports the LAG's carrier, min links and each member's LACP
	// state.
	LAGStatus(ctx context.Context, ns *netNS, name string) (LAGStatus, error)
	// VLANs lists the VLAN interfaces present in ns.
	VLANs(ctx context.Context, ns *netNS) ([]vlanConfig, error)

	// Forget drops whatever the backend holds for ns, which is going: at
	// once, so that a namespace of the same name made next is new to it. It
	// returns the slow part of letting go (closing files, waiting for
	// goroutines), which the caller may run in the background.
	Forget(ns *netNS) (stop func())
	Close() error
}

// lagConfig is a LAG's logical interface in one namespace.
type lagConfig struct {
	Name      string
	MinLinks  int
	SystemMAC net.HardwareAddr // the LACP system ID and the interface's MAC
}

// membership is a port to enslave to a LAG.
type membership struct{ lag, port string }

// vlanConfig is an 802.1Q interface in one namespace.
type vlanConfig struct {
	Name   string // the VIF's (or hosted connection's) ID
	Parent string // the port's or LAG's interface
	VID    int
}
