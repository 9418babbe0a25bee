package exercise

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/dxapi"
)

// Result is one check's outcome.
type Result struct {
	Name string `json:"name"`
	OK   bool   `json:"ok"`
	// Why says what was found when the check does not hold.
	Why string `json:"why,omitempty"`
}

// Check evaluates every check of the exercise; it is solved when all hold.
func (r *Runner) Check(ctx context.Context, e *Exercise, s *Session) []Result {
	out := make([]Result, 0, len(e.Checks))
	for _, c := range e.Checks {
		out = append(out, r.check(ctx, s, expandCheck(c, s.Bound)))
	}
	return out
}

// Solved reports whether every result holds.
func Solved(rs []Result) bool {
	return !slices.ContainsFunc(rs, func(r Result) bool { return !r.OK })
}

func (r *Runner) check(ctx context.Context, s *Session, c Check) Result {
	var fails []string
	fail := func(format string, a ...any) { fails = append(fails, fmt.Sprintf(format, a...)) }
	var err error
	switch {
	case c.Connection != "":
		err = r.checkConnection(ctx, s, c, fail)
	case c.LAG != "":
		err = r.checkLAG(ctx, s, c, fail)
	case c.VIFOn != "":
		err = r.checkVIF(ctx, c, fail)
	case c.Gateway != "":
		err = r.checkGateway(ctx, s, c, fail)
	}
	if err != nil {
		fail("%v", err)
	}
	return Result{Name: c.Name, OK: len(fails) == 0, Why: strings.Join(fails, "; ")}
}

type failf func(format string, a ...any)

func (r *Runner) checkConnection(ctx context.Context, s *Session, c Check, fail failf) error {
	cs, err := r.AWS.connections(ctx, c.Connection)
	if err != nil {
		return err
	}
	if len(cs) != 1 {
		fail("%s is not described", c.Connection)
		return nil
	}
	con := cs[0]
	if c.State != "" && con.ConnectionState != c.State {
		fail("%s is %s", con.ConnectionID, con.ConnectionState)
	}
	if c.InLAG != "" && con.LagID != c.InLAG {
		fail("%s is in %s", con.ConnectionID, cmp.Or(con.LagID, "no LAG"))
	}
	if c.LACP {
		if err := r.checkLACP(ctx, con.ConnectionID, fail); err != nil {
			return err
		}
	}
	return r.checkHistory(ctx, s, c, []string{con.ConnectionID}, fail)
}

// checkLACP: both ends of the port collect and distribute.
func (r *Runner) checkLACP(ctx context.Context, id string, fail failf) error {
	st, err := r.DX.DataPlane(ctx)
	if err != nil {
		return err
	}
	for _, p := range st.Ports {
		if p.ConnectionID != id {
			continue
		}
		switch {
		case p.AWSLACP == nil || p.CustomerLACP == nil:
			fail("%s is no LAG member on the data plane", id)
		case !p.AWSLACP.CollectingDistributing || !p.CustomerLACP.CollectingDistributing:
			fail("%s's LACP is %s/%s on AWS's end, %s/%s on the customer's (actor/partner): not both collecting and distributing",
				id, p.AWSLACP.Actor, p.AWSLACP.Partner, p.CustomerLACP.Actor, p.CustomerLACP.Partner)
		}
		return nil
	}
	fail("%s has no port on the data plane", id)
	return nil
}

func (r *Runner) checkLAG(ctx context.Context, s *Session, c Check, fail failf) error {
	l, err := r.AWS.lag(ctx, c.LAG)
	if err != nil {
		return err
	}
	if c.State != "" && l.LagState != c.State {
		fail("%s is %s", l.LagID, l.LagState)
	}
	if c.MinimumLinks != nil && l.MinimumLinks != *c.MinimumLinks {
		fail("%s's minimum links is %d", l.LagID, l.MinimumLinks)
	}
	ids := []string{l.LagID}
	avail := 0
	for _, m := range l.Connections {
		ids = append(ids, m.ConnectionID)
		if m.ConnectionState == sim.StateAvailable {
			avail++
		}
	}
	if c.MembersAvailable != nil && avail < *c.MembersAvailable {
		fail("%d of %s's %d members are available", avail, l.LagID, len(l.Connections))
	}
	if c.StableFor == 0 {
		ids = ids[:1] // members count only for stability
	}
	return r.checkHistory(ctx, s, c, ids, fail)
}

