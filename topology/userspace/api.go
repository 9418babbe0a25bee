package userspace

//go:generate go tool stringer -type=EventKind -linecomment -output=enums_string.go

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/dxsim/dxsim/lacp"
	"github.com/dxsim/dxsim/lacp/engine"
	"github.com/vishvananda/netns"
)

// Config is a Host's namespace and surroundings.
type Config struct {
	// NetNS is the namespace the Host works in; 0 means the caller's own.
	NetNS netns.NsHandle
	// Logger is slog.Default() when nil.
	Logger *slog.Logger
	// Now is the clock the LACP control runs on; time.Now when nil.
	Now func() time.Time
	// Events is the capacity of the Events channel; 256 when zero. A Host
	// drops events (and counts them) rather than stall on a slow reader.
	Events int
	// OnCheckpoint, when set, makes the Host's TAPs persistent (they
	// outlive the process: Detach leaves them, Resume adopts them) and
	// receives the Host's checkpoint each time it changes in a way a resume
	// must know of: a LAG, member or VLAN made or removed, min links, a
	// member's LACP machines or what either end says (not every LACPDU).
	// Calls come one at a time, from one goroutine, latest state last.
	OnCheckpoint func(HostCheckpoint)

	// linkBuffer, when not zero, is the link watch's receive buffer in
	// bytes instead of linkwatch's default: tests make it tiny to overflow.
	linkBuffer int
}

// LAGConfig is a LAG's logical interface.
type LAGConfig struct {
	Name     string // the TAP device's name
	MinLinks int
	// SystemMAC is the TAP's MAC and the LACP system ID; the kernel's random
	// TAP address when nil.
	SystemMAC      net.HardwareAddr
	SystemPriority uint16 // 32768 when zero
	Key            uint16 // the LACP operational key; 1 when zero
	Passive        bool   // LACP passive mode; active by default
	Slow           bool   // ask the partner for long timeouts; short (fast) by default
	// SelectionDelay holds every member out of collecting and distributing
	// until that long after the first is added: Linux bonding's 8 s
	// aggregator selection timer. None by default, as the standard has it.
	SelectionDelay time.Duration
	// Tick, when positive, runs the LAG's LACP machines on a tick as a
	// Linux bond does (engine.LinuxTick): state changes and transmissions
	// on tick instants, each member sending at most every third tick.
	// The standard's event-driven machines by default.
	Tick time.Duration
	// LinkMonitor, when positive, has the LAG look at its members' links
	// on that period, as a Linux bond's miimon does (LinuxLinkMonitor):
	// a member's link that goes down is noticed at the next look, and one
	// down and up again between two looks is never noticed. By default
	// every link change is taken at once.
	LinkMonitor time.Duration
	// Static aggregates every member whose link is up, with no LACP at all
	// (a "mode on" channel group).
	Static bool
}

// LinuxLinkMonitor is the miimon of the kernel backend's bonds.
const LinuxLinkMonitor = 100 * time.Millisecond

// Timers is the LACP timing a Backend's LAGs run.
type Timers int

const (
	// TimersLinux behaves as the Linux bond (bond_3ad.c) of the kernel
	// backend does: its machines run on a 100 ms tick, each member sends
	// at most every third tick, its 8 s aggregator selection timer holds a
	// LAG's first member out of collecting and distributing, and it looks
	// at its members' links every 100 ms (miimon).
	TimersLinux Timers = iota
	// Timers8021AX runs IEEE 802.1AX's timers alone.
	Timers8021AX
)

// lag sets c's timing fields for t.
func (t Timers) lag(c LAGConfig) LAGConfig {
	if t == TimersLinux {
		c.SelectionDelay, c.Tick, c.LinkMonitor = engine.LinuxSelectionDelay, engine.LinuxTick, LinuxLinkMonitor
	}
	return c
}

// Membership is a port (a veth) that is to be a member of a LAG.
type Membership struct {
	LAG, Port string
}

