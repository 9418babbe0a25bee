package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Training faults: what a misconfigured or failing end does to a link, set
// and cleared by a trainer (dxsim's own API, `dxsim fault`, a lab file or an
// exercise), never by the Direct Connect API. A fault is on one side of
// one object: a connection's port (LACP and link faults, as its LAG's
// member) or a VIF's BGP. Faults are kept in the state like every other
// object, so a restart puts them back; a connection's LACP and link faults
// reach the data plane as one durable effect (set-faults, the connection's
// whole set), its VIFs' BGP faults through BGPRouters.
//
// A side has at most one fault of each class (LACP, link, BGP): setting
// one replaces the last. Deleting the object clears its faults.

// Fault classes.
const (
	FaultLACP = "lacp"
	FaultLink = "link"
	FaultBGP  = "bgp"
)

// Fault sides: the AWS device's end, or the customer router's.
const (
	FaultSideAWS      = "aws"
	FaultSideCustomer = "customer"
)

// FaultModes are each class's modes.
var FaultModes = map[string][]string{
	FaultLACP: {"silent", "wrong-key", "passive", "slow", "flap"},
	FaultLink: {"down", "flap", "loss", "delay"},
	FaultBGP:  {"wrong-asn", "wrong-md5", "too-many-prefixes", "reset"},
}

// Default fault parameters.
const (
	DefaultFlapUp   = 5 * time.Second
	DefaultFlapDown = 5 * time.Second
	DefaultLoss     = 10.0 // percent
	DefaultDelay    = 100 * time.Millisecond
	// MaxFaultPrefixes bounds too-many-prefixes' announcements.
	MaxFaultPrefixes = 5000
)

// Duration is a time.Duration written in JSON as Go writes it ("1.5s").
type Duration time.Duration

// MarshalJSON writes "1.5s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads "1.5s" (or a number of nanoseconds).
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n int64
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("a duration is a string such as \"2s\": %s", b)
		}
		*d = Duration(n)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: want a number and a unit, such as 500ms or 2s", s)
	}
	*d = Duration(v)
	return nil
}

// FaultSpec is a fault as a trainer asks for it: exactly one of LACP, Link
// and BGP, on a Connection (LACP, link) or a VIF (BGP), on one Side. The
// parameters that do not apply to its mode stay zero.
type FaultSpec struct {
	Connection string `json:"connection,omitempty"`
	VIF        string `json:"vif,omitempty"`
	Side       string `json:"side"`
	LACP       string `json:"lacp,omitempty"`
	Link       string `json:"link,omitempty"`
	BGP        string `json:"bgp,omitempty"`

	// Key is wrong-key's LACP key (0: one unlike the LAG's).
	Key uint16 `json:"key,omitempty"`
	// FlapUp and FlapDown are a flap's periods (5 s each when zero).
	FlapUp   Duration `json:"flapUp,omitempty"`
	FlapDown Duration `json:"flapDown,omitempty"`
	// Loss is the percentage of frames lost (loss: 10 when zero); Delay
	// and Jitter what each frame is held (delay: 100 ms when zero).
	// Either mode takes the other's parameters too.
	Loss   float64  `json:"loss,omitempty"`
	Delay  Duration `json:"delay,omitempty"`
	Jitter Duration `json:"jitter,omitempty"`
	// ASN is wrong-asn's: the ASN the side runs instead of its own (its
	// own plus one when zero).
	ASN int64 `json:"asn,omitempty"`
	// AuthKey is wrong-md5's: the MD5 key the side uses instead ("wrong-"
	// and the right one when empty).
	AuthKey string `json:"authKey,omitempty"`
	// Prefixes is how many prefixes too-many-prefixes announces (the
	// VIF's limit plus one when zero).
	Prefixes int `json:"prefixes,omitempty"`
	// Period repeats a reset (0: once, when set).
	Period Duration `json:"period,omitempty"`
}

// Class is the fault's class: lacp, link or bgp ("" when none is set).
func (f FaultSpec) Class() string {
	switch {
	case f.LACP != "":
		return FaultLACP
	case f.Link != "":
		return FaultLink
	case f.BGP != "":
		return FaultBGP
	}
	return ""
}

// Mode is the fault's mode within its class.
func (f FaultSpec) Mode() string { return f.LACP + f.Link + f.BGP }

// Target is the object the fault is on.
func (f FaultSpec) Target() string { return f.Connection + f.VIF }

// FaultID is the ID of a side's fault of a class on an object.
func FaultID(target, side, class string) string { return target + "/" + side + "/" + class }

// Fault is a fault that is set.
type Fault struct {
	ID string `json:"id"`
	FaultSpec
	Set time.Time `json:"set"`
}

// String says what the fault is, for logs and lists: "customer side of
// dxcon-1: lacp silent".
func (f Fault) String() string {
	return fmt.Sprintf("%s side of %s: %s %s%s", f.Side, f.Target(), f.Class(), f.Mode(), f.params())
}

