package backend

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Backend builds LAGs and VLANs in a namespace.
type Backend interface {
	// Name is "kernel" or "userspace".
	Name() string

	// CreateLAG makes the LAG's logical interface, up, with no members.
	CreateLAG(ctx context.Context, ns *NS, c LAGConfig) error
	// DeleteLAG removes it, releasing any members. Deleting an absent LAG
	// is not an error.
	DeleteLAG(ctx context.Context, ns *NS, name string) error
	SetMinLinks(ctx context.Context, ns *NS, name string, n int) error
	// AddMembers enslaves each member to its LAG, in order, stopping at
	// the first failure; it returns how many are members.
	AddMembers(ctx context.Context, ns *NS, ms []Membership) (int, error)
	RemoveMember(ctx context.Context, ns *NS, lag, member string) error

	// CreateVLAN makes an 802.1Q interface on a port or LAG, up.
	CreateVLAN(ctx context.Context, ns *NS, v VLANConfig) error
	// MoveVLAN puts an existing VLAN interface on another parent. Its
	// addresses are the caller's to restore.
	MoveVLAN(ctx context.Context, ns *NS, v VLANConfig) error
	// DeleteVLAN removes it; deleting an absent VLAN is not an error.
	DeleteVLAN(ctx context.Context, ns *NS, name string) error

	// LAGs lists the LAG interfaces present in ns, for discovery and
	// reconcile.
	LAGs(ctx context.Context, ns *NS) ([]LAGStatus, error)
	// LAGStatus reports the LAG's carrier, min links and each member's LACP
	// state.
	LAGStatus(ctx context.Context, ns *NS, name string) (LAGStatus, error)
	// VLANs lists the VLAN interfaces present in ns.
	VLANs(ctx context.Context, ns *NS) ([]VLANConfig, error)

	// Forget drops whatever the backend holds for ns, which is going: at
	// once, so that a namespace of the same name made next is new to it. It
	// returns the slow part of letting go (closing files, waiting for
	// goroutines), which the caller may run in the background.
	Forget(ns *NS) (stop func())
	Close() error
}

// UpFirst is a Backend's optional capability: new ports are best brought up
// before a batch of them is enslaved rather than after.
type UpFirst interface {
	Backend
	MembersUpFirst()
}

// NS is an open named namespace as a backend acts in it: its handle and a
// netlink handle and socket inside it, the data plane's to open and close.
type NS struct {
	Name    string
	Handle  netns.NsHandle
	Netlink *netlink.Handle
	Sock    *nl.SocketHandle // for requests the handle cannot build
}

// Carrier reports whether a link is up and has carrier: what "the link is
// up" means to the other end and to a bond.
func Carrier(a *netlink.LinkAttrs) bool {
	return a.Flags&net.FlagUp != 0 && a.RawFlags&unix.IFF_LOWER_UP != 0
}

// LinkByName finds an interface in ns; an absent one is a NotFoundError.
func LinkByName(ns *NS, name string) (netlink.Link, error) {
	l, err := ns.Netlink.LinkByName(name)
	var nf netlink.LinkNotFoundError
	if errors.As(err, &nf) {
		return nil, &NotFoundError{Kind: "interface", ID: name + " in " + ns.Name}
	}
	if err != nil {
		return nil, fmt.Errorf("%s in %s: %w", name, ns.Name, err)
	}
	return l, nil
}

// DelLink deletes an interface by name; an absent one is not an error.
func DelLink(ns *NS, name string) error {
	l, err := LinkByName(ns, name)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := ns.Netlink.LinkDel(l); err != nil && !errors.Is(err, unix.ENODEV) {
		return fmt.Errorf("deleting %s in %s: %w", name, ns.Name, err)
	}
	return nil
}

// LACPFaulter is a Backend that can break a member's LACP for training.
type LACPFaulter interface {
	// CheckLACPFault says whether the backend can apply f at all.
	CheckLACPFault(f LACPFault) error
	// SetLACPFault applies f to a member of a LAG in one namespace; the
	// zero LACPFault clears what was set.
	SetLACPFault(ctx context.Context, ns *NS, lag, member string, f LACPFault) error
}

// Impairer is a Backend that loses and delays what it sends out of a port
// itself: the data plane's way to lose and delay frames where the kernel
// has no netem.
type Impairer interface {
	// SetImpairment makes the port in ns lose loss percent of the frames
	// the backend sends out of it and hold each delay, give or take up to
	// jitter; all zero clears it. It stays with the port's name through
	// the port leaving a LAG and joining again.
	SetImpairment(ctx context.Context, ns *NS, port string, loss float64, delay, jitter time.Duration) error
}
