package region

import (
	"cmp"
	"fmt"
	"maps"
	"net/netip"
	"slices"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology"
)

// Path is a customer prefix as Amazon's side of a VIF learned it.
type Path struct {
	VIFID       string
	Prefix      netip.Prefix
	NextHop     netip.Addr // the customer's address on the VIF
	Communities []uint32   // ASN<<16 | value
	ASPathLen   int
}

// Local-preference communities a customer tags its routes with.
const (
	CommunityLow    = 7224<<16 | 7100
	CommunityMedium = 7224<<16 | 7200
	CommunityHigh   = 7224<<16 | 7300
)

// localPref is the preference a path's communities ask for: 1 low, 2
// medium (also with none), 3 high; the highest when several are given.
func localPref(p Path) int {
	pref := 0
	for _, c := range p.Communities {
		switch c {
		case CommunityLow:
			pref = max(pref, 1)
		case CommunityMedium:
			pref = max(pref, 2)
		case CommunityHigh:
			pref = max(pref, 3)
		}
	}
	if pref == 0 {
		return 2
	}
	return pref
}

// better orders two paths to one prefix: negative when a wins.
func better(a, b Path) int {
	if c := cmp.Compare(localPref(b), localPref(a)); c != 0 {
		return c
	}
	if c := cmp.Compare(a.ASPathLen, b.ASPathLen); c != 0 {
		return c
	}
	return cmp.Compare(a.VIFID, b.VIFID)
}

// Plan is the Region's routing: its address spaces, each VIF's reach, and
// for each address space the VIF each customer prefix goes back by, chosen
// among the VIFs that reach that space.
func Plan(rt sim.Routing, paths []Path) (topology.RegionSpec, error) {
	spec := topology.RegionSpec{Name: rt.Region}
	for _, n := range rt.Networks {
		cidrs, err := parsePrefixes(n.CIDRs)
		if err != nil {
			return topology.RegionSpec{}, fmt.Errorf("address space %s: %w", n.ID, err)
		}
		spec.Networks = append(spec.Networks, topology.RegionNetwork{ID: n.ID, CIDRs: cidrs})
	}
	device := map[string]string{}
	reaches := map[string][]string{} // network → VIFs
	for _, v := range rt.VIFs {
		reach, err := parsePrefixes(v.Reach)
		if err != nil {
			return topology.RegionSpec{}, fmt.Errorf("VIF %s: %w", v.VIFID, err)
		}
		spec.VIFs = append(spec.VIFs, topology.RoutedVIF{VIFID: v.VIFID, Device: v.Device, Reach: reach})
		device[v.VIFID] = v.Device
		for _, n := range v.Networks {
			reaches[n] = append(reaches[n], v.VIFID)
		}
	}
	byVIF := map[string][]Path{}
	for _, p := range paths {
		byVIF[p.VIFID] = append(byVIF[p.VIFID], p)
	}
	for _, n := range rt.Networks {
		best := map[netip.Prefix]Path{}
		for _, vif := range reaches[n.ID] {
			for _, p := range byVIF[vif] {
				if b, ok := best[p.Prefix]; !ok || better(p, b) < 0 {
					best[p.Prefix] = p
				}
			}
		}
		for _, prefix := range slices.SortedFunc(maps.Keys(best), comparePrefixes) {
			p := best[prefix]
			spec.Returns = append(spec.Returns, topology.ReturnRoute{Network: n.ID, Prefix: prefix, VIFID: p.VIFID,
				Device: device[p.VIFID], NextHop: p.NextHop})
		}
	}
	return spec, nil
}

func parsePrefixes(ss []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(ss))
	for _, s := range ss {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

func comparePrefixes(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return cmp.Compare(a.Bits(), b.Bits())
}