func (f FaultSpec) params() string {
	var p []string
	switch f.Mode() {
	case "wrong-key":
		if f.Key != 0 {
			p = append(p, fmt.Sprintf("key %d", f.Key))
		}
	case "flap":
		p = append(p, fmt.Sprintf("up %s, down %s", time.Duration(f.FlapUp), time.Duration(f.FlapDown)))
	case "wrong-asn":
		if f.ASN != 0 {
			p = append(p, fmt.Sprintf("AS %d", f.ASN))
		}
	case "too-many-prefixes":
		p = append(p, fmt.Sprintf("%d prefixes", f.Prefixes))
	case "reset":
		if f.Period > 0 {
			p = append(p, fmt.Sprintf("every %s", time.Duration(f.Period)))
		}
	}
	if f.Loss > 0 {
		p = append(p, fmt.Sprintf("%g%% loss", f.Loss))
	}
	if f.Delay > 0 {
		d := time.Duration(f.Delay).String()
		if f.Jitter > 0 {
			d += " ± " + time.Duration(f.Jitter).String()
		}
		p = append(p, d+" delay")
	}
	if len(p) == 0 {
		return ""
	}
	return " (" + strings.Join(p, ", ") + ")"
}

// FaultChecker is a data plane that can say, before a fault is kept,
// whether it can apply it (a backend without the means refuses it).
type FaultChecker interface {
	CheckFault(f FaultSpec) error
}

// FaultChange is a fault set or cleared, as the change bus carries it.
type FaultChange struct {
	Time    time.Time
	Fault   Fault
	Cleared bool
}

func (t *txn) putFault(f *Fault) {
	old, had := t.st.Faults[f.ID]
	t.undo = append(t.undo, func() {
		if had {
			t.st.Faults[f.ID] = old
		} else {
			delete(t.st.Faults, f.ID)
		}
	})
	t.st.Faults[f.ID] = f
	t.mark(f.ID, f)
	t.faults = append(t.faults, FaultChange{Time: t.now, Fault: *f})
}

func (t *txn) dropFault(id string) {
	old, had := t.st.Faults[id]
	if !had {
		return
	}
	t.undo = append(t.undo, func() { t.st.Faults[id] = old })
	delete(t.st.Faults, id)
	t.mark(id, faultDropped{})
	t.faults = append(t.faults, FaultChange{Time: t.now, Fault: *old, Cleared: true})
}

// faultDropped marks a fault's ID cleared in a txn.
type faultDropped struct{}

