package region

import (
	"net/netip"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology/observe"
)

// CustomerNets gives the network of the customer router a VIF is on, when
// it is dxsim's own (its first address is on the router); false otherwise,
// and then there is nothing to probe from.
type CustomerNets func(vifID string) (netip.Prefix, bool)

// Targets tells an observer what to probe at layer 3 when a connection (or
// a LAG) is interrupted: from the customer's network to the first address
// space each VIF on it (or that just left it, moving with it to a LAG)
// reaches.
func (c *Controller) Targets(nets CustomerNets) observe.RoutedTargets {
	return func(connectionID string) []observe.RoutedTarget {
		c.mu.Lock()
		rt := c.rt
		movedFrom := map[string]string{}
		for id, m := range c.movedFrom {
			movedFrom[id] = m.from
		}
		c.mu.Unlock()
		var out []observe.RoutedTarget
		for _, v := range rt.VIFs {
			if v.Parent != connectionID && movedFrom[v.VIFID] != connectionID {
				continue
			}
			if t, ok := c.target(rt, v, nets); ok {
				out = append(out, t)
			}
		}
		return out
	}
}

// VIFTarget tells an observer what to probe at layer 3 for a VIF (a
// failover test's), as Targets does for a connection's.
func (c *Controller) VIFTarget(nets CustomerNets) observe.VIFTarget {
	return func(vifID string) (observe.RoutedTarget, bool) {
		c.mu.Lock()
		rt := c.rt
		c.mu.Unlock()
		for _, v := range rt.VIFs {
			if v.VIFID == vifID {
				return c.target(rt, v, nets)
			}
		}
		return observe.RoutedTarget{}, false
	}
}

// target is a VIF's routed probe: from its customer router's network to
// the first address, of the same family, of the first address space it
// reaches.
func (c *Controller) target(rt sim.Routing, v sim.RoutedVIF, nets CustomerNets) (observe.RoutedTarget, bool) {
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
	return observe.RoutedTarget{}, false
}
