package topology

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"net/netip"
	"os"
	"slices"
	"sync/atomic"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/dxsim/dxsim/topology/internal/nsthread"
)

// backboneName is the backbone's end in a device's namespace.
const backboneName = "backbone"

// Policy routing: dxsim's tables are numbered in [tableBase, tableBase+tableMask]
// (a hash of what each is for), its rules at two priorities, both before
// the main table's (32766) and after the local table's (0).
const (
	tableBase = 0x10000000
	tableMask = 0x0fffffff
	prioVIF   = 10000
	prioNet   = 20000
)

// RegionNamespace is the name of a Region's namespace.
func (d *DataPlane) RegionNamespace(region string) string { return d.names.ns(roleRegion, region) }

// regionBackbone is a device's backbone end in the Region's namespace.
func regionBackbone(device string) string {
	h := fnv.New32a()
	h.Write([]byte(device))
	return fmt.Sprintf("bb-%08x", h.Sum32())
}

// SetRegion makes the Region's namespace, its address spaces and a
// backbone to each device with a routed VIF, and brings the policy routing
// of the Region and of those devices to exactly spec: what it lacks is
// added, what it has that spec does not name (a route or rule changed by
// hand included) removed. A VIF whose device or interface is not there is
// left out and reported; the rest is set.
func (d *DataPlane) SetRegion(ctx context.Context, spec RegionSpec) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	if err := checkNSPart("region", spec.Name); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	rg, err := d.regionNS(spec.Name)
	if err != nil {
		return err
	}
	var errs []error
	devices := map[string]*device{}
	for _, id := range regionDevices(spec) {
		dev, err := d.device(id, false)
		if err == nil {
			err = d.backbone(rg, dev)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("region %s: device %s: %w", spec.Name, id, err))
			continue
		}
		devices[id] = dev
	}
	var cidrs []netip.Prefix
	for _, n := range spec.Networks {
		cidrs = append(cidrs, n.CIDRs...)
	}
	if err := setLoopback(rg, cidrs); err != nil {
		errs = append(errs, err)
	}
	want := wantRouting(spec, devices, rg)
	for ns, w := range want {
		if err := syncRouting(ns, w); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// regionDevices are the devices spec routes through, sorted.
func regionDevices(spec RegionSpec) []string {
	var out []string
	for _, v := range spec.VIFs {
		out = append(out, v.Device)
	}
	for _, r := range spec.Returns {
		out = append(out, r.Device)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// regionNS opens (making it if need be, as this data plane's own) a
// Region's namespace, forwarding and without reverse-path filtering. d.mu
// is held.
func (d *DataPlane) regionNS(region string) (*netNS, error) {
	if d.regions == nil {
		d.regions = map[string]*netNS{}
	}
	if ns, ok := d.regions[region]; ok {
		return ns, nil
	}
	ns, err := d.openDeviceNS(d.names.ns(roleRegion, region))
	if err != nil {
		return nil, err
	}
	ns.role, ns.device = roleRegion, region
	if err := routerSysctls(ns); err == nil {
		err = setUpByName(ns, "lo")
	}
	if err != nil {
		ns.close()
		return nil, fmt.Errorf("region %s: %w", region, err)
	}
	d.regions[region] = ns
	return ns, nil
}

// routerSysctls make a namespace forward, IPv4 and IPv6, with no
// reverse-path filter: its policy routing decides, and a reply may come
// back on another link than its request left by (another VIF).
func routerSysctls(ns *netNS) error {
	return nsthread.Do(ns.ns, func() error {
		for _, kv := range [][2]string{
			{"/proc/sys/net/ipv4/ip_forward", "1"},
			{"/proc/sys/net/ipv6/conf/all/forwarding", "1"},
			{"/proc/sys/net/ipv4/conf/all/rp_filter", "0"},
			{"/proc/sys/net/ipv4/conf/default/rp_filter", "0"},
		} {
			if err := os.WriteFile(kv[0], []byte(kv[1]), 0); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("sysctl %s in %s: %w", kv[0], ns.name, err)
			}
		}
		return nil
	})
}

// backbone makes a device's backbone link to the Region if it lacks one,
// and sets both ends' addresses. d.mu is held.
func (d *DataPlane) backbone(rg *netNS, dev *device) error {
	name := regionBackbone(dev.id)
	if _, err := rg.h.LinkByName(name); err != nil {
		var nf netlink.LinkNotFoundError
		if !errors.As(err, &nf) {
			return err
		}
		// A device end left from an earlier Region namespace goes first.
		if l, err := dev.aws.h.LinkByName(backboneName); err == nil {
			_ = dev.aws.h.LinkDel(l)
		}
		veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: name}, PeerName: backboneName, PeerNamespace: netlink.NsFd(int(dev.aws.ns))}
		if err := rg.h.LinkAdd(veth); err != nil {
			return fmt.Errorf("backbone %s: %w", name, err)
		}
		if err := routerSysctls(dev.aws); err != nil {
			return err
		}
	}
	for _, end := range []struct {
		ns    *netNS
		name  string
		addrs []netip.Addr
	}{
		{rg, name, []netip.Addr{BackboneRegionAddr, BackboneRegionAddr6}},
		{dev.aws, backboneName, []netip.Addr{BackboneDeviceAddr, BackboneDeviceAddr6}},
	} {
		var cidrs []string
		for _, a := range end.addrs {
			cidrs = append(cidrs, netip.PrefixFrom(a, a.BitLen()).String())
		}
		if err := setAddrs(end.ns, end.name, cidrs); err != nil {
			return err
		}
		if err := setUpByName(end.ns, end.name); err != nil {
			return err
		}
	}
	return nil
}