// checkHistory: neverDown and downAtMost on the first ID, stableFor on
// them all, from the server's history since the exercise started.
func (r *Runner) checkHistory(ctx context.Context, s *Session, c Check, ids []string, fail failf) error {
	if !c.NeverDown && c.DownAtMost == nil && c.StableFor == 0 {
		return nil
	}
	for i, id := range ids {
		h, err := r.DX.History(ctx, id)
		if err != nil {
			return err
		}
		if h.Since.After(s.Started) && (c.NeverDown || c.DownAtMost != nil) {
			fail("dxsim serve restarted since the exercise started: it cannot tell what %s did before", id)
			return nil
		}
		if i == 0 {
			downs := 0
			for _, ch := range h.Changes {
				if ch.Time.After(s.Started) && ch.To == sim.StateDown {
					downs++
				}
			}
			if c.NeverDown && downs > 0 {
				fail("%s has been down %d time(s) since the exercise started", id, downs)
			}
			if c.DownAtMost != nil && downs > *c.DownAtMost {
				fail("%s has been down %d times since the exercise started, more than %d", id, downs, *c.DownAtMost)
			}
		}
		if c.StableFor > 0 {
			last := h.Since
			if n := len(h.Changes); n > 0 {
				last = h.Changes[n-1].Time
			}
			if d := h.Now.Sub(last); d < time.Duration(c.StableFor) {
				fail("%s changed state %s ago (to %s); stable for %s is wanted", id, d.Round(time.Second), lastState(h.Changes), time.Duration(c.StableFor))
			}
		}
	}
	return nil
}

func lastState(cs []dxapi.Change) string {
	if len(cs) == 0 {
		return "nothing"
	}
	return cs[len(cs)-1].To
}

// vifOn finds the live VIF with a VLAN on a connection or LAG.
func (r *Runner) vifOn(ctx context.Context, on string, vlan int) (*vif, error) {
	vs, err := r.AWS.vifs(ctx, on)
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		if v.VLAN == vlan && v.VirtualInterfaceState != sim.StateDeleted && v.VirtualInterfaceState != sim.StateDeleting {
			return &v, nil
		}
	}
	return nil, nil
}

func (r *Runner) checkVIF(ctx context.Context, c Check, fail failf) error {
	v, err := r.vifOn(ctx, c.VIFOn, c.VLAN)
	if err != nil {
		return err
	}
	if v == nil {
		fail("no VIF with VLAN %d on %s", c.VLAN, c.VIFOn)
		return nil
	}
	if c.State != "" && v.VirtualInterfaceState != c.State {
		fail("%s is %s", v.VirtualInterfaceID, v.VirtualInterfaceState)
	}
	if c.BGP != "" {
		for _, p := range v.BgpPeers {
			if p.BgpStatus != c.BGP {
				fail("%s's BGP peer %s is %s", v.VirtualInterfaceID, p.BgpPeerID, p.BgpStatus)
			}
		}
	}
	if c.Prefixes != nil {
		sessions, err := r.DX.BGPSessions(ctx)
		if err != nil {
			return err
		}
		n := uint64(0)
		for _, b := range sessions {
			if b.VIFID == v.VirtualInterfaceID && b.Up() {
				n += b.Prefixes
			}
		}
		if int(n) < c.Prefixes.Min || (c.Prefixes.Max > 0 && int(n) > c.Prefixes.Max) {
			fail("Amazon's side of %s accepted %d prefixes from the customer, wanted %s", v.VirtualInterfaceID, n, c.Prefixes)
		}
	}
	return nil
}

