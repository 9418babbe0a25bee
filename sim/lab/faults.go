package lab

import (
	"errors"
	"slices"
	"time"

	"github.com/dxsim/dxsim/sim"
)

// faults checks a lab file's faults against its objects (a connection's
// LACP and link faults; a BGP fault on a VIF with an ASN, and on the
// customer's side only with dxsim's builtin router), puts the connections'
// into the snapshot and the VIFs' into their routers.
func (r *resolver) faults(specs []sim.FaultSpec, customer string, s *sim.Snapshot) {
	seen := map[string]bool{}
	now := time.Now()
	for i, spec := range specs {
		f, err := spec.Checked()
		if err != nil {
			var e *sim.Error
			if errors.As(err, &e) {
				err = errors.New(e.Message)
			}
			r.errf("faults[%d]: %v", i, err)
			continue
		}
		id := sim.FaultID(f.Target(), f.Side, f.Class())
		if seen[id] {
			r.errf("faults[%d]: a second %s fault on the %s side of %s: a side has one of each kind", i, f.Class(), f.Side, f.Target())
			continue
		}
		seen[id] = true
		fault := sim.Fault{ID: id, FaultSpec: f, Set: now}
		r.faultList = append(r.faultList, fault)
		if f.Connection != "" {
			if !slices.ContainsFunc(s.Ports, func(p sim.PortSpec) bool { return p.ConnectionID == f.Connection }) {
				r.errf("faults[%d]: no connection %s in the lab", i, f.Connection)
				continue
			}
			s.Faults = append(s.Faults, fault)
			continue
		}
		r.vifFault(i, fault, customer)
	}
}

func (r *resolver) vifFault(i int, f sim.Fault, customer string) {
	if f.Side == sim.FaultSideCustomer && customer != CustomerBuiltin {
		r.errf("faults[%d]: the customer's side of %s's BGP is your own router (customerRouter %s): break it there", i, f.VIF, customer)
		return
	}
	for k := range r.bgp {
		rt := &r.bgp[k]
		if rt.VIFID != f.VIF {
			continue
		}
		if f.Prefixes == 0 && f.BGP == "too-many-prefixes" {
			f.Prefixes = sim.PrefixLimit(rt.Type) + 1
		}
		for j := range rt.Peers {
			p := &rt.Peers[j]
			if f.Side == sim.FaultSideAWS {
				p.Amazon = sim.SideFault(&f, rt.AmazonASN, p.AuthKey)
			} else {
				p.Customer = sim.SideFault(&f, p.ASN, p.AuthKey)
			}
		}
		return
	}
	r.errf("faults[%d]: no VIF %s with BGP (an asn) in the lab", i, f.VIF)
}