// VLANConfig is an 802.1Q interface.
type VLANConfig struct {
	Name   string // the TAP device's name
	Parent string // a port (veth) or a LAG of this Host
	VID    int    // 1-4094
}

// Fault is a training fault on one member's LACP (the zero Fault is none):
// what a misconfigured or failing partner does to a LAG.
type Fault struct {
	// Silent: the member keeps running LACP but sends nothing, so its
	// partner times it out (3 s with short timeouts, 90 s with long).
	Silent bool
	// Key, when not zero, replaces the LAG's key on this member: a key the
	// partner's LAG does not share keeps the member out of it.
	Key uint16
	// Passive makes the member speak only to an active partner.
	Passive bool
	// Slow asks the partner for long timeouts (LACPDUs every 30 s), as a
	// port configured for the slow rate does; it times its partner out
	// after 90 s.
	Slow bool
	// FlapUp and FlapDown, both positive, bounce the member's LACP port on
	// that schedule while its link is up.
	FlapUp, FlapDown time.Duration
}

// Impairment is what a port does to every frame the Host sends out of it
// (the zero Impairment is none): a LAG's data frames distributed to a
// member, VLAN frames on a trunk port, and the LACPDUs of the member's LACP
// control alike, as a netem qdisc on the veth would.
type Impairment struct {
	// Loss is the percentage of frames lost, at random (0-100).
	Loss float64
	// Delay holds each frame that long before it is written, give or take
	// up to Jitter (uniformly). Without jitter frames keep their order;
	// with it they may pass each other, as netem's do.
	Delay, Jitter time.Duration
}

// ImpairmentStats counts what a port's impairment did to its frames since
// it was set (a cleared impairment's counts go with it).
type ImpairmentStats struct {
	Sent     uint64 // written, at once or after their delay
	Lost     uint64 // dropped by Loss
	Overflow uint64 // dropped because too many frames were held (drop-tail)
}

// LAGStatus is a LAG as its Host sees it.
type LAGStatus struct {
	Name     string
	Up       bool // carrier: at least MinLinks members collecting and distributing
	MinLinks int
	Members  []MemberStatus
}

// MemberStatus is one member's link and LACP state.
type MemberStatus struct {
	Name    string
	Up      bool // the member's link (veth) is up
	Actor   lacp.State
	Partner lacp.State
}

// CollectingDistributing reports whether the member carries traffic.
func (m MemberStatus) CollectingDistributing() bool {
	return m.Actor.Has(lacp.StateCollecting | lacp.StateDistributing)
}

// EventKind says what an Event reports.
type EventKind int

const (
	// EventMember: a member's LACP actor or partner state changed.
	EventMember EventKind = iota + 1 // member
	// EventCarrier: a LAG's TAP gained or lost carrier (min links).
	EventCarrier // carrier
	// EventLink: a member's link went up or down.
	EventLink // link
)

// Event is a change a Host reports.
type Event struct {
	Time    time.Time
	Kind    EventKind
	LAG     string
	Member  string     // member and link events
	Actor   lacp.State // member events
	Partner lacp.State // member events
	Up      bool       // carrier and link events
}

func (e Event) String() string {
	switch e.Kind {
	case EventMember:
		return fmt.Sprintf("%s/%s actor %s partner %s", e.LAG, e.Member, e.Actor, e.Partner)
	case EventLink:
		return fmt.Sprintf("%s/%s link up=%v", e.LAG, e.Member, e.Up)
	}
	return fmt.Sprintf("%s %s up=%v", e.LAG, e.Kind, e.Up)
}

// Errors a caller may branch on (errors.Is).
var (
	ErrNotFound    = errors.New("userspace: no such object")
	ErrExists      = errors.New("userspace: object exists with other settings")
	ErrInUse       = errors.New("userspace: in use")
	ErrUnsupported = errors.New("userspace: needs Linux (TAP, AF_PACKET)")
)

func notFound(kind, name string) error { return fmt.Errorf("%w: %s %q", ErrNotFound, kind, name) }
