package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/dxsim/dxsim/lacp"
	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/lab"
	"github.com/dxsim/dxsim/topology"
	"github.com/dxsim/dxsim/topology/backend"
)

// labView is what lab status shows: the data plane's status and, for a lab
// with BGP, its sessions.
type labView struct {
	backend, why string
	// note says where the status came from, when not empty.
	note string
	st   topology.Status
	bgp  []sim.BGPSession
	// bgpRunning: a lab up runs the lab's BGP (and bgp is what it reports).
	bgpRunning bool
}

// printLabStatus prints every object of the lab file with its state as a
// data plane reports it, after a line saying where that came from; an
// object of the file that does not exist is shown as missing rather than
// left out, and a VIF's BGP session on a row of its own under the VIF.
func printLabStatus(out io.Writer, l *lab.Lab, v labView) {
	st := v.st
	fmt.Fprintf(out, "lab %s: backend %s (%s); namespaces %s-dx-<device>, %s-cr-<device>\n", l.Name, v.backend, v.why, l.Prefix, l.Prefix)
	if v.note != "" {
		fmt.Fprintln(out, v.note)
	}
	fmt.Fprintln(out)
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	defer w.Flush()
	fmt.Fprintln(w, "OBJECT\tON\tAWS\tCUSTOMER\tAWS LACP (actor/partner)\tCUSTOMER LACP (actor/partner)")

	lags := map[string]topology.LAGSideStatus{}
	for _, s := range st.LAGs {
		lags[s.LAGID] = s
	}
	ports := map[string]topology.PortStatus{}
	for _, p := range st.Ports {
		ports[p.ConnectionID] = p
	}
	vlans := map[string]topology.VLANStatus{}
	for _, v := range st.VLANs {
		vlans[v.ID] = v
	}
	for _, spec := range l.Snapshot.LAGs {
		s, ok := lags[spec.LAGID]
		if !ok {
			fmt.Fprintf(w, "%s\t%s\tmissing\tmissing\t\t\n", spec.LAGID, spec.DeviceID)
			continue
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d/%d members\t%d/%d members\n", spec.LAGID, spec.DeviceID,
			labLAGState(s.AWS), labLAGState(s.Customer), labActive(s.AWS), len(s.AWS.Members), labActive(s.Customer), len(s.Customer.Members))
	}
	for _, spec := range l.Snapshot.Ports {
		p, ok := ports[spec.ConnectionID]
		on := spec.DeviceID
		if spec.LAGID != "" {
			on = spec.LAGID
		}
		if !ok {
			fmt.Fprintf(w, "  %s\t%s\tmissing\tmissing\t\t\n", spec.ConnectionID, on)
			continue
		}
		if p.LAGID != spec.LAGID {
			on = fmt.Sprintf("%s (lab file: %s)", labOr(p.LAGID, "standalone"), labOr(spec.LAGID, "standalone"))
		}
		fmt.Fprintf(w, "  %s\t%s\t%s\t%s\t%s\t%s\n", spec.ConnectionID, on, labLink(p.AWSUp, p.AWSMissing), labLink(p.CustomerUp, p.CustomerMissing), labLACPState(p.AWSLACP), labLACPState(p.CustomerLACP))
	}
	routers := map[string]sim.BGPRouter{}
	for _, r := range l.BGP {
		routers[r.VIFID] = r
	}
	for _, spec := range l.Snapshot.VLANs {
		if vl, ok := vlans[spec.ID]; ok {
			fmt.Fprintf(w, "  %s\tvlan %d on %s\t%s %s\t%s %s\t\t\n", spec.ID, vl.VLAN, vl.Parent,
				labLink(vl.AWSUp, vl.AWSMissing), spec.AmazonAddress, labLink(vl.CustomerUp, vl.CustomerMissing), spec.CustomerAddress)
		} else {
			fmt.Fprintf(w, "  %s\tvlan %d on %s\tmissing\tmissing\t\t\n", spec.ID, spec.VLAN, spec.ParentID)
		}
		if r, ok := routers[spec.ID]; ok {
			labBGPRows(w, r, l.CustomerRouter, v)
		}
	}
	w.Flush()
	if len(l.Faults) > 0 {
		fmt.Fprintln(out, "\nfaults (from the lab file):")
		for _, f := range l.Faults {
			fmt.Fprintf(out, "  %s\n", f)
		}
	}
}

func labLAGState(s backend.LAGStatus) string {
	if s.Name == "" {
		return "missing"
	}
	return fmt.Sprintf("%s (min %d)", labUpDown(s.Up), s.MinLinks)
}

// active counts members collecting and distributing.
func labActive(s backend.LAGStatus) int {
	n := 0
	for _, m := range s.Members {
		if (sim.Event{LACPState: uint8(m.Actor)}).CollectingDistributing() {
			n++
		}
	}
	return n
}

func labLACPState(m *backend.MemberStatus) string {
	if m == nil {
		return "-"
	}
	return m.Actor.String() + "/" + m.Partner.String()
}

// labLink is an interface's state: missing when it is not there (deleted
// by hand), else its carrier.
func labLink(up, missing bool) string {
	if missing {
		return "missing"
	}
	return labUpDown(up)
}

func labUpDown(up bool) string {
	if up {
		return "up"
	}
	return "down"
}

func labOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func labEvent(e sim.Event) string {
	ts := e.Time.Format("15:04:05.000")
	switch e.Kind {
	case sim.EventLACP:
		return fmt.Sprintf("%s lacp %-8s %s in %s: actor %s", ts, e.Side, e.ConnectionID, e.LAGID, lacp.State(e.LACPState))
	case sim.EventLAG:
		return fmt.Sprintf("%s lag  %-8s %s %s", ts, e.Side, e.LAGID, labUpDown(e.Up))
	}
	return fmt.Sprintf("%s link %-8s %s %s", ts, e.Side, e.ConnectionID, labUpDown(e.Up))
}
