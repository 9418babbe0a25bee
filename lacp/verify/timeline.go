package verify

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/dxsim/dxsim/lacp"
)

// usableBits are the actor state bits a side needs for frames to pass both
// ways over the link (802.1AX-2014 6.4.15: the mux reaches
// COLLECTING_DISTRIBUTING only in sync).
const usableBits = lacp.StateSynchronization | lacp.StateCollecting | lacp.StateDistributing

// build fills r from the observations.
func (r *Report) build(cfg Config, obs []Observation, enslaved map[string]time.Time) {
	if len(obs) == 0 {
		r.Local = cfg.Local
		return
	}
	slices.SortStableFunc(obs, func(a, b Observation) int { return a.Time.Compare(b.Time) })
	r.Start = obs[0].Time
	r.Local, r.LocalInferred = cfg.Local, false
	if r.Local == (lacp.SystemID{}) {
		r.Local, r.LocalInferred = inferLocal(obs), true
	}

	links := groupLinks(obs)
	iss := newIssues()
	for _, l := range links {
		p := &Port{Name: l.name(r.Local)}
		if t, ok := enslaved[p.Name]; ok {
			p.Enslaved, p.EnslavedMarked = t, true
		}
		p.walk(l.obs, r.Local, iss)
		r.Ports = append(r.Ports, p)
		if p.Remote.System != (lacp.SystemID{}) && r.Remote == (lacp.SystemID{}) {
			r.Remote = p.Remote.System
		}
	}
	slices.SortFunc(r.Ports, func(a, b *Port) int { return cmp.Compare(a.Name, b.Name) })
	checkLAG(r.Ports, cfg.Key, iss)
	r.Issues = iss.sorted()
}

// sideOf says which side sent an observed PDU: the direction when the
// capture recorded it, else the actor system.
func sideOf(o *Observation, local lacp.SystemID) Side {
	switch o.Direction {
	case DirectionOut:
		return SideLocal
	case DirectionIn:
		return SideRemote
	}
	if o.PDU.Actor.System == local {
		return SideLocal
	}
	return SideRemote
}

// inferLocal names the local system: the actor of PDUs the capture says went
// out (or the system that never came in), else the system that spoke last for
// the first time, which in a capture of ports being enslaved is theirs.
func inferLocal(obs []Observation) lacp.SystemID {
	in := map[lacp.SystemID]bool{}
	var order []lacp.SystemID
	for i := range obs {
		sys := obs[i].PDU.Actor.System
		switch obs[i].Direction {
		case DirectionOut:
			return sys
		case DirectionIn:
			in[sys] = true
		}
		if !slices.Contains(order, sys) {
			order = append(order, sys)
		}
	}
	if len(in) > 0 {
		for _, sys := range order {
			if !in[sys] {
				return sys
			}
		}
		for i := range obs { // everything came in: local is the partner they name
			if p := obs[i].PDU.Partner.System; p != (lacp.SystemID{}) && !in[p] {
				return p
			}
		}
	}
	return order[len(order)-1]
}

// walk runs the link's observations, in time order, into p's timeline.
func (p *Port) walk(obs []Observation, local lacp.SystemID, iss *issues) {
	var (
		last   [2]lacp.State
		heard  [2]bool
		sent   [2]map[lacp.State]bool // states each side has advertised
		info   [2]lacp.PortInfo
		usable bool
	)
	sent[SideLocal], sent[SideRemote] = map[lacp.State]bool{}, map[lacp.State]bool{}
	for i := range obs {
		o := &obs[i]
		side := sideOf(o, local)
		other := SideRemote - side
		st := o.PDU.Actor.State
		p.PDUs++
		if !heard[side] {
			p.Events = append(p.Events, Event{Time: o.Time, Side: side, Kind: EventFirstPDU, State: st})
			if side == SideLocal {
				p.FirstLocal = o.Time
			} else {
				p.FirstRemote = o.Time
			}
		}
		for _, se := range stateEvents {
			was, is := heard[side] && last[side].Has(se.bit), st.Has(se.bit)
			switch {
			case is && !was:
				p.Events = append(p.Events, Event{Time: o.Time, Side: side, Kind: se.set, State: st})
			case was && !is:
				p.Events = append(p.Events, Event{Time: o.Time, Side: side, Kind: se.cleared, State: st})
			}
		}
		if heard[other] && !st.Has(lacp.StateDefaulted) {
			checkEcho(p.Name, side, o, info[other], sent[other], iss)
		}
		last[side], heard[side], info[side] = st, true, o.PDU.Actor
		sent[side][st] = true

		if side == SideLocal && p.Enslaved.IsZero() {
			p.Enslaved = o.Time
		}
		now := heard[SideLocal] && heard[SideRemote] && last[SideLocal].Has(usableBits) && last[SideRemote].Has(usableBits)
		if now != usable {
			usable = now
			kind := EventUnusable
			if now {
				kind = EventUsable
				if p.Usable.IsZero() && !o.Time.Before(p.Enslaved) {
					p.Usable = o.Time
				}
			}
			p.Events = append(p.Events, Event{Time: o.Time, Side: SideBoth, Kind: kind})
		}
	}
	p.Local, p.Remote = info[SideLocal], info[SideRemote]
}

