package exercise

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/dxapi"
)

// Runner runs exercises against one dxsim serve.
type Runner struct {
	AWS *AWS
	DX  *dxapi.Client
	// Dir keeps the sessions, one file per exercise started.
	Dir string
	// Out receives what steps say; io.Discard when nil.
	Out io.Writer
}

// Session is a started exercise: what its steps made and named, and when
// it started (its setup finished).
type Session struct {
	Exercise string            `json:"exercise"`
	Endpoint string            `json:"endpoint"`
	Started  time.Time         `json:"started"`
	Bound    map[string]string `json:"bound"`
	// Made are the IDs of what the exercise's steps made (connections,
	// LAGs, VIFs, Direct Connect gateways), in order.
	Made []string `json:"made"`
	// Associations are the gateway associations its steps made, as
	// "gatewayId associationId".
	Associations []string `json:"associations,omitempty"`
	// Hints counts the hints given.
	Hints int `json:"hints"`
}

// ErrNotStarted is matched (errors.Is) when an exercise has no session.
var ErrNotStarted = errors.New("exercise not started")

func (r *Runner) out() io.Writer {
	if r.Out == nil {
		return io.Discard
	}
	return r.Out
}

func (r *Runner) path(id string) string { return filepath.Join(r.Dir, id+".json") }

// Session loads an exercise's session.
func (r *Runner) Session(id string) (*Session, error) {
	raw, err := os.ReadFile(r.path(id))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s (dxsim exercise start %s)", ErrNotStarted, id, id)
	}
	if err != nil {
		return nil, err
	}
	var s Session
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("session %s: %w", r.path(id), err)
	}
	return &s, nil
}

// Save writes a session (its directory made 0700).
func (r *Runner) Save(s *Session) error {
	if err := os.MkdirAll(r.Dir, 0o700); err != nil {
		return err
	}
	raw, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp := r.path(s.Exercise) + ".tmp"
	if err := os.WriteFile(tmp, raw, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, r.path(s.Exercise))
}

// Start builds the exercise's lab and breaks it (its setup), and keeps the
// session. An exercise already started must be stopped first. A setup that
// fails is undone.
func (r *Runner) Start(ctx context.Context, e *Exercise) (*Session, error) {
	if _, err := r.Session(e.ID); err == nil {
		return nil, fmt.Errorf("exercise %s is already started: dxsim exercise stop %s first", e.ID, e.ID)
	}
	s := &Session{Exercise: e.ID, Endpoint: r.AWS.Endpoint, Bound: map[string]string{"exercise": e.ID}}
	if err := r.builtins(ctx, s); err != nil {
		return nil, err
	}
	if err := r.Save(s); err != nil {
		return nil, err
	}
	if err := r.steps(ctx, s, e.Setup); err != nil {
		_ = r.Save(s)
		if serr := r.Stop(ctx, s); serr != nil {
			err = errors.Join(err, fmt.Errorf("undoing the setup: %w", serr))
		}
		return nil, fmt.Errorf("setting up %s: %w", e.ID, err)
	}
	s.Started = time.Now()
	return s, r.Save(s)
}

// builtins binds ${location} (the endpoint's first location) and ${vgw}
// (its first available virtual private gateway).
func (r *Runner) builtins(ctx context.Context, s *Session) error {
	var locs struct {
		Locations []struct {
			LocationCode string `json:"locationCode"`
		} `json:"locations"`
	}
	if err := r.AWS.call(ctx, "DescribeLocations", struct{}{}, &locs); err != nil {
		return fmt.Errorf("asking %s for its locations: %w", r.AWS.Endpoint, err)
	}
	if len(locs.Locations) == 0 {
		return fmt.Errorf("%s has no locations in %s", r.AWS.Endpoint, r.AWS.Region)
	}
	s.Bound["location"] = locs.Locations[0].LocationCode
	var vgws struct {
		VirtualGateways []struct {
			VirtualGatewayID    string `json:"virtualGatewayId"`
			VirtualGatewayState string `json:"virtualGatewayState"`
		} `json:"virtualGateways"`
	}
	if err := r.AWS.call(ctx, "DescribeVirtualGateways", struct{}{}, &vgws); err != nil {
		return err
	}
	for _, g := range vgws.VirtualGateways {
		if g.VirtualGatewayState == "available" {
			s.Bound["vgw"] = g.VirtualGatewayID
			break
		}
	}
	return nil
}

// Solve runs the exercise's reference solution.
func (r *Runner) Solve(ctx context.Context, e *Exercise, s *Session) error {
	err := r.steps(ctx, s, e.Solution)
	if serr := r.Save(s); serr != nil {
		err = errors.Join(err, serr)
	}
	return err
}

