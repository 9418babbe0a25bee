package region

import (
	"net/netip"
	"slices"

	"github.com/dxsim/dxsim/topology/observe"
)

// CustomerNets gives the network of the customer router a VIF is on, when
// it is dxsim's own (its first address is on the router); false otherwise,
// and then there is nothing to probe from.
type CustomerNets func(vifID string) (netip.Prefix, bool)

// Targets tells an observer what to probe at layer 3 when a connection (or
// a LAG) is interrupted: from the customer's network to the first address
// space each VIF on it (or that just left it, moving with it to a LAG)
// reaches, IPv4 first.
func (c *Controller) Targets(nets CustomerNets) observe.RoutedTargets {
	return func(connectionID string) []observe.RoutedTarget {
		c.mu.Lock()
		rt := c.rt
		movedFrom := map[string]string{}
		for id, m := range c.movedFrom {
			movedFrom[id] = m.from
		}
		c.mu.Unlock()
		cidrs := map[string][]netip.Prefix{}
		for _, n := range rt.Networks {
			for _, s := range n.CIDRs {
				if p, err := netip.ParsePrefix(s); err == nil {
					cidrs[n.ID] = append(cidrs[n.ID], p)
				}
			}
			slices.SortStableFunc(cidrs[n.ID], func(a, b netip.Prefix) int {
				return boolInt(b.Addr().Is4()) - boolInt(a.Addr().Is4())
			})
		}
		var out []observe.RoutedTarget
		for _, v := range rt.VIFs {
			if v.Parent != connectionID && movedFrom[v.VIFID] != connectionID {
				continue
			}
			from, ok := nets(v.VIFID)
			if !ok || len(v.Networks) == 0 || len(cidrs[v.Networks[0]]) == 0 {
				continue
			}
			to := cidrs[v.Networks[0]][0]
			if to.Addr().Is4() != from.Addr().Is4() {
				continue
			}
			_, custNS := c.cfg.DataPlane.Namespaces(v.Device)
			out = append(out, observe.RoutedTarget{VIFID: v.VIFID, FromNS: custNS, ToNS: c.cfg.DataPlane.RegionNamespace(rt.Region),
				From: from.Masked().Addr().Next(), To: to.Masked().Addr().Next()})
		}
		return out
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// VIFTarget tells an observer what to probe at layer 3 for a VIF (a
// failover test's): from the customer's network to the first address space
// it reaches, IPv4 first.
func (c *Controller) VIFTarget(nets CustomerNets) observe.VIFTarget {
	return func(vifID string) (observe.RoutedTarget, bool) {
		c.mu.Lock()
		rt := c.rt
		c.mu.Unlock()
		for _, v := range rt.VIFs {
			if v.VIFID != vifID {
				continue
			}
			from, ok := nets(v.VIFID)
			if !ok || len(v.Networks) == 0 {
				return observe.RoutedTarget{}, false
			}
			for _, n := range rt.Networks {
				if n.ID != v.Networks[0] {
					continue
				}
				for _, s := range n.CIDRs {
					to, err := netip.ParsePrefix(s)
					if err != nil || to.Addr().Is4() != from.Addr().Is4() {
						continue
					}
					_, custNS := c.cfg.DataPlane.Namespaces(v.Device)
					return observe.RoutedTarget{VIFID: v.VIFID, FromNS: custNS, ToNS: c.cfg.DataPlane.RegionNamespace(rt.Region),
						From: from.Masked().Addr().Next(), To: to.Masked().Addr().Next()}, true
				}
			}
		}
		return observe.RoutedTarget{}, false
	}
}
