package observe

import (
	"math"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/dxsim/dxsim/lacp"
	"github.com/dxsim/dxsim/lacp/verify"
	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology/bgp"
	"github.com/dxsim/dxsim/topology/probe"
)

// AgreeWithin is how close the probe's outage and the LACP timeline's must
// be for a Report to say they agree.
const AgreeWithin = 10 * time.Millisecond

// inputs is everything a Report is built from.
type inputs struct {
	op                 sim.OpKind
	conn, lag, backend string
	requested          time.Time
	called             time.Time // when the wrapped data plane was called
	steps              sim.StepTimes
	links              []sim.Event   // link events of the connection, both sides
	lacp               *verify.Port  // the member's LACP timeline; nil if none
	actor              []actorSample // the member's actor state on each side, in time order
	issues             []verify.Issue
	probe              *probe.Result // nil while the probe runs
	pcap               string
	err                error
	bgpMoves           []bgp.Mark // the VIFs that moved with the connection
	bgpMarks           []bgp.Mark // their sessions' states since the request
	routed             *RoutedTarget
	routedRes          *probe.Result // the routed probe's, nil while it runs
}

// build makes a Report. It is pure: the same inputs make the same Report.
func build(in inputs) *sim.Interruption {
	r := &sim.Interruption{
		Op: in.op, Backend: in.backend, ConnectionID: in.conn, LAGID: in.lag,
		Requested: in.requested, Pcap: in.pcap,
	}
	if in.err != nil {
		r.Err = in.err.Error()
	}
	add := func(name string, t time.Time) {
		if !t.IsZero() {
			r.Milestones = append(r.Milestones, sim.Milestone{Name: name, Time: t})
		}
	}
	down := in.steps.Down
	add(sim.MilestoneRequested, in.requested)
	add(sim.MilestoneCalled, in.called)
	add(sim.MilestoneDXPortDown, down)
	changed := sim.MilestoneEnslaved
	if in.op == sim.OpDisassociate {
		changed = sim.MilestoneReleased
	}
	add(changed, in.steps.Changed)
	add(sim.MilestoneDXPortUp, in.steps.Up)
	custDown := firstLink(in.links, sim.SideCustomer, false, in.requested)
	add(sim.MilestoneCustomerDown, custDown)
	// After its loss, not after the DX port's up: a kernel bond opens a
	// port as it enslaves it, so the customer side may see carrier again
	// before dxsim brings the DX port up.
	custUp := firstLink(in.links, sim.SideCustomer, true, latest(custDown, down))
	add(sim.MilestoneCustomerUp, custUp)

	var dxColl time.Time
	if p := in.lacp; p != nil && !down.IsZero() {
		add(sim.MilestoneFirstPDUDX, firstEvent(p, verify.SideLocal, verify.EventFirstPDU, down))
		add(sim.MilestoneFirstPDUCustomer, firstEvent(p, verify.SideRemote, verify.EventFirstPDU, down))
	}
	switch {
	case down.IsZero():
	case hasActor(in.actor, down):
		r.LACPSource = "actor state"
		const cd = lacp.StateCollecting | lacp.StateDistributing
		add(sim.MilestoneSyncDX, firstActor(in.actor, sim.SideAWS, lacp.StateSynchronization, down))
		add(sim.MilestoneSyncCustomer, firstActor(in.actor, sim.SideCustomer, lacp.StateSynchronization, down))
		dxColl = firstActor(in.actor, sim.SideAWS, lacp.StateCollecting, down)
		add(sim.MilestoneCollDistDX, firstActor(in.actor, sim.SideAWS, cd, down))
		add(sim.MilestoneCollDistCustomer, firstActor(in.actor, sim.SideCustomer, cd, down))
		add(sim.MilestoneLACPConverged, converged(in.actor, down))
	case in.lacp != nil:
		p := in.lacp
		r.LACPSource = "LACPDUs"
		add(sim.MilestoneSyncDX, firstEvent(p, verify.SideLocal, verify.EventSync, down))
		add(sim.MilestoneSyncCustomer, firstEvent(p, verify.SideRemote, verify.EventSync, down))
		dxColl = firstEvent(p, verify.SideLocal, verify.EventCollecting, down)
		add(sim.MilestoneCollDistDX, both(dxColl, firstEvent(p, verify.SideLocal, verify.EventDistributing, down)))
		add(sim.MilestoneCollDistCustomer, both(
			firstEvent(p, verify.SideRemote, verify.EventCollecting, down),
			firstEvent(p, verify.SideRemote, verify.EventDistributing, down)))
		if !p.Usable.IsZero() && !p.Usable.Before(down) {
			add(sim.MilestoneLACPConverged, p.Usable)
		}
	}
	for _, i := range in.issues {
		r.Issues = append(r.Issues, i.String())
	}

	loss := down
	if !custDown.IsZero() {
		loss = custDown
	}
	if pr := in.probe; pr != nil {
		r.ProbesSent, r.ProbesLost, r.ProbeRate = pr.Sent, pr.Lost, pr.Rate
		add(sim.MilestoneProbeRestored, pr.Restored())
		for _, o := range pr.Outages {
			po := sim.ProbeOutage{FromMS: -1, ToMS: -1, Lost: o.Lost}
			if !o.LastBefore.At.IsZero() && !in.requested.IsZero() {
				po.FromMS = ms(o.LastBefore.At.Sub(in.requested))
			}
			if !o.FirstAfter.At.IsZero() && !in.requested.IsZero() {
				po.ToMS = ms(o.FirstAfter.At.Sub(in.requested))
			}
			r.ProbeOutages = append(r.ProbeOutages, po)
		}
		// The outage is the lost sequence numbers: the sender keeps time
		// (frame n leaves at n/rate), so n lost frames are n/rate seconds
		// without delivery, whatever the receiver's scheduling.
		if pr.Outage.Lost > 0 && pr.Rate > 0 {
			r.ProbeOutageMS = msp(time.Duration(pr.Outage.Lost)*time.Second/time.Duration(pr.Rate), !pr.Restored().IsZero())
			if r.ProbeOutageMS != nil {
				r.ProbeLatenessMS = ms(senderLateness(pr.Outage, pr.Rate))
			}
		} else if pr.Received > 0 {
			r.ProbeOutageMS = msp(0, true)
		}
		r.InterruptionMS = msp(pr.Restored().Sub(loss), !pr.Restored().IsZero() && !loss.IsZero())
	}
	if m, ok := r.Milestone(sim.MilestoneLACPConverged); ok && !loss.IsZero() {
		r.LACPConvergedMS = msp(m.Time.Sub(loss), true)
	}
	r.OverheadMS = msp(in.steps.Up.Sub(in.requested), !in.steps.Up.IsZero() && !in.requested.IsZero())
	r.DataPlaneMS = msp(in.steps.Up.Sub(down), !in.steps.Up.IsZero() && !down.IsZero())

	restoredByLink := dxColl
	if in.op == sim.OpDisassociate {
		restoredByLink = latest(in.steps.Up, custUp)
		if in.steps.Up.IsZero() {
			restoredByLink = time.Time{}
		}
	}
	r.LACPOutageMS = msp(restoredByLink.Sub(down), !restoredByLink.IsZero() && !down.IsZero())
	if r.LACPOutageMS != nil && r.ProbeOutageMS != nil {
		// The probe brackets the outage between its count and its count
		// plus the sender's lateness; agreeing is being within AgreeWithin
		// of that bracket (of the count itself when the sender kept time).
		lo, hi := *r.ProbeOutageMS, *r.ProbeOutageMS+r.ProbeLatenessMS
		r.Agree = *r.LACPOutageMS >= lo-ms(AgreeWithin) && *r.LACPOutageMS <= hi+ms(AgreeWithin)
	}

	addBGP(r, in)
	addRouted(r, in)

	slices.SortStableFunc(r.Milestones, func(a, b sim.Milestone) int { return a.Time.Compare(b.Time) })
	if !in.requested.IsZero() {
		for i := range r.Milestones {
			r.Milestones[i].TMS = ms(r.Milestones[i].Time.Sub(in.requested))
		}
	}
	return r
}