// identity is a PortInfo without its state: what a partner must echo exactly.
func identity(i lacp.PortInfo) lacp.PortInfo {
	i.State = 0
	return i
}

// checkEcho checks that the Partner information of o is what the other side
// last said of itself, with a state the other side did advertise.
func checkEcho(port string, side Side, o *Observation, other lacp.PortInfo, otherStates map[lacp.State]bool, iss *issues) {
	echoed := o.PDU.Partner
	if identity(echoed) != identity(other) {
		iss.add(Issue{Time: o.Time, Port: port, Side: side, Kind: IssueEcho,
			Detail: fmt.Sprintf("partner %v, but the partner says %v", echoed, other)})
		return
	}
	if !otherStates[echoed.State] {
		iss.add(Issue{Time: o.Time, Port: port, Side: side, Kind: IssueEcho,
			Detail: fmt.Sprintf("partner state %s, which the partner never sent", echoed.State)})
	}
}

// checkLAG checks that each side uses one system and one key on all its
// aggregatable ports, as ports of one LAG must, and that the local key is the
// configured one.
func checkLAG(ports []*Port, key uint16, iss *issues) {
	for _, p := range ports {
		if key != 0 && p.Local.State.Has(lacp.StateAggregation) && p.Local.Key != key {
			iss.add(Issue{Time: p.FirstLocal, Port: p.Name, Side: SideLocal, Kind: IssueKey,
				Detail: fmt.Sprintf("key %d, but the LAG's key is %d", p.Local.Key, key)})
		}
	}
	for _, side := range []Side{SideLocal, SideRemote} {
		var first *Port
		for _, p := range ports {
			info, since := p.Local, p.FirstLocal
			if side == SideRemote {
				info, since = p.Remote, p.FirstRemote
			}
			if info.System == (lacp.SystemID{}) || !info.State.Has(lacp.StateAggregation) {
				continue
			}
			if first == nil {
				first = p
				continue
			}
			ref := first.Local
			if side == SideRemote {
				ref = first.Remote
			}
			if info.System != ref.System {
				iss.add(Issue{Time: since, Port: p.Name, Side: side, Kind: IssueSystem,
					Detail: fmt.Sprintf("system %s, but %s has %s", info.System, first.Name, ref.System)})
			}
			if info.Key != ref.Key {
				iss.add(Issue{Time: since, Port: p.Name, Side: side, Kind: IssueKey,
					Detail: fmt.Sprintf("key %d, but %s has key %d", info.Key, first.Name, ref.Key)})
			}
		}
	}
}

// issues deduplicates Issues by port, side, kind and detail.
type issues struct {
	list  []Issue
	index map[[4]string]int
}

func newIssues() *issues { return &issues{index: map[[4]string]int{}} }

func (s *issues) add(i Issue) {
	k := [4]string{i.Port, i.Side.String(), i.Kind.String(), i.Detail}
	if n, ok := s.index[k]; ok {
		s.list[n].Count++
		return
	}
	i.Count = 1
	s.index[k] = len(s.list)
	s.list = append(s.list, i)
}

func (s *issues) sorted() []Issue {
	slices.SortStableFunc(s.list, func(a, b Issue) int { return a.Time.Compare(b.Time) })
	return s.list
}