// setLoopback gives the Region's loopback each address space's first host
// address, and no other global one.
func setLoopback(rg *netNS, cidrs []netip.Prefix) error {
	var want []string
	for _, c := range cidrs {
		a := c.Masked().Addr().Next()
		want = append(want, netip.PrefixFrom(a, a.BitLen()).String())
	}
	slices.Sort(want)
	return setAddrs(rg, "lo", slices.Compact(want))
}

// nsRouting is the policy routing dxsim wants in one namespace.
type nsRouting struct {
	rules  []*netlink.Rule
	routes []*netlink.Route
}

// wantRouting is spec's routing, namespace by namespace.
func wantRouting(spec RegionSpec, devices map[string]*device, rg *netNS) map[*netNS]*nsRouting {
	out := map[*netNS]*nsRouting{rg: {}}
	at := func(ns *netNS) *nsRouting {
		if out[ns] == nil {
			out[ns] = &nsRouting{}
		}
		return out[ns]
	}
	tables := map[*netNS]map[int]string{}
	table := func(ns *netNS, key string) int {
		if tables[ns] == nil {
			tables[ns] = map[int]string{}
		}
		return tableID(key, tables[ns])
	}
	for _, dev := range devices {
		at(dev.aws) // a device with nothing routed keeps no rule of ours
	}
	// Interface indexes, each looked up once.
	type nsLink struct {
		ns   *netNS
		name string
	}
	indexes := map[nsLink]int{}
	index := func(ns *netNS, name string) (int, bool) {
		k := nsLink{ns, name}
		if i, ok := indexes[k]; ok {
			return i, i > 0
		}
		l, err := ns.h.LinkByName(name)
		if err != nil {
			indexes[k] = 0
			return 0, false
		}
		indexes[k] = l.Attrs().Index
		return indexes[k], true
	}
	for _, v := range spec.VIFs {
		dev := devices[v.Device]
		if dev == nil {
			continue
		}
		w := at(dev.aws)
		t := table(dev.aws, "vif/"+v.VIFID)
		bb, ok1 := index(dev.aws, backboneName)
		if _, ok2 := index(dev.aws, v.VIFID); !ok1 || !ok2 {
			continue
		}
		for _, fam := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
			w.rules = append(w.rules, rule(fam, prioVIF, v.VIFID, netip.Prefix{}, t))
			w.routes = append(w.routes, unreachable(fam, t))
		}
		for _, p := range v.Reach {
			gw := BackboneRegionAddr
			if p.Addr().Is6() {
				gw = BackboneRegionAddr6
			}
			w.routes = append(w.routes, onlink(p, gw, bb, t))
		}
	}
	netCIDRs := map[string][]netip.Prefix{}
	for _, n := range spec.Networks {
		netCIDRs[n.ID] = n.CIDRs
	}
	// Each address space's table, in the Region and in each device that
	// carries one of its returns.
	type nsNet struct {
		ns  *netNS
		net string
	}
	made := map[nsNet]int{}
	netTable := func(ns *netNS, id string, iif string) int {
		k := nsNet{ns, id}
		if t, ok := made[k]; ok {
			return t
		}
		t := table(ns, "net/"+id)
		made[k] = t
		w := at(ns)
		for _, c := range netCIDRs[id] {
			w.rules = append(w.rules, rule(familyOf(c), prioNet, iif, c.Masked(), t))
		}
		for _, fam := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
			w.routes = append(w.routes, unreachable(fam, t))
		}
		return t
	}
	for _, r := range spec.Returns {
		dev := devices[r.Device]
		if dev == nil || len(netCIDRs[r.Network]) == 0 {
			continue
		}
		bb, ok1 := index(rg, regionBackbone(r.Device))
		vif, ok2 := index(dev.aws, r.VIFID)
		if !ok1 || !ok2 {
			continue
		}
		gw := BackboneDeviceAddr
		if r.Prefix.Addr().Is6() {
			gw = BackboneDeviceAddr6
		}
		t := netTable(rg, r.Network, "")
		out[rg].routes = append(out[rg].routes, onlink(r.Prefix, gw, bb, t))
		t = netTable(dev.aws, r.Network, backboneName)
		out[dev.aws].routes = append(out[dev.aws].routes, &netlink.Route{Dst: prefixNet(r.Prefix), Gw: r.NextHop.AsSlice(),
			LinkIndex: vif, Table: t, Family: familyOf(r.Prefix)})
	}
	return out
}

