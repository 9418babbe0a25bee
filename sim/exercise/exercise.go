// Package exercise runs training exercises against a running `dxsim serve`:
// each starts broken (a lab built through the Direct Connect API, and
// faults set through dxsim's API), gives the trainee a brief and hints,
// and checks itself against what the Direct Connect API and the data plane
// report, never against how the trainee got there. A reference solution
// goes through the interfaces a trainee has: the AWS API, and the customer
// router (the customer's side of dxsim's faults).
//
// An exercise is a JSON file (Exercise); dxsim ships a set (Shipped), and a
// trainer can write more. Objects an exercise makes are named by the steps
// that make them ("bind"), and those names are kept, with when the
// exercise started, in a session file between `start`, `check`, `hint`,
// `solve` and `stop`.
package exercise

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/dxsim/dxsim/sim"
)

// Exercise is an exercise file.
type Exercise struct {
	// ID names it: lowercase letters, digits and '-'.
	ID    string `json:"id"`
	Title string `json:"title"`
	// Brief is what the trainee is told at the start: the situation and
	// the goal, never the cause.
	Brief string `json:"brief"`
	// Setup builds the lab through the Direct Connect API and breaks it
	// (faults), in order; the exercise starts when it has run.
	Setup []Step `json:"setup"`
	// Checks must all hold for the exercise to be solved.
	Checks []Check `json:"checks"`
	// Hints are given one at a time, the vaguest first.
	Hints []string `json:"hints"`
	// Solution is the reference solution, through the AWS API and the
	// customer router only.
	Solution []Step `json:"solution"`
}

// Step is one step of a setup or a solution: exactly one of Op, Wait,
// Fault, Customer and Sleep. Strings may name what earlier steps bound as
// ${name}; ${location} is the endpoint's first location, ${vgw} its first
// available virtual private gateway.
type Step struct {
	// Op is a Direct Connect API operation ("CreateLag"), called with Input
	// (its JSON request, as the AWS JSON 1.1 protocol has it); Bind names
	// parts of its answer for later steps: {"lag": "lagId", "m1":
	// "connections.0.connectionId"}.
	Op    string            `json:"op,omitempty"`
	Input json.RawMessage   `json:"input,omitempty"`
	Bind  map[string]string `json:"bind,omitempty"`
	// Wait waits until the check holds, for Within at most (2 minutes
	// when zero).
	Wait   *Check       `json:"wait,omitempty"`
	Within sim.Duration `json:"within,omitempty"`
	// Fault sets a training fault (setup only: a trainee sets none).
	Fault *sim.FaultSpec `json:"fault,omitempty"`
	// Customer fixes the customer router's side of an object: its
	// customer-side faults are cleared, as the customer's engineer
	// correcting the router's configuration would.
	Customer *CustomerFix `json:"customer,omitempty"`
	// Sleep waits that long.
	Sleep sim.Duration `json:"sleep,omitempty"`
	// Say is printed as the step runs.
	Say string `json:"say,omitempty"`
}

// CustomerFix is a correction of the customer router's configuration.
type CustomerFix struct {
	// Fix is the connection or VIF whose customer-side faults go; Kind,
	// when set, only that kind's (lacp, link, bgp).
	Fix  string `json:"fix"`
	Kind string `json:"kind,omitempty"`
}

// Check is one condition on one object: a Connection, a LAG, the VIF on
// VIFOn with VLAN, or a Direct Connect Gateway; every condition set must
// hold.
type Check struct {
	Name string `json:"name"`

	Connection string `json:"connection,omitempty"`
	LAG        string `json:"lag,omitempty"`
	VIFOn      string `json:"vifOn,omitempty"`
	VLAN       int    `json:"vlan,omitempty"`
	Gateway    string `json:"gateway,omitempty"`

	// State is the object's state as the API describes it.
	State string `json:"state,omitempty"`
	// InLAG: the connection is a member of that LAG.
	InLAG string `json:"inLag,omitempty"`
	// MinimumLinks is the LAG's; MembersAvailable how many of its members
	// are available, at least.
	MinimumLinks     *int `json:"minimumLinks,omitempty"`
	MembersAvailable *int `json:"membersAvailable,omitempty"`
	// LACP: the connection's both ends collect and distribute (the data
	// plane's LACP state).
	LACP bool `json:"lacp,omitempty"`
	// BGP is the VIF's peers' bgpStatus (up or down); Prefixes bounds how
	// many prefixes Amazon's side accepted from the customer.
	BGP      string `json:"bgp,omitempty"`
	Prefixes *Range `json:"prefixes,omitempty"`
	// NeverDown: the connection or LAG has not been down since the
	// exercise started; DownAtMost: at most that many times.
	NeverDown  bool `json:"neverDown,omitempty"`
	DownAtMost *int `json:"downAtMost,omitempty"`
	// StableFor: the connection, or the LAG and every member, has not
	// changed state for that long.
	StableFor sim.Duration `json:"stableFor,omitempty"`
	// VIFsUp is how many VIFs attached to the gateway have BGP up, at
	// least; FailoverTested: a BGP failover test of one of them has
	// completed since the exercise started, and the traffic (the routed
	// probe) stopped for no more than a second as it left the VIF and as it
	// came back.
	VIFsUp         *int `json:"vifsUp,omitempty"`
	FailoverTested bool `json:"failoverTested,omitempty"`
}

