package sim

import (
	"slices"
	"strings"
)

// The routed Amazon side: what each VIF's traffic may reach.
//
// Behind the DX devices stands the Region: each virtual private gateway's
// VPC as an address space (its CIDRs), and each transit gateway associated
// with a Direct Connect gateway as the address space of that association's
// allowed prefixes. A private VIF on a virtual private gateway reaches that
// VPC; a private VIF on a Direct Connect gateway reaches the VPCs of the
// gateway's associations, limited to the association's allowed prefixes; a
// transit VIF reaches the prefixes of its gateway's transit gateway
// associations. The data plane routes accordingly (topology/region), and
// BGP (BGPRouters) advertises the same prefixes.

// Routing is the Region's address spaces and what each VIF reaches.
type Routing struct {
	Region   string
	Networks []AmazonNetwork // sorted by ID
	VIFs     []RoutedVIF     // sorted by VIF ID
}

// AmazonNetwork is an address space of the Region: a VPC (named by its
// virtual private gateway, vgw-…) or a transit gateway's (tgw-…).
type AmazonNetwork struct {
	ID    string
	CIDRs []string
}

// RoutedVIF is one VIF as the Region routes it.
type RoutedVIF struct {
	VIFID  string
	Device string
	// Parent is the connection or LAG that carries it.
	Parent string
	// Networks are the IDs of the address spaces it reaches.
	Networks []string
	// Reach are the prefixes its traffic may go to: what Amazon
	// advertises on it.
	Reach []string
}

// Routing returns the Region behind the devices as the state stands: every
// virtual private gateway of the catalogue in this Region, the transit
// gateways associated with a Direct Connect gateway, and every VIF that
// has BGP on the data plane (BGPRouters' VIFs), private or transit.
func (s *Service) Routing() (Routing, error) {
	out := Routing{Region: s.region}
	nets := map[string][]string{}
	for _, g := range s.cat.VirtualGatewaysIn(s.region) {
		if g.State == StateAvailable {
			nets[g.ID] = slices.Clone(g.VPCCIDRs)
		}
	}
	err := s.read(func(st *State) error {
		for _, a := range st.GatewayAssociations {
			if !strings.HasPrefix(a.AssociatedID, "tgw-") || (a.State != StateAssociated && a.State != StateUpdating) {
				continue
			}
			for _, p := range a.AllowedPrefixes {
				if !slices.Contains(nets[a.AssociatedID], p) {
					nets[a.AssociatedID] = append(nets[a.AssociatedID], p)
				}
			}
		}
		for _, v := range st.VIFs {
			if r, ok := s.routedVIF(st, v, nets); ok {
				out.VIFs = append(out.VIFs, r)
			}
		}
		return nil
	})
	for id, cidrs := range nets {
		out.Networks = append(out.Networks, AmazonNetwork{ID: id, CIDRs: cidrs})
	}
	slices.SortFunc(out.Networks, func(a, b AmazonNetwork) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(out.VIFs, func(a, b RoutedVIF) int { return compareIDs(a.VIFID, b.VIFID) })
	return out, err
}

// routedVIF is a VIF's place in the Region, false for one that routes
// nothing: not on the data plane, not live, or public.
func (s *Service) routedVIF(st *State, v *VIF, nets map[string][]string) (RoutedVIF, bool) {
	switch v.State {
	case StateConfirming, StateRejected, StateDeleting, StateDeleted:
		return RoutedVIF{}, false
	}
	if v.Device == "" || v.Type == VIFPublic {
		return RoutedVIF{}, false
	}
	r := RoutedVIF{VIFID: v.ID, Device: v.Device, Parent: v.ConnectionID}
	switch {
	case v.VirtualGatewayID != "":
		if _, ok := nets[v.VirtualGatewayID]; ok {
			r.Networks = []string{v.VirtualGatewayID}
		}
	case v.DirectConnectGatewayID != "":
		for _, a := range st.liveAssociations(v.DirectConnectGatewayID) {
			if a.State != StateAssociated && a.State != StateUpdating {
				continue
			}
			transit := strings.HasPrefix(a.AssociatedID, "tgw-")
			if _, ok := nets[a.AssociatedID]; ok && transit == (v.Type == VIFTransit) && !slices.Contains(r.Networks, a.AssociatedID) {
				r.Networks = append(r.Networks, a.AssociatedID)
			}
		}
	}
	for _, p := range s.amazonPrefixes(st, v) {
		r.Reach = append(r.Reach, p.Prefix)
	}
	slices.Sort(r.Networks)
	return r, true
}