// tableID is the table for key: a hash, moved on to the next free number
// on a clash with another key of the same namespace (used).
func tableID(key string, used map[int]string) int {
	h := fnv.New32a()
	h.Write([]byte(key))
	n := h.Sum32() & tableMask
	for {
		t := tableBase | int(n)
		if k, ok := used[t]; !ok || k == key {
			used[t] = key
			return t
		}
		n = (n + 1) & tableMask
	}
}

func ourTable(t int) bool { return t&^tableMask == tableBase }

func familyOf(p netip.Prefix) int {
	if p.Addr().Is4() {
		return netlink.FAMILY_V4
	}
	return netlink.FAMILY_V6
}

func prefixNet(p netip.Prefix) *net.IPNet {
	p = p.Masked()
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

func rule(family, prio int, iif string, src netip.Prefix, table int) *netlink.Rule {
	r := netlink.NewRule()
	r.Family, r.Priority, r.Table, r.IifName = family, prio, table, iif
	if src.IsValid() {
		r.Src = prefixNet(src)
	}
	return r
}

func unreachable(family, table int) *netlink.Route {
	dst := netip.PrefixFrom(netip.IPv4Unspecified(), 0)
	if family == netlink.FAMILY_V6 {
		dst = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
	}
	return &netlink.Route{Dst: prefixNet(dst), Type: unix.RTN_UNREACHABLE, Table: table, Family: family}
}

func onlink(dst netip.Prefix, gw netip.Addr, link, table int) *netlink.Route {
	return &netlink.Route{Dst: prefixNet(dst), Gw: gw.AsSlice(), LinkIndex: link, Table: table,
		Flags: int(netlink.FLAG_ONLINK), Family: familyOf(dst)}
}

func ruleKey(r *netlink.Rule) string {
	src := ""
	if r.Src != nil {
		src = r.Src.String()
	}
	return fmt.Sprint(r.Family, "/", r.Priority, "/", r.IifName, "/", src, "/", r.Table)
}

func routeKey(r *netlink.Route) string {
	dst := "default"
	if r.Dst != nil {
		if ones, _ := r.Dst.Mask.Size(); ones > 0 || !r.Dst.IP.IsUnspecified() {
			dst = r.Dst.String()
		}
	}
	gw := ""
	if r.Gw != nil {
		gw = r.Gw.String()
	}
	// As the kernel lists them: a route's type unicast unless said, and an
	// unreachable one on no interface (IPv6 puts it on lo).
	typ, link := cmp.Or(r.Type, unix.RTN_UNICAST), r.LinkIndex
	if typ == unix.RTN_UNREACHABLE {
		link = 0
	}
	return fmt.Sprint(r.Family, "/", r.Table, "/", dst, "/", gw, "/", link, "/", typ)
}

// regionChanges counts the rules and routes syncRouting added or removed,
// for tests: a SetRegion with nothing to change changes nothing.
var regionChanges atomic.Int64

// syncRouting makes a namespace's rules and routes in dxsim's tables
// exactly w's.
func syncRouting(ns *netNS, w *nsRouting) error {
	rules, err := ns.h.RuleList(netlink.FAMILY_ALL)
	if err != nil {
		return fmt.Errorf("rules in %s: %w", ns.name, err)
	}
	wantRules := map[string]*netlink.Rule{}
	for _, r := range w.rules {
		wantRules[ruleKey(r)] = r
	}
	for i := range rules {
		r := &rules[i]
		if !ourTable(r.Table) {
			continue
		}
		if _, ok := wantRules[ruleKey(r)]; ok {
			delete(wantRules, ruleKey(r))
			continue
		}
		regionChanges.Add(1)
		if err := ns.h.RuleDel(r); err != nil {
			return fmt.Errorf("removing rule %s in %s: %w", ruleKey(r), ns.name, err)
		}
	}
	for k, r := range wantRules {
		regionChanges.Add(1)
		if err := ns.h.RuleAdd(r); err != nil {
			return fmt.Errorf("rule %s in %s: %w", k, ns.name, err)
		}
	}
	routes, err := ns.h.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
	if err != nil {
		return fmt.Errorf("routes in %s: %w", ns.name, err)
	}
	wantRoutes := map[string]*netlink.Route{}
	for _, r := range w.routes {
		wantRoutes[routeKey(r)] = r
	}
	for i := range routes {
		r := &routes[i]
		if !ourTable(r.Table) {
			continue
		}
		if _, ok := wantRoutes[routeKey(r)]; ok {
			delete(wantRoutes, routeKey(r))
			continue
		}
		regionChanges.Add(1)
		if err := ns.h.RouteDel(r); err != nil && !errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("removing route %s in %s: %w", routeKey(r), ns.name, err)
		}
	}
	for k, r := range wantRoutes {
		regionChanges.Add(1)
		if err := ns.h.RouteReplace(r); err != nil {
			return fmt.Errorf("route %s in %s: %w", k, ns.name, err)
		}
	}
	return nil
}

// closeRegions closes the Regions' namespace handles. d.mu is held.
func (d *DataPlane) closeRegions() {
	for name, ns := range d.regions {
		ns.close()
		delete(d.regions, name)
	}
}
