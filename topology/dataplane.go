package topology

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/vishvananda/netns"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology/backend"
)

// Options configure a DataPlane.
type Options struct {
	// Backend is "auto" (kernel where bonding and 802.1Q exist, userspace
	// elsewhere), "kernel" or "userspace".
	Backend string
	// Prefix starts every namespace name: "<prefix>-dx-<device>" and
	// "<prefix>-cr-<device>". It must start with "dxsim"; DefaultPrefix
	// when empty. A lab uses its own, so two labs never share a namespace.
	Prefix string
	// Ownership, when set, records the namespaces this data plane made:
	// only those are adopted, repaired and deleted (by Reconcile and
	// Teardown); another namespace matching the prefix is left alone and
	// logged once. When nil, every namespace matching the prefix is this
	// data plane's.
	Ownership Ownership
	// Checkpoints, when set, lets the userspace backend's LAGs and VLANs
	// outlive the process: their TAPs stay when the data plane closes (or
	// the process dies), and the LACP state and membership kept here let
	// the next process adopt them and carry on without renegotiating
	// (backend.Checkpoints). Teardown and deletions still remove them.
	// The kernel backend's bonds and VLANs outlive the process anyway.
	Checkpoints Checkpoints
	// Logger receives what the data plane decides; slog.Default when nil.
	Logger *slog.Logger
	// Now timestamps steps and events; time.Now when nil.
	Now func() time.Time
	// LACPTimers is the LACP timing the LAGs run: TimersLinux (the
	// default) behaves as the Linux bonds of the kernel backend do, on
	// either backend; Timers8021AX runs the standard's timers alone, which
	// only dxsim's userspace engine can (auto then picks it, and kernel
	// refuses).
	LACPTimers string
	// PollInterval is how often kernel bonds' members' LACP state is read;
	// 100 ms when zero, a bond's tick, which its state changes no faster
	// than. The bond reports its per-member 802.3ad state on request, not
	// in link notifications.
	PollInterval time.Duration

	// linkBuffer, when not zero, is the link watches' receive buffer in
	// bytes instead of linkwatch's default: tests make it tiny to overflow.
	linkBuffer int
}

func (o Options) withDefaults() Options {
	if o.Backend == "" {
		o.Backend = "auto"
	}
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.LACPTimers == "" {
		o.LACPTimers = TimersLinux
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 100 * time.Millisecond
	}
	return o
}

// The LACP timings of Options.LACPTimers.
const (
	// TimersLinux behaves as Linux bonding (bond_3ad.c) does: machines on
	// a 100 ms tick, each member sending at most every third tick, and the
	// 8 s aggregator selection timer when a LAG gets its first member, so
	// both backends give the same milestones.
	TimersLinux = "linux"
	// Timers8021AX runs IEEE 802.1AX's timers alone, as a peer that is not
	// Linux might: no selection timer.
	Timers8021AX = "802.1ax"
)

// Checkpoints is a durable store of what the data plane's backend hands
// from one process to the next (Options.Checkpoints).
type Checkpoints = backend.Checkpoints

// ErrUnsupported is matched (errors.Is) by an UnsupportedError.
var ErrUnsupported = errors.New("unsupported by this data-plane backend")

// UnsupportedError is an operation the chosen backend cannot do here.
type UnsupportedError struct {
	Backend string // "kernel", "userspace"
	Op      string // e.g. "create LAG"
	Reason  string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("%s backend cannot %s: %s", e.Backend, e.Op, e.Reason)
}

// Is makes errors.Is(err, ErrUnsupported) true.
func (e *UnsupportedError) Is(target error) bool { return target == ErrUnsupported }

// MissingFeatureError says the kernel lacks a module a backend needs: asking
// for the kernel backend where bonding or 802.1Q is missing.
type MissingFeatureError struct {
	Module string // "bonding", "8021q"
	Err    error  // what the kernel answered
}

func (e *MissingFeatureError) Error() string {
	return fmt.Sprintf("kernel has no %s module (probe: %v)", e.Module, e.Err)
}

func (e *MissingFeatureError) Unwrap() error { return e.Err }

// Features is what the running kernel can build.
type Features struct {
	Bonding error // nil when the kernel makes 802.3ad bonds
	VLAN    error // nil when it makes 802.1Q VLAN devices
}

// chooseBackend picks the backend the mode names ("kernel" or "userspace")
// and says why.
func chooseBackend(mode, timers string, probe func() (Features, error)) (string, string, error) {
	switch mode {
	case "auto", "kernel", "userspace":
	default:
		return "", "", fmt.Errorf("unknown data-plane backend %q: want auto, kernel or userspace", mode)
	}
	switch timers {
	case TimersLinux:
	case Timers8021AX:
		switch mode {
		case "kernel":
			return "", "", fmt.Errorf("LACP timers %q need the userspace backend: a kernel bond runs Linux's timers", timers)
		case "auto":
			return "userspace", "802.1AX timers asked for: only dxsim's LACP engine runs them", nil
		}
	default:
		return "", "", fmt.Errorf("unknown LACP timers %q: want %s or %s", timers, TimersLinux, Timers8021AX)
	}
	if mode == "userspace" {
		return "userspace", "asked for userspace", nil
	}
	f, err := probe()
	if err != nil {
		return "", "", err
	}
	var missing error
	switch {
	case f.Bonding != nil:
		missing = &MissingFeatureError{Module: "bonding", Err: f.Bonding}
	case f.VLAN != nil:
		missing = &MissingFeatureError{Module: "8021q", Err: f.VLAN}
	}
	switch {
	case missing == nil && mode == "kernel":
		return "kernel", "asked for kernel; bonding and 802.1Q present", nil
	case missing == nil:
		return "kernel", "kernel has bonding and 802.1Q", nil
	case mode == "kernel":
		return "", "", fmt.Errorf("--dataplane kernel: %w", missing)
	default:
		return "userspace", missing.Error(), nil
	}
}

