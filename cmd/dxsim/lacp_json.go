package main

import (
	"math"
	"time"

	"github.com/dxsim/dxsim/lacp"
	"github.com/dxsim/dxsim/lacp/verify"
)

// The JSON form of a verify.Report: times are seconds from the first
// LACPDU (null when unknown), states both spelled and numeric.
type (
	reportJSON struct {
		Start         time.Time   `json:"start"`
		Local         string      `json:"local_system"`
		LocalInferred bool        `json:"local_inferred"`
		Remote        string      `json:"remote_system"`
		Ports         []portJSON  `json:"ports"`
		Issues        []issueJSON `json:"issues"`
		Malformed     int         `json:"malformed"`
		Markers       int         `json:"markers"`
		OtherSubtypes int         `json:"other_subtypes"`
	}
	portJSON struct {
		Name           string      `json:"name"`
		Local          *infoJSON   `json:"local"`
		Remote         *infoJSON   `json:"remote"`
		FirstLocal     *float64    `json:"first_local"`
		FirstRemote    *float64    `json:"first_remote"`
		Enslaved       *float64    `json:"enslaved"`
		EnslavedMarked bool        `json:"enslaved_marked"`
		Usable         *float64    `json:"usable"`
		ConvergedAfter *float64    `json:"converged_after"`
		PDUs           int         `json:"pdus"`
		Events         []eventJSON `json:"events"`
	}
	infoJSON struct {
		SystemPriority uint16 `json:"system_priority"`
		System         string `json:"system"`
		Key            uint16 `json:"key"`
		PortPriority   uint16 `json:"port_priority"`
		Port           uint16 `json:"port"`
		State          string `json:"state"`
		StateValue     uint8  `json:"state_value"`
	}
	eventJSON struct {
		T          float64 `json:"t"`
		Side       string  `json:"side"`
		Event      string  `json:"event"`
		State      string  `json:"state,omitempty"`
		StateValue *uint8  `json:"state_value,omitempty"`
	}
	issueJSON struct {
		T      float64 `json:"t"`
		Port   string  `json:"port"`
		Side   string  `json:"side"`
		Issue  string  `json:"issue"`
		Detail string  `json:"detail"`
		Count  int     `json:"count"`
	}
)

func newReportJSON(r *verify.Report) reportJSON {
	since := func(t time.Time) *float64 {
		if t.IsZero() {
			return nil
		}
		s := roundUS(t.Sub(r.Start))
		return &s
	}
	out := reportJSON{
		Start: r.Start.UTC(), Local: r.Local.String(), LocalInferred: r.LocalInferred, Remote: r.Remote.String(),
		Ports: []portJSON{}, Issues: []issueJSON{},
		Malformed: r.Malformed, Markers: r.Markers, OtherSubtypes: r.OtherSubtypes,
	}
	for _, p := range r.Ports {
		pj := portJSON{
			Name: p.Name, Local: newInfoJSON(p.Local), Remote: newInfoJSON(p.Remote),
			FirstLocal: since(p.FirstLocal), FirstRemote: since(p.FirstRemote),
			Enslaved: since(p.Enslaved), EnslavedMarked: p.EnslavedMarked, Usable: since(p.Usable),
			PDUs: p.PDUs, Events: []eventJSON{},
		}
		if d, ok := p.ConvergedAfter(); ok {
			s := roundUS(d)
			pj.ConvergedAfter = &s
		}
		for _, e := range p.Events {
			ej := eventJSON{T: *since(e.Time), Side: e.Side.String(), Event: e.Kind.String()}
			if e.Side != verify.SideBoth {
				v := uint8(e.State)
				ej.State, ej.StateValue = e.State.String(), &v
			}
			pj.Events = append(pj.Events, ej)
		}
		out.Ports = append(out.Ports, pj)
	}
	for _, i := range r.Issues {
		t := 0.0
		if s := since(i.Time); s != nil {
			t = *s
		}
		out.Issues = append(out.Issues, issueJSON{T: t, Port: i.Port, Side: i.Side.String(), Issue: i.Kind.String(), Detail: i.Detail, Count: i.Count})
	}
	return out
}

func newInfoJSON(i lacp.PortInfo) *infoJSON {
	if i.System == (lacp.SystemID{}) {
		return nil
	}
	return &infoJSON{SystemPriority: i.SystemPriority, System: i.System.String(), Key: i.Key,
		PortPriority: i.PortPriority, Port: i.Port, State: i.State.String(), StateValue: uint8(i.State)}
}

// roundUS is d in seconds, rounded to the microsecond.
func roundUS(d time.Duration) float64 {
	return math.Round(d.Seconds()*1e6) / 1e6
}