func (g Range) String() string {
	if g.Max == 0 {
		return fmt.Sprintf("at least %d", g.Min)
	}
	return fmt.Sprintf("%d to %d", g.Min, g.Max)
}

func (r *Runner) checkGateway(ctx context.Context, s *Session, c Check, fail failf) error {
	all, err := r.AWS.vifs(ctx, "")
	if err != nil {
		return err
	}
	var up []vif
	for _, v := range all {
		if v.DirectConnectGatewayID != c.Gateway || v.VirtualInterfaceState != sim.StateAvailable {
			continue
		}
		if slices.ContainsFunc(v.BgpPeers, func(p bgpPeer) bool { return p.BgpStatus == "up" }) {
			up = append(up, v)
		}
	}
	if c.VIFsUp != nil && len(up) < *c.VIFsUp {
		fail("%d VIF(s) on %s have BGP up, %d wanted", len(up), c.Gateway, *c.VIFsUp)
	}
	if c.FailoverTested {
		why, err := r.failoverTested(ctx, s, c.Gateway, all)
		if err != nil {
			return err
		}
		if why != "" {
			fail("%s", why)
		}
	}
	return nil
}

// maxFailoverOutage is the longest the traffic may stop, in ms, for a
// failover test to prove a redundant path: routes move within
// milliseconds (on the host; a few hundred under software emulation); a
// VIF without another path loses the traffic for the whole test.
const maxFailoverOutage = 1000.0

func outage(p *sim.RoutedProbe) float64 {
	if p.OutageMS == nil {
		return 0
	}
	return *p.OutageMS
}

// failoverTested says why no VIF on the gateway has passed a failover test
// since the exercise started ("" when one has).
func (r *Runner) failoverTested(ctx context.Context, s *Session, gw string, all []vif) (string, error) {
	why := "no BGP failover test of a VIF on " + gw + " has completed since the exercise started"
	for _, v := range all {
		if v.DirectConnectGatewayID != gw {
			continue
		}
		var hist struct {
			VirtualInterfaceTestHistory []struct {
				TestID    string  `json:"testId"`
				Status    string  `json:"status"`
				StartTime float64 `json:"startTime"`
			} `json:"virtualInterfaceTestHistory"`
		}
		if err := r.AWS.call(ctx, "ListVirtualInterfaceTestHistory", map[string]string{"virtualInterfaceId": v.VirtualInterfaceID}, &hist); err != nil {
			return "", err
		}
		for _, t := range hist.VirtualInterfaceTestHistory {
			started := time.Unix(0, int64(t.StartTime*1e9))
			if t.Status != sim.TestCompleted || started.Before(s.Started.Add(-time.Second)) {
				continue
			}
			rep, err := r.DX.FailoverReport(ctx, t.TestID)
			if err != nil {
				why = fmt.Sprintf("failover test %s of %s: no report: %v", t.TestID, v.VirtualInterfaceID, err)
				continue
			}
			switch {
			case !rep.Done:
				why = fmt.Sprintf("failover test %s of %s: the traffic has not come back yet", t.TestID, v.VirtualInterfaceID)
			case rep.Failover == nil || rep.Return == nil:
				why = fmt.Sprintf("failover test %s of %s: no traffic was measured", t.TestID, v.VirtualInterfaceID)
			case outage(rep.Failover) > maxFailoverOutage || outage(rep.Return) > maxFailoverOutage:
				why = fmt.Sprintf("failover test %s of %s: the traffic stopped for %.1f ms as it left the VIF and %.1f ms as it came back (%d and %d datagrams lost); at most %.0f ms is wanted",
					t.TestID, v.VirtualInterfaceID, outage(rep.Failover), outage(rep.Return), rep.Failover.Lost, rep.Return.Lost, maxFailoverOutage)
			default:
				return "", nil
			}
		}
	}
	return why, nil
}