// actorSample is a LAG member's actor state on one side at a time.
type actorSample struct {
	Time  time.Time
	Side  sim.Side
	State lacp.State
}

func hasActor(samples []actorSample, from time.Time) bool {
	for _, a := range samples {
		if !a.Time.Before(from) {
			return true
		}
	}
	return false
}

// firstActor is when the side's actor first had every bit of want at or
// after from.
func firstActor(samples []actorSample, side sim.Side, want lacp.State, from time.Time) time.Time {
	for _, a := range samples {
		if a.Side == side && !a.Time.Before(from) && a.State.Has(want) {
			return a.Time
		}
	}
	return time.Time{}
}

// converged is when both sides were first in sync, collecting and
// distributing at once, at or after from.
func converged(samples []actorSample, from time.Time) time.Time {
	const usable = lacp.StateSynchronization | lacp.StateCollecting | lacp.StateDistributing
	var last [2]lacp.State
	for _, a := range samples {
		if a.Side != sim.SideAWS && a.Side != sim.SideCustomer {
			continue
		}
		last[a.Side] = a.State
		if !a.Time.Before(from) && last[sim.SideAWS].Has(usable) && last[sim.SideCustomer].Has(usable) {
			return a.Time
		}
	}
	return time.Time{}
}

// firstLink is the first link event of the side going the given way at or
// after from.
func firstLink(evs []sim.Event, side sim.Side, up bool, from time.Time) time.Time {
	for _, e := range evs {
		if e.Kind == sim.EventLink && e.Side == side && e.Up == up && !e.Time.Before(from) {
			return e.Time
		}
	}
	return time.Time{}
}

