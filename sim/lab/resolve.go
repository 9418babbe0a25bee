package lab

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/dxsim/dxsim/sim"
)

// Resolve checks a lab file against Direct Connect's rules and dxsim's
// naming, fills in defaults, and returns the lab. It reports every problem
// it finds, not just the first.
func (f File) Resolve() (*Lab, error) {
	r := resolver{name: f.Name, ids: map[string]string{}}
	if !nameRE.MatchString(f.Name) {
		r.errf("lab name %q: want 1-24 of a-z, 0-9 and '-'", f.Name)
	} else if err := CheckName(f.Name); err != nil {
		r.errs = append(r.errs, err)
	}
	customer := cmp.Or(f.CustomerRouter, CustomerBuiltin)
	if customer != CustomerBuiltin && customer != CustomerNone {
		r.errf("customerRouter %q: want %s or %s", f.CustomerRouter, CustomerBuiltin, CustomerNone)
	}
	timers := cmp.Or(f.LACPTimers, TimersLinux)
	if timers != TimersLinux && timers != Timers8021AX {
		r.errf("lacpTimers %q: want %s or %s", f.LACPTimers, TimersLinux, Timers8021AX)
	}
	if len(f.Devices) == 0 {
		r.errf("no devices")
	}
	var s sim.Snapshot
	for _, d := range f.Devices {
		r.device(d, &s)
	}
	r.faults(f.Faults, customer, &s)
	if err := errors.Join(r.errs...); err != nil {
		return nil, err
	}
	return &Lab{Name: f.Name, Prefix: PrefixFor(f.Name), Snapshot: s, BGP: r.bgp, CustomerRouter: customer, LACPTimers: timers, Faults: r.faultList}, nil
}

// PrefixFor is the namespace prefix of the lab with this name: "dxsim-<name>".
// `dxsim serve` prefixes never take this form (they do not start "dxsim-"),
// so a lab's namespaces and a serve's never share a name or a pattern.
func PrefixFor(name string) string { return "dxsim-" + name }

// reservedNames are lab names whose prefix another dxsim command uses.
var reservedNames = map[string]string{
	"demo": "`dxsim demo` uses the namespaces dxsim-demo-…",
}

// CheckName refuses a lab name whose namespaces could be taken for another
// dxsim's: a "dx" or "cr" part (a name starting "dx-" or "cr-", say) would
// make "dxsim-<name>-dx-<device>" read as a namespace of `dxsim serve`'s
// ("dxsim-dx-<device>"), or of another lab's, and a reserved name is
// another command's prefix.
func CheckName(name string) error {
	if why, ok := reservedNames[name]; ok {
		return fmt.Errorf("lab name %q is reserved: %s", name, why)
	}
	for _, part := range strings.Split(name, "-") {
		if part == "dx" || part == "cr" {
			return fmt.Errorf("lab name %q: a %q part would make its namespaces (%s-dx-<device>) look like a `dxsim serve`'s or another lab's "+
				"(\"<prefix>-dx-<device>\", \"<prefix>-cr-<device>\"); choose another name (an existing lab of this name: remove its namespaces with `ip netns del`)",
				name, part, PrefixFor(name))
		}
	}
	return nil
}

type resolver struct {
	name string            // the lab's
	ids  map[string]string // every ID seen, to the device it is on
	bgp  []sim.BGPRouter
	errs []error

	faultList []sim.Fault
}

func (r *resolver) errf(format string, a ...any) {
	r.errs = append(r.errs, fmt.Errorf(format, a...))
}

// id checks an ID's shape and that it is unique in the lab.
func (r *resolver) id(kind, id, device string) bool {
	if !idRE[kind].MatchString(id) {
		r.errf("%q: want %s- and 8 of a-z, 0-9", id, kind)
		return false
	}
	if _, dup := r.ids[id]; dup {
		r.errf("%s appears twice", id)
		return false
	}
	r.ids[id] = device
	return true
}

const defaultBandwidth = "10Gbps"

