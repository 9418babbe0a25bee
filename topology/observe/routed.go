package observe

import (
	"net/netip"

	"github.com/vishvananda/netns"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology/probe"
)

// RoutedTarget is where a routed probe runs for an operation: from an
// address of the customer's network (on the customer router) to an address
// of an address space the moved VIF reaches (in the Region's namespace).
type RoutedTarget struct {
	VIFID        string
	FromNS, ToNS string // namespace names
	From, To     netip.Addr
}

// RoutedTargets names, for a connection (or LAG) about to be interrupted,
// what to probe at layer 3 (the first target is probed); none when it
// carries no routed VIF. A disassociate whose connection carries none
// probes its LAG's.
type RoutedTargets func(connectionID string) []RoutedTarget

// ProbeRouted has every later operation also run a routed probe, end to
// end, where targets names one.
func (o *Observer) ProbeRouted(targets RoutedTargets) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.routedTargets = targets
}

// startRouted starts the routed probe of a session, if it has a target. A
// probe that cannot start is an issue of the report, not a failure.
func (o *Observer) startRouted(s *session) {
	o.mu.Lock()
	targets := o.routedTargets
	o.mu.Unlock()
	if targets == nil {
		return
	}
	ts := targets(s.in.conn)
	if len(ts) == 0 && s.in.op == sim.OpDisassociate && s.in.lag != "" {
		// No VIF leaves with the connection: the LAG's stay, and what the
		// member's leaving does to their traffic is what there is to see.
		ts = targets(s.in.lag)
	}
	if len(ts) == 0 {
		return
	}
	t := ts[0]
	p, err := o.startRoutedProbe(t)
	if err != nil {
		o.cfg.Logger.Warn("routed probe", "connection", s.in.conn, "err", err)
		return
	}
	s.routed, s.routedIn = p, &t
}

// startRoutedProbe starts a routed probe where t says.
func (o *Observer) startRoutedProbe(t RoutedTarget) (*probe.Routed, error) {
	from, err := netns.GetFromName(t.FromNS)
	if err != nil {
		return nil, err
	}
	defer from.Close()
	to, err := netns.GetFromName(t.ToNS)
	if err != nil {
		return nil, err
	}
	defer to.Close()
	return probe.StartRouted(probe.RoutedConfig{FromNS: from, From: t.From, ToNS: to, To: t.To, Rate: o.cfg.ProbeRate, Logger: o.cfg.Logger})
}

// routedBack reports whether the routed probe (if any) has an echo since
// the last of the moved VIFs' routes came back (or, with no BGP milestone,
// since the port came up).
func (s *session) routedBack(r *sim.Interruption) bool {
	if s.routed == nil {
		return true
	}
	last, ok := s.routed.Last()
	if !ok {
		return false
	}
	since := s.in.steps.Up
	for _, m := range r.Milestones {
		if m.Name == sim.MilestoneRoutesRestored && m.Time.After(since) {
			since = m.Time
		}
	}
	return last.At.After(since)
}