// Range is an inclusive range of counts.
type Range struct {
	Min int `json:"min"`
	Max int `json:"max,omitempty"` // 0: no upper bound
}

var idRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

//go:embed exercises/*.json
var shipped embed.FS

// Shipped returns the exercises dxsim ships, by ID.
func Shipped() ([]*Exercise, error) {
	names, err := fs.Glob(shipped, "exercises/*.json")
	if err != nil {
		return nil, err
	}
	var out []*Exercise
	for _, n := range names {
		raw, err := shipped.ReadFile(n)
		if err != nil {
			return nil, err
		}
		e, err := Parse(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b *Exercise) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// Find returns a shipped exercise by ID, or reads a file when id names
// one (a path, or ending in .json).
func Find(id string) (*Exercise, error) {
	if strings.ContainsRune(id, os.PathSeparator) || strings.HasSuffix(id, ".json") {
		f, err := os.Open(id)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		e, err := Parse(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", id, err)
		}
		return e, nil
	}
	all, err := Shipped()
	if err != nil {
		return nil, err
	}
	for _, e := range all {
		if e.ID == id {
			return e, nil
		}
	}
	var ids []string
	for _, e := range all {
		ids = append(ids, e.ID)
	}
	return nil, fmt.Errorf("no exercise %q: the shipped ones are %s (or name an exercise file)", id, strings.Join(ids, ", "))
}

// Parse reads an exercise file and checks it. Unknown fields are errors.
func Parse(r io.Reader) (*Exercise, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var e Exercise
	if err := dec.Decode(&e); err != nil {
		return nil, fmt.Errorf("parsing: %w", err)
	}
	if err := e.Validate(); err != nil {
		return nil, err
	}
	return &e, nil
}

// builtins are the names every exercise may use.
var builtins = []string{"location", "vgw", "exercise"}

var refRE = regexp.MustCompile(`\$\{([a-zA-Z0-9_.-]*)\}`)

// Validate checks an exercise: an ID, a title, a brief, checks, hints and
// a solution; each step one thing; each ${name} bound by an earlier step.
func (e *Exercise) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if !idRE.MatchString(e.ID) {
		bad("id %q: want 1-40 of a-z, 0-9 and '-'", e.ID)
	}
	for _, f := range []struct{ name, v string }{{"title", e.Title}, {"brief", e.Brief}} {
		if strings.TrimSpace(f.v) == "" {
			bad("%s is empty", f.name)
		}
	}
	if len(e.Checks) == 0 || len(e.Hints) == 0 || len(e.Solution) == 0 || len(e.Setup) == 0 {
		bad("an exercise has setup steps, checks, hints and a solution")
	}
	bound := map[string]bool{}
	for _, b := range builtins {
		bound[b] = true
	}
	steps := func(part string, ss []Step) {
		for i, s := range ss {
			if err := s.validate(part == "setup"); err != nil {
				bad("%s[%d]: %v", part, i, err)
			}
			for _, name := range refs(s) {
				if !bound[name] {
					bad("%s[%d]: ${%s} is not bound by an earlier step", part, i, name)
				}
			}
			for name := range s.Bind {
				bound[name] = true
			}
		}
	}
	steps("setup", e.Setup)
	afterSetup := maps.Clone(bound)
	for i, c := range e.Checks {
		if err := c.validate(); err != nil {
			bad("checks[%d] (%s): %v", i, c.Name, err)
		}
		for _, name := range refs(c) {
			if !afterSetup[name] {
				bad("checks[%d] (%s): ${%s} is not bound by the setup", i, c.Name, name)
			}
		}
	}
	steps("solution", e.Solution)
	return errors.Join(errs...)
}

// refs are the names a step or check refers to.
func refs(v any) []string {
	raw, _ := json.Marshal(v)
	var out []string
	for _, m := range refRE.FindAllSubmatch(raw, -1) {
		out = append(out, string(m[1]))
	}
	return out
}

func (s Step) validate(setup bool) error {
	n := 0
	for _, set := range []bool{s.Op != "", s.Wait != nil, s.Fault != nil, s.Customer != nil, s.Sleep != 0} {
		if set {
			n++
		}
	}
	switch {
	case n != 1:
		return fmt.Errorf("a step is one of op, wait, fault, customer and sleep; %d given", n)
	case s.Op == "" && (len(s.Input) > 0 || len(s.Bind) > 0):
		return errors.New("input and bind go with op")
	case s.Wait == nil && s.Within != 0:
		return errors.New("within goes with wait")
	case s.Fault != nil && !setup:
		return errors.New("a solution sets no fault: it fixes what the setup broke")
	case s.Op != "" && !opRE.MatchString(s.Op):
		return fmt.Errorf("op %q is not an operation's name (CreateLag, …)", s.Op)
	case s.Wait != nil:
		return s.Wait.validate()
	case s.Fault != nil:
		// Its references are resolved when it runs; all else is checked now.
		if _, err := s.Fault.Checked(); err != nil {
			return err
		}
	case s.Customer != nil && s.Customer.Fix == "":
		return errors.New("customer: fix names the connection or VIF to fix")
	case s.Sleep < 0 || time.Duration(s.Sleep) > 10*time.Minute:
		return errors.New("sleep is at most 10m")
	}
	return nil
}

var opRE = regexp.MustCompile(`^[A-Z][A-Za-z]+$`)

func (c Check) validate() error {
	subjects := 0
	for _, s := range []string{c.Connection, c.LAG, c.VIFOn, c.Gateway} {
		if s != "" {
			subjects++
		}
	}
	if c.Name == "" {
		return errors.New("a check has a name, saying what must hold")
	}
	if subjects != 1 {
		return fmt.Errorf("a check is on one of connection, lag, vifOn and gateway; %d given", subjects)
	}
	if (c.VIFOn != "") != (c.VLAN != 0) {
		return errors.New("vifOn and vlan go together")
	}
	type cond struct {
		set bool
		on  []string
		nm  string
	}
	kinds := map[string]bool{"connection": c.Connection != "", "lag": c.LAG != "", "vif": c.VIFOn != "", "gateway": c.Gateway != ""}
	any := false
	for _, k := range []cond{
		{c.State != "", []string{"connection", "lag", "vif"}, "state"},
		{c.InLAG != "", []string{"connection"}, "inLag"},
		{c.MinimumLinks != nil, []string{"lag"}, "minimumLinks"},
		{c.MembersAvailable != nil, []string{"lag"}, "membersAvailable"},
		{c.LACP, []string{"connection"}, "lacp"},
		{c.BGP != "", []string{"vif"}, "bgp"},
		{c.Prefixes != nil, []string{"vif"}, "prefixes"},
		{c.NeverDown, []string{"connection", "lag"}, "neverDown"},
		{c.DownAtMost != nil, []string{"connection", "lag"}, "downAtMost"},
		{c.StableFor != 0, []string{"connection", "lag"}, "stableFor"},
		{c.VIFsUp != nil, []string{"gateway"}, "vifsUp"},
		{c.FailoverTested, []string{"gateway"}, "failoverTested"},
	} {
		if !k.set {
			continue
		}
		any = true
		if !slices.ContainsFunc(k.on, func(s string) bool { return kinds[s] }) {
			return fmt.Errorf("%s is a condition on a %s", k.nm, strings.Join(k.on, " or "))
		}
	}
	if !any {
		return errors.New("a check has at least one condition")
	}
	if c.BGP != "" && c.BGP != "up" && c.BGP != "down" {
		return fmt.Errorf("bgp %q: want up or down", c.BGP)
	}
	return nil
}