// maxMembers is AWS's limit on a LAG's members by port speed.
func maxMembers(bandwidth string) (int, bool) {
	switch bandwidth {
	case "1Gbps", "10Gbps":
		return 4, true
	case "100Gbps", "400Gbps":
		return 2, true
	}
	return 0, false
}

func (r *resolver) device(d Device, s *sim.Snapshot) {
	if !deviceRE.MatchString(d.ID) {
		r.errf("device %q: want 1-40 of A-Z, a-z, 0-9 and '-'", d.ID)
		return
	}
	lagBW := map[string]string{}
	lagMembers := map[string]int{}
	for _, l := range d.LAGs {
		if !r.id("dxlag", l.ID, d.ID) {
			continue
		}
		bw := cmp.Or(l.Bandwidth, defaultBandwidth)
		if _, ok := maxMembers(bw); !ok {
			r.errf("%s: bandwidth %q: want 1Gbps, 10Gbps, 100Gbps or 400Gbps", l.ID, bw)
		}
		if l.MinimumLinks < 0 {
			r.errf("%s: minimumLinks %d is negative", l.ID, l.MinimumLinks)
		}
		lagBW[l.ID] = bw
		s.LAGs = append(s.LAGs, sim.LAGSpec{LAGID: l.ID, DeviceID: d.ID, Location: d.Location, MinLinks: l.MinimumLinks})
	}
	for _, c := range d.Connections {
		if !r.id("dxcon", c.ID, d.ID) {
			continue
		}
		bw := cmp.Or(c.Bandwidth, defaultBandwidth)
		if _, ok := maxMembers(bw); !ok {
			r.errf("%s: bandwidth %q: want 1Gbps, 10Gbps, 100Gbps or 400Gbps", c.ID, bw)
		}
		if c.LAG != "" {
			lbw, ok := lagBW[c.LAG]
			switch {
			case !ok:
				r.errf("%s: LAG %s is not on device %s", c.ID, c.LAG, d.ID)
			case lbw != bw:
				r.errf("%s: bandwidth %s, but LAG %s's members are %s", c.ID, bw, c.LAG, lbw)
			}
			lagMembers[c.LAG]++
		}
		s.Ports = append(s.Ports, sim.PortSpec{ConnectionID: c.ID, DeviceID: d.ID, Location: d.Location, Bandwidth: bw, LAGID: c.LAG})
	}
	for _, l := range d.LAGs {
		if max, ok := maxMembers(lagBW[l.ID]); ok && lagMembers[l.ID] > max {
			r.errf("%s: %d members, at most %d at %s", l.ID, lagMembers[l.ID], max, lagBW[l.ID])
		}
	}
	vlansOn := map[string]map[int]string{}
	speakers := map[netip.Addr]string{} // Amazon's BGP addresses on the device, to their VIF
	for _, v := range d.VIFs {
		if !r.id("dxvif", v.ID, d.ID) {
			continue
		}
		if dev, ok := r.ids[v.On]; !ok || dev != d.ID || v.On == v.ID {
			r.errf("%s: %q is not a connection or LAG on device %s", v.ID, v.On, d.ID)
		}
		if v.VLAN < 1 || v.VLAN > 4094 {
			r.errf("%s: VLAN %d is outside 1-4094", v.ID, v.VLAN)
		}
		if vlansOn[v.On] == nil {
			vlansOn[v.On] = map[int]string{}
		}
		if other, dup := vlansOn[v.On][v.VLAN]; dup {
			r.errf("%s: VLAN %d on %s is %s's already", v.ID, v.VLAN, v.On, other)
		}
		vlansOn[v.On][v.VLAN] = v.ID
		for _, a := range []string{v.AmazonAddress, v.CustomerAddress} {
			if a == "" {
				continue
			}
			if _, err := netip.ParsePrefix(a); err != nil {
				r.errf("%s: address %q: %v", v.ID, a, err)
			}
		}
		s.VLANs = append(s.VLANs, sim.VLANSpec{
			ID: v.ID, ParentID: v.On, VLAN: v.VLAN,
			AmazonAddress: v.AmazonAddress, CustomerAddress: v.CustomerAddress,
		})
		r.vifBGP(v, d.ID, speakers)
	}
}