// firstEvent is the time of the first LACP event of kind on side at or after
// from.
func firstEvent(p *verify.Port, side verify.Side, kind verify.EventKind, from time.Time) time.Time {
	for _, e := range p.Events {
		if e.Side == side && e.Kind == kind && !e.Time.Before(from) {
			return e.Time
		}
	}
	return time.Time{}
}

// both is the later of two times, or zero if either is.
func both(a, b time.Time) time.Time {
	if a.IsZero() || b.IsZero() {
		return time.Time{}
	}
	return latest(a, b)
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// ms is d in milliseconds, to a tenth.
func ms(d time.Duration) float64 { return math.Round(float64(d)/float64(time.Millisecond)*10) / 10 }

func msp(d time.Duration, ok bool) *float64 {
	if !ok {
		return nil
	}
	v := ms(d)
	return &v
}

// senderLateness is how much longer the outage was, by the send times of the
// frames delivered on either side of it, than its lost frames say: the time
// the sender was not sending on schedule there. Zero when the sender kept
// time or an edge is unknown.
func senderLateness(o probe.Outage, rate int) time.Duration {
	period := time.Second / time.Duration(rate)
	before, after := o.LastBefore.Sent, o.FirstAfter.Sent
	if before.IsZero() || after.IsZero() {
		return 0
	}
	late := after.Sub(before) - period - time.Duration(o.Lost)*period
	// Within a period is the sender's ordinary timer resolution.
	if late < period {
		return 0
	}
	return late
}

// ResetBy says who resets a moved VIF's session, and why.
const ResetBy = "Amazon's side (dxsim's GoBGP speaker), with a Cease (administrative reset), " +
	"because the VIF moved to another connection or LAG, as AWS's routers do"

// addBGP adds, for each VIF that moved with the connection, when Amazon's
// side saw its session leave Established, when it was Established again,
// and when both sides had each other's prefixes again (as many as before
// the move; Amazon's side only, when the customer's router is not dxsim's).
func addBGP(r *sim.Interruption, in inputs) {
	moves := slices.Clone(in.bgpMoves)
	slices.SortFunc(moves, func(a, b bgp.Mark) int { return strings.Compare(a.VIFID, b.VIFID) })
	marks := slices.Clone(in.bgpMarks)
	slices.SortStableFunc(marks, func(a, b bgp.Mark) int { return a.Time.Compare(b.Time) })
	since := func(t time.Time) *float64 {
		return msp(t.Sub(in.requested), !t.IsZero() && !in.requested.IsZero())
	}
	for _, mv := range moves {
		var down, up, restored time.Time
		// Each session's latest, by side and neighbour: a VIF has one per
		// address family, and is back when all of them are.
		states := map[netip.Addr]string{}
		accepted := map[string]map[netip.Addr]uint64{bgp.SideAmazon: {}, bgp.SideCustomer: {}}
		for _, m := range marks {
			if m.VIFID != mv.VIFID || m.From != "" {
				continue
			}
			if m.Side == bgp.SideAmazon {
				states[m.Peer] = m.State
				switch {
				case down.IsZero() && m.State != bgp.StateEstablished:
					down = m.Time
				case !down.IsZero() && up.IsZero() && allEstablished(states):
					up = m.Time
				}
			}
			if accepted[m.Side] != nil {
				accepted[m.Side][m.Peer] = m.Accepted
			}
			if !up.IsZero() && restored.IsZero() && sum(accepted[bgp.SideAmazon]) >= mv.AmazonPrefixes &&
				(mv.CustomerPrefixes < 0 || sum(accepted[bgp.SideCustomer]) >= uint64(mv.CustomerPrefixes)) {
				restored = m.Time
			}
		}
		for _, x := range []struct {
			name string
			t    time.Time
		}{{sim.MilestoneBGPDown, down}, {sim.MilestoneBGPEstablished, up}, {sim.MilestoneRoutesRestored, restored}} {
			if !x.t.IsZero() {
				r.Milestones = append(r.Milestones, sim.Milestone{Name: x.name, Time: x.t, VIF: mv.VIFID})
			}
		}
		r.BGP = append(r.BGP, sim.VIFSession{VIFID: mv.VIFID, From: mv.From, To: mv.To, ResetBy: ResetBy,
			DownMS: since(down), EstablishedMS: since(up), RestoredMS: since(restored),
			AmazonPrefixes: mv.AmazonPrefixes, CustomerPrefixes: mv.CustomerPrefixes})
	}
}

func allEstablished(states map[netip.Addr]string) bool {
	for _, st := range states {
		if st != bgp.StateEstablished {
			return false
		}
	}
	return true
}

func sum(m map[netip.Addr]uint64) uint64 {
	var n uint64
	for _, v := range m {
		n += v
	}
	return n
}

// addRouted adds the routed probe's outage, when there was one to run.
func addRouted(r *sim.Interruption, in inputs) {
	if in.routed == nil {
		return
	}
	r.Routed = routedProbe(in.routed, in.routedRes)
	if r.Routed == nil {
		// Still running: what it follows, not yet what it saw.
		r.Routed = &sim.RoutedProbe{VIFID: in.routed.VIFID, From: in.routed.From.String(), To: in.routed.To.String()}
		return
	}
	if o := in.routedRes.Outage; o.Lost > 0 {
		for _, x := range []struct {
			name string
			t    time.Time
		}{{sim.MilestoneRoutedLost, o.LastBefore.At}, {sim.MilestoneRoutedRestored, o.FirstAfter.At}} {
			if !x.t.IsZero() && !x.t.Before(in.requested) {
				r.Milestones = append(r.Milestones, sim.Milestone{Name: x.name, Time: x.t, VIF: in.routed.VIFID})
			}
		}
	}
}