// SetFault sets a training fault, replacing its side's fault of the same
// class on the object, and (for a connection's LACP and link faults) sets
// the connection's faults on the data plane. A spec that names no object
// there is, a mode that does not exist, or parameters out of range is a
// client's mistake, and nothing changes.
func (s *Service) SetFault(ctx context.Context, spec FaultSpec) (*Fault, error) {
	var out *Fault
	err := s.do(ctx, "SetFault", func(t *txn) error {
		f, err := s.checkFault(t.st, spec)
		if err != nil {
			return err
		}
		out = &Fault{ID: FaultID(f.Target(), f.Side, f.Class()), FaultSpec: f, Set: t.now}
		t.putFault(out)
		if f.Connection != "" {
			t.effect(faultsEffect(t.st, f.Connection))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ClearFaults clears the faults on an object (target), of one side and
// class when those are given; with no target, every fault. It returns
// those cleared (none is no error).
func (s *Service) ClearFaults(ctx context.Context, target, side, class string) ([]Fault, error) {
	var out []Fault
	err := s.do(ctx, "ClearFaults", func(t *txn) error {
		if side != "" && side != FaultSideAWS && side != FaultSideCustomer {
			return clientErr(RuleInvalidArgument, "side %q: want aws or customer.", side)
		}
		if _, ok := FaultModes[class]; class != "" && !ok {
			return clientErr(RuleInvalidArgument, "fault class %q: want lacp, link or bgp.", class)
		}
		conns := map[string]bool{}
		for _, f := range sortedFaults(t.st) {
			if (target != "" && f.Target() != target) || (side != "" && f.Side != side) || (class != "" && f.Class() != class) {
				continue
			}
			out = append(out, *f)
			t.dropFault(f.ID)
			if f.Connection != "" {
				conns[f.Connection] = true
			}
		}
		for _, id := range slices.Sorted(maps.Keys(conns)) {
			if _, ok := t.st.Connections[id]; ok {
				t.effect(faultsEffect(t.st, id))
			}
		}
		return nil
	})
	return out, err
}

// Faults returns every fault set, by ID.
func (s *Service) Faults() []Fault {
	var out []Fault
	_ = s.read(func(st *State) error {
		for _, f := range sortedFaults(st) {
			out = append(out, *f)
		}
		return nil
	})
	return out
}

func sortedFaults(st *State) []*Fault {
	out := slices.Collect(maps.Values(st.Faults))
	slices.SortFunc(out, func(a, b *Fault) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// connFaults are a connection's LACP and link faults, by ID.
func connFaults(st *State, id string) []Fault {
	var out []Fault
	for _, f := range sortedFaults(st) {
		if f.Connection == id {
			out = append(out, *f)
		}
	}
	return out
}

func faultsEffect(st *State, connID string) Effect {
	return Effect{Kind: EffectSetFaults, ID: connID, Faults: connFaults(st, connID)}
}

// clearFaultsOf drops an object's faults as it is deleted; the data plane's
// go with its port.
func (t *txn) clearFaultsOf(id string) {
	for _, f := range sortedFaults(t.st) {
		if f.Target() == id {
			t.dropFault(f.ID)
		}
	}
}

// checkFault validates a spec against the state and fills in defaults.
func (s *Service) checkFault(st *State, f FaultSpec) (FaultSpec, error) {
	if s.dp == nil {
		return f, clientErr(RuleState, "Faults act on links and BGP sessions, and this endpoint runs no data plane (--dataplane none).")
	}
	f, err := f.Checked()
	if err != nil {
		return f, err
	}
	if f.BGP != "" {
		f, err = checkBGPTarget(st, f)
	} else {
		err = checkLinkTarget(st, f)
	}
	if err != nil {
		return f, err
	}
	if c, ok := s.dp.(FaultChecker); ok {
		if err := c.CheckFault(f); err != nil {
			return f, clientErr(RuleInvalidArgument, "%s", err)
		}
	}
	return f, nil
}

// Checked checks a spec on its own (one class, a mode of it, a side, the
// parameters its mode takes and in range, on the kind of object it needs)
// and fills in the defaults that do not depend on the object. Its errors
// are client errors (*Error).
func (f FaultSpec) Checked() (FaultSpec, error) {
	n := 0
	for _, m := range []string{f.LACP, f.Link, f.BGP} {
		if m != "" {
			n++
		}
	}
	if n != 1 {
		return f, clientErr(RuleInvalidArgument, "A fault is exactly one of lacp, link and bgp; %d given.", n)
	}
	class := f.Class()
	if !slices.Contains(FaultModes[class], f.Mode()) {
		return f, clientErr(RuleInvalidArgument, "%s fault %q: want one of %s.", class, f.Mode(), strings.Join(FaultModes[class], ", "))
	}
	if f.Side != FaultSideAWS && f.Side != FaultSideCustomer {
		return f, clientErr(RuleInvalidArgument, "side %q: want aws or customer.", f.Side)
	}
	if class == FaultBGP {
		return checkBGPParams(f)
	}
	return checkLinkParams(f)
}

func checkLinkTarget(st *State, f FaultSpec) error {
	c, ok := st.Connections[f.Connection]
	if !ok || c.State == StateDeleted || c.State == StateDeleting {
		return clientErr(RuleNotFound, "Could not find Connection with ID %s", f.Connection)
	}
	if c.Kind == KindHosted {
		return clientErr(RuleInvalidArgument, "Connection %s is a hosted connection, a VLAN on its partner's port: faults are set on the port's connection or interconnect.", c.ID)
	}
	return nil
}

func checkLinkParams(f FaultSpec) (FaultSpec, error) {
	if f.VIF != "" || f.Connection == "" {
		return f, clientErr(RuleInvalidArgument, "A %s fault is on a connection (connection, not vif).", f.Class())
	}
	if err := checkFlap(&f); err != nil {
		return f, err
	}
	if f.Key != 0 && f.LACP != "wrong-key" {
		return f, clientErr(RuleInvalidArgument, "key applies to the lacp wrong-key fault only.")
	}
	lossy := f.Link == "loss" || f.Link == "delay"
	if !lossy && (f.Loss != 0 || f.Delay != 0 || f.Jitter != 0) {
		return f, clientErr(RuleInvalidArgument, "loss, delay and jitter apply to the link loss and delay faults only.")
	}
	if lossy {
		if f.Link == "loss" && f.Loss == 0 {
			f.Loss = DefaultLoss
		}
		if f.Link == "delay" && f.Delay == 0 {
			f.Delay = Duration(DefaultDelay)
		}
		switch {
		case f.Loss < 0 || f.Loss > 100:
			return f, clientErr(RuleInvalidArgument, "loss %g%% is not between 0 and 100.", f.Loss)
		case f.Delay < 0 || time.Duration(f.Delay) > 10*time.Second:
			return f, clientErr(RuleInvalidArgument, "delay %s is not between 0 and 10s.", time.Duration(f.Delay))
		case f.Jitter < 0 || f.Jitter > f.Delay:
			return f, clientErr(RuleInvalidArgument, "jitter %s is not between 0 and the delay (%s).", time.Duration(f.Jitter), time.Duration(f.Delay))
		}
	}
	if f.ASN != 0 || f.AuthKey != "" || f.Prefixes != 0 || f.Period != 0 {
		return f, clientErr(RuleInvalidArgument, "asn, authKey, prefixes and period apply to BGP faults only.")
	}
	return f, nil
}

func checkFlap(f *FaultSpec) error {
	if f.Mode() != "flap" {
		if f.FlapUp != 0 || f.FlapDown != 0 {
			return clientErr(RuleInvalidArgument, "flapUp and flapDown apply to flap faults only.")
		}
		return nil
	}
	if f.FlapUp == 0 {
		f.FlapUp = Duration(DefaultFlapUp)
	}
	if f.FlapDown == 0 {
		f.FlapDown = Duration(DefaultFlapDown)
	}
	for _, d := range []Duration{f.FlapUp, f.FlapDown} {
		if time.Duration(d) < 100*time.Millisecond || time.Duration(d) > time.Hour {
			return clientErr(RuleInvalidArgument, "a flap's periods are between 100ms and 1h; %s given.", time.Duration(d))
		}
	}
	return nil
}

// checkBGPTarget: the VIF exists and has a live peer; too-many-prefixes
// defaults to one more than the VIF's limit.
func checkBGPTarget(st *State, f FaultSpec) (FaultSpec, error) {
	v, ok := st.VIFs[f.VIF]
	if !ok || v.State == StateDeleted || v.State == StateDeleting {
		return f, clientErr(RuleNotFound, "Could not find Virtual Interface with ID %s", f.VIF)
	}
	if !slices.ContainsFunc(v.peers(), BGPPeer.live) {
		return f, clientErr(RuleState, "Virtual interface %s has no BGP peer to break.", v.ID)
	}
	if f.BGP == "too-many-prefixes" && f.Prefixes == 0 {
		f.Prefixes = PrefixLimit(v.Type) + 1
	}
	return f, nil
}

// PrefixLimit is how many prefixes a customer may announce on a VIF of a
// type.
func PrefixLimit(vifType string) int {
	if vifType == VIFPublic {
		return MaxPrefixesPublic
	}
	return MaxPrefixesPrivate
}

func checkBGPParams(f FaultSpec) (FaultSpec, error) {
	if f.Connection != "" || f.VIF == "" {
		return f, clientErr(RuleInvalidArgument, "A bgp fault is on a virtual interface (vif, not connection).")
	}
	if f.Key != 0 || f.FlapUp != 0 || f.FlapDown != 0 || f.Loss != 0 || f.Delay != 0 || f.Jitter != 0 {
		return f, clientErr(RuleInvalidArgument, "key, flapUp, flapDown, loss, delay and jitter apply to lacp and link faults only.")
	}
	if f.ASN != 0 && f.BGP != "wrong-asn" {
		return f, clientErr(RuleInvalidArgument, "asn applies to the bgp wrong-asn fault only.")
	}
	if f.AuthKey != "" && f.BGP != "wrong-md5" {
		return f, clientErr(RuleInvalidArgument, "authKey applies to the bgp wrong-md5 fault only.")
	}
	if f.Prefixes != 0 && f.BGP != "too-many-prefixes" {
		return f, clientErr(RuleInvalidArgument, "prefixes applies to the bgp too-many-prefixes fault only.")
	}
	if f.Period != 0 && f.BGP != "reset" {
		return f, clientErr(RuleInvalidArgument, "period applies to the bgp reset fault only.")
	}
	switch f.BGP {
	case "wrong-asn":
		// Zero is the side's own ASN plus one, worked out per peer
		// (BGPRouters), where the side's own is known.
		if f.ASN != 0 {
			if err := CheckASN(f.ASN); err != nil {
				return f, err
			}
		}
	case "wrong-md5":
		if len(f.AuthKey) > 80 {
			return f, clientErr(RuleInvalidArgument, "authKey is at most 80 characters.")
		}
	case "too-many-prefixes":
		if f.Side != FaultSideCustomer {
			return f, clientErr(RuleInvalidArgument, "too-many-prefixes is the customer's side's fault: Amazon's side sends what the VIF's gateway stands for.")
		}
		if f.Prefixes < 0 || f.Prefixes > MaxFaultPrefixes {
			return f, clientErr(RuleInvalidArgument, "prefixes %d is not between 1 and %d.", f.Prefixes, MaxFaultPrefixes)
		}
	case "reset":
		if f.Period != 0 && time.Duration(f.Period) < 5*time.Second {
			return f, clientErr(RuleInvalidArgument, "a reset's period is at least 5s; %s given.", time.Duration(f.Period))
		}
	}
	return f, nil
}