// Move is a port move the data plane is about to make, as it announces it to
// the hooks given to OnMove: what the control plane asked for (with the
// operation and its request time), where the port really is, and the
// namespaces of both its ends.
type Move struct {
	sim.Move
	// Found is the LAG the port is in as the move starts, "" when
	// standalone: Move.From, unless a crash or a hand edit put it elsewhere.
	Found  string
	Device string
	// AWS and Customer are the device's namespace and its customer
	// router's. They are the data plane's and valid while the hook runs: a
	// hook that keeps one duplicates it.
	AWS, Customer netns.NsHandle
}

// MoveHook is told of each move the data plane makes, before the port goes
// down. It returns what to call when the move is over (the port up again, or
// the move failed), or nil. It runs inside the move, so it starts what it
// needs (a capture, a probe) and returns; it never waits.
type MoveHook func(Move) (done func(sim.StepTimes, error))

// moveHooks is the hooks a data plane announces its moves to.
type moveHooks struct {
	mu   sync.Mutex
	next int
	m    map[int]MoveHook
}

func (h *moveHooks) add(f MoveHook) (remove func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m == nil {
		h.m = map[int]MoveHook{}
	}
	id := h.next
	h.next++
	h.m[id] = f
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.m, id)
	}
}

// announce tells every hook of m and returns what to tell them when it is
// over.
func (h *moveHooks) announce(m Move) (done func(sim.StepTimes, error)) {
	h.mu.Lock()
	hooks := make([]MoveHook, 0, len(h.m))
	for _, f := range h.m {
		hooks = append(hooks, f)
	}
	h.mu.Unlock()
	var dones []func(sim.StepTimes, error)
	for _, f := range hooks {
		if d := f(m); d != nil {
			dones = append(dones, d)
		}
	}
	return func(st sim.StepTimes, err error) {
		for _, d := range dones {
			d(st, err)
		}
	}
}

// Ownership is a durable record of the namespaces a data plane made, so that
// it deletes only those: never another instance's that merely match its
// prefix (a second `dxsim serve` with another state, a lab). A data plane
// records a namespace before it makes it (a crash in between leaves a
// recorded but absent namespace, which is harmless) and forgets it after it
// deletes it.
//
// With Options.Ownership nil, every namespace matching the prefix is the
// data plane's: labs, whose prefix is their own by construction, and tests.
type Ownership interface {
	// Owned names the recorded namespaces. A nil map, unlike an empty one,
	// means no record was ever started: a state from before records were
	// kept. Then the first Reconcile takes the namespaces of the devices
	// it is asked for as owned (they are what that state made), records
	// them, and so starts the record.
	Owned() (map[string]bool, error)
	// Own records namespaces as the data plane's, durably, before it
	// returns. With no names it starts an empty record.
	Own(names ...string) error
	// Disown forgets namespaces.
	Disown(names ...string) error
}

// ErrNotOwned is matched (errors.Is) by a NotOwnedError.
var ErrNotOwned = errors.New("namespace is not this data plane's")

// NotOwnedError is a namespace the data plane would make or use that exists
// but is not in its record: another instance's with the same prefix.
type NotOwnedError struct {
	Namespace string
}

func (e *NotOwnedError) Error() string {
	return fmt.Sprintf("namespace %s exists but is not in this data plane's record (another dxsim's with the same prefix?); "+
		"left alone: give each instance its own prefix", e.Namespace)
}

// Is makes errors.Is(err, ErrNotOwned) true.
func (e *NotOwnedError) Is(target error) bool { return target == ErrNotOwned }

// PortStatus is a connection's link, both ends.
type PortStatus struct {
	ConnectionID string
	DeviceID     string
	LAGID        string // "" when standalone
	AWSUp        bool
	CustomerUp   bool
	// AWSMissing and CustomerMissing say an end's interface is not there
	// (deleted by hand): it is down, and Reconcile makes it again.
	AWSMissing      bool
	CustomerMissing bool
	AWSLACP         *backend.MemberStatus // nil when not a LAG member
	CustomerLACP    *backend.MemberStatus
}

// VLANStatus is a VLAN interface, both ends.
type VLANStatus struct {
	ID         string
	Parent     string
	VLAN       int
	AWSUp      bool
	CustomerUp bool
	// AWSMissing and CustomerMissing say a side's interface is not there
	// (deleted by hand).
	AWSMissing      bool
	CustomerMissing bool
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
	AWS      backend.LAGStatus
	Customer backend.LAGStatus
}
