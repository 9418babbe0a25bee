package lacpfault

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Fault is what goes wrong with one member's LACP. The zero Fault is none.
// Faults combine: Silent and a Flap drop, Key and Passive rewrite what
// passes.
type Fault struct {
	// Silent drops every LACPDU the port sends, so its partner times it out
	// (3 s with short timeouts, 90 s with long ones).
	Silent bool
	// Key, when non-zero, is the actor key the port's LACPDUs carry instead
	// of the bond's; the partner's echo of it is written back to the bond's
	// own key on the way in. The partner sees a port with another key and
	// keeps it out of the LAG its other ports form.
	Key uint16
	// Passive makes the port LACP_Activity FALSE on the wire: the Activity
	// bit of its LACPDUs is cleared, and they are dropped while the
	// partner's last LACPDU was not Active either (two passive ends never
	// speak).
	Passive bool
	// FlapUp and FlapDown, both positive, make the port pass LACPDUs (both
	// ways) for FlapUp, then drop them for FlapDown, and again, until the
	// fault is changed or cleared: a member that keeps leaving and
	// rejoining. The schedule starts with FlapUp.
	FlapUp, FlapDown time.Duration
}

// ErrBadFault is returned for a Fault that cannot be applied.
var ErrBadFault = errors.New("lacpfault: invalid fault")

// ErrNoInterface is returned when the interface to fault is not in the
// namespace.
var ErrNoInterface = errors.New("lacpfault: no such interface")

// ErrUnsupported is returned where there is no tc and no eBPF.
var ErrUnsupported = errors.New("lacpfault: tc eBPF classifiers need Linux")

// ErrNotAttached is returned by Stats for an interface with no fault
// attached.
var ErrNotAttached = errors.New("lacpfault: no fault attached")

// IsZero reports whether f is no fault at all.
func (f Fault) IsZero() bool { return f == Fault{} }

// Flapping reports whether f has a flap schedule.
func (f Fault) Flapping() bool { return f.FlapUp > 0 && f.FlapDown > 0 }

// Validate reports a flap with one period unset or negative.
func (f Fault) Validate() error {
	if f.FlapUp < 0 || f.FlapDown < 0 || (f.FlapUp > 0) != (f.FlapDown > 0) {
		return fmt.Errorf("%w: flap up %v, down %v: both must be positive, or both zero", ErrBadFault, f.FlapUp, f.FlapDown)
	}
	return nil
}

// Counters are what the programs of one interface counted and learned since
// Set attached them. A new Fault on an attached interface keeps them.
type Counters struct {
	EgressPDUs, IngressPDUs       uint64 // LACPDUs seen, dropped or not
	DroppedEgress, DroppedIngress uint64
	ActorKeyRewritten             uint64 // egress PDUs given Fault.Key
	PartnerKeyRewritten           uint64 // ingress echoes of Fault.Key given back the bond's key
	ActivityCleared               uint64 // egress PDUs made passive
	ActivityRestored              uint64 // ingress echoes of a cleared Activity bit set back

	// LocalKey is the bond's own actor key as last seen on egress under a
	// Key fault; zero until then.
	LocalKey uint16
	// PartnerSeen says an LACPDU came in; PartnerState is the actor state
	// of the last one.
	PartnerSeen  bool
	PartnerState uint8
}

// The config map's one value, as the programs read it (native byte order,
// the key as it is on the wire).
const (
	cfgFlags = 0 // uint32
	cfgKey   = 4 // uint16, wire order
	cfgOwner = 8 // uint32: Set added the clsact qdisc
	cfgSize  = 16
)

// Config flags.
const (
	flagSilent   = 1 << iota
	flagKey      // rewrite keys
	flagPassive  // LACP_Activity FALSE
	flagFlapDown // a flap's down phase: drop both ways
)

// config is the config map's value.
type config struct {
	flags uint32
	key   uint16
	owner bool
}

func configOf(f Fault) config {
	var c config
	if f.Silent {
		c.flags |= flagSilent
	}
	if f.Key != 0 {
		c.flags |= flagKey
		c.key = f.Key
	}
	if f.Passive {
		c.flags |= flagPassive
	}
	return c
}

func (c config) withFlapDown(down bool) config {
	c.flags &^= flagFlapDown
	if down {
		c.flags |= flagFlapDown
	}
	return c
}

func (c config) marshal() []byte {
	b := make([]byte, cfgSize)
	binary.NativeEndian.PutUint32(b[cfgFlags:], c.flags)
	binary.BigEndian.PutUint16(b[cfgKey:], c.key)
	if c.owner {
		binary.NativeEndian.PutUint32(b[cfgOwner:], 1)
	}
	return b
}

func unmarshalConfig(b []byte) (config, error) {
	if len(b) != cfgSize {
		return config{}, fmt.Errorf("lacpfault: config value of %d bytes, want %d", len(b), cfgSize)
	}
	return config{
		flags: binary.NativeEndian.Uint32(b[cfgFlags:]),
		key:   binary.BigEndian.Uint16(b[cfgKey:]),
		owner: binary.NativeEndian.Uint32(b[cfgOwner:]) != 0,
	}, nil
}

// The state map's one value: uint64 slots the programs write.
const (
	stLocalKey            = 8 * iota // wire-order key | stKnown, learned on egress
	stLocalState                     // actor state | stKnown, learned on egress
	stPartnerState                   // partner's actor state | stKnown, learned on ingress
	stEgressPDUs                     // counters from here on
	stIngressPDUs                    //
	stDroppedEgress                  //
	stDroppedIngress                 //
	stActorKeyRewritten              //
	stPartnerKeyRewritten            //
	stActivityCleared                //
	stActivityRestored               //
	stSize                           // the value's size
)

// stKnown marks a learned slot as set.
const stKnown = 0x10000

func unmarshalCounters(b []byte) (Counters, error) {
	if len(b) != stSize {
		return Counters{}, fmt.Errorf("lacpfault: state value of %d bytes, want %d", len(b), stSize)
	}
	u := func(off int) uint64 { return binary.NativeEndian.Uint64(b[off:]) }
	s := Counters{
		EgressPDUs:          u(stEgressPDUs),
		IngressPDUs:         u(stIngressPDUs),
		DroppedEgress:       u(stDroppedEgress),
		DroppedIngress:      u(stDroppedIngress),
		ActorKeyRewritten:   u(stActorKeyRewritten),
		PartnerKeyRewritten: u(stPartnerKeyRewritten),
		ActivityCleared:     u(stActivityCleared),
		ActivityRestored:    u(stActivityRestored),
	}
	if k := u(stLocalKey); k&stKnown != 0 {
		// The program stored the key's wire bytes as a native uint16.
		var w [2]byte
		binary.NativeEndian.PutUint16(w[:], uint16(k))
		s.LocalKey = binary.BigEndian.Uint16(w[:])
	}
	if p := u(stPartnerState); p&stKnown != 0 {
		s.PartnerSeen, s.PartnerState = true, uint8(p)
	}
	return s, nil
}