func (r *Runner) steps(ctx context.Context, s *Session, steps []Step) error {
	for i, st := range steps {
		if st.Say != "" {
			fmt.Fprintln(r.out(), expand(st.Say, s.Bound))
		}
		if err := r.step(ctx, s, st); err != nil {
			return fmt.Errorf("step %d: %w", i+1, err)
		}
	}
	return nil
}

func (r *Runner) step(ctx context.Context, s *Session, st Step) error {
	switch {
	case st.Op != "":
		return r.op(ctx, s, st)
	case st.Wait != nil:
		return r.wait(ctx, s, expandCheck(*st.Wait, s.Bound), time.Duration(st.Within))
	case st.Fault != nil:
		f := *st.Fault
		f.Connection, f.VIF = expand(f.Connection, s.Bound), expand(f.VIF, s.Bound)
		_, err := r.DX.SetFault(ctx, f)
		return err
	case st.Customer != nil:
		_, err := r.DX.ClearFaults(ctx, expand(st.Customer.Fix, s.Bound), sim.FaultSideCustomer, st.Customer.Kind)
		return err
	case st.Sleep > 0:
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(st.Sleep)):
		}
	}
	return nil
}

var madeRE = regexp.MustCompile(`^(dxcon|dxlag|dxvif)-[a-z0-9]{8}$`)

// op calls an API operation, binds what the step names, and records what
// it made.
func (r *Runner) op(ctx context.Context, s *Session, st Step) error {
	in := []byte(expand(string(st.Input), s.Bound))
	raw, err := r.AWS.Call(ctx, st.Op, in)
	if err != nil {
		return err
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return fmt.Errorf("%s: %w", st.Op, err)
	}
	for name, path := range st.Bind {
		got, ok := lookup(v, path)
		if !ok {
			return fmt.Errorf("%s: its answer has no %s to bind as %s", st.Op, path, name)
		}
		s.Bound[name] = got
	}
	if strings.HasPrefix(st.Op, "Create") || strings.HasPrefix(st.Op, "Allocate") {
		walkStrings(v, func(val string) {
			if madeRE.MatchString(val) && !slices.Contains(s.Made, val) {
				s.Made = append(s.Made, val)
			}
		})
	}
	switch st.Op {
	case "CreateDirectConnectGateway":
		if id, ok := lookup(v, "directConnectGateway.directConnectGatewayId"); ok {
			s.Made = append(s.Made, id)
		}
	case "CreateDirectConnectGatewayAssociation":
		gw, ok1 := lookup(v, "directConnectGatewayAssociation.directConnectGatewayId")
		id, ok2 := lookup(v, "directConnectGatewayAssociation.associationId")
		if ok1 && ok2 {
			s.Associations = append(s.Associations, gw+" "+id)
		}
	}
	return nil
}

// lookup follows a dotted path ("connections.0.connectionId") into a
// decoded JSON value, to a string or a number.
func lookup(v any, path string) (string, bool) {
	for _, part := range strings.Split(path, ".") {
		switch n := v.(type) {
		case map[string]any:
			v = n[part]
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(n) {
				return "", false
			}
			v = n[i]
		default:
			return "", false
		}
	}
	switch x := v.(type) {
	case string:
		return x, true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	}
	return "", false
}

// walkStrings calls f with every string in a decoded JSON value, in a
// fixed order (an object's keys sorted).
func walkStrings(v any, f func(string)) {
	switch n := v.(type) {
	case string:
		f(n)
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(n)) {
			walkStrings(n[k], f)
		}
	case []any:
		for _, x := range n {
			walkStrings(x, f)
		}
	}
}

// expand replaces each ${name} with what it is bound to.
func expand(s string, bound map[string]string) string {
	return refRE.ReplaceAllStringFunc(s, func(m string) string {
		if v, ok := bound[m[2:len(m)-1]]; ok {
			return v
		}
		return m
	})
}

func expandCheck(c Check, bound map[string]string) Check {
	for _, p := range []*string{&c.Name, &c.Connection, &c.LAG, &c.VIFOn, &c.Gateway, &c.InLAG} {
		*p = expand(*p, bound)
	}
	return c
}

// wait polls a check until it holds.
func (r *Runner) wait(ctx context.Context, s *Session, c Check, within time.Duration) error {
	if within <= 0 {
		within = 2 * time.Minute
	}
	deadline := time.Now().Add(within)
	for {
		res := r.check(ctx, s, c)
		if res.OK {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("waited %s for %s: %s", within, c.Name, res.Why)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Hint returns the next hint, and counts it.
func (r *Runner) Hint(e *Exercise, s *Session) (n int, hint string, err error) {
	n = min(s.Hints, len(e.Hints)-1)
	if s.Hints < len(e.Hints) {
		s.Hints++
	}
	return n + 1, expand(e.Hints[n], s.Bound), r.Save(s)
}

// Brief is the exercise's brief with its names filled in.
func Brief(e *Exercise, s *Session) string { return expand(strings.TrimSpace(e.Brief), s.Bound) }
