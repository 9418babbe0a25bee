package topology

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/dxsim/dxsim/topology/backend"
)

// observed is what the kernel holds under this data plane's prefix.
type observed struct {
	devices map[string]bool
	ports   map[string]*portObs
	lags    map[string]*lagObs
	vlans   map[string]*vlanObs
}

type portObs struct {
	device            string
	aws, cust         bool   // each end exists
	awsUp, custUp     bool   // administratively up
	awsLAG, custLAG   string // the LAG each end is enslaved to
	awsVeth, custVeth bool   // each end is a veth
}

type lagObs struct {
	device                    string
	aws, cust                 bool // the backend has it on each side
	awsGone, custGone         bool // ... but its interface is not there
	awsMinLinks, custMinLinks int
}

type vlanObs struct {
	device                 string
	aws, cust              bool // the backend has it on each side
	awsGone, custGone      bool // ... but its interface is not there
	awsParent, custParent  string
	awsVID, custVID        int
	amazonAddrs, custAddrs []string
}

// inventory reads every namespace with this prefix that is this data
// plane's (see Options.Ownership), opening (and watching) each device it
// finds; the others are left alone, and logged unless quiet. d.mu is held.
func (d *DataPlane) inventory(ctx context.Context, quiet bool) (*observed, error) {
	names, err := listNS(d.opts.Prefix + "-")
	if err != nil {
		return nil, err
	}
	o := &observed{devices: map[string]bool{}, ports: map[string]*portObs{}, lags: map[string]*lagObs{}, vlans: map[string]*vlanObs{}}
	for _, n := range names {
		_, dev, ok := d.names.parse(n)
		switch {
		case !ok:
		case d.mine(n):
			o.devices[dev] = true
		case !quiet:
			d.leftAlone(n)
		}
	}
	for id := range o.devices {
		dev, err := d.device(id, true)
		if errors.Is(err, ErrNotOwned) {
			// One side is ours, the other another's: neither is touched.
			d.log.Warn("device's namespaces are partly another's: left alone", "device", id, "err", err)
			delete(o.devices, id)
			continue
		}
		if err != nil {
			return nil, err
		}
		if err := d.inventoryNS(ctx, o, dev.aws); err != nil {
			return nil, err
		}
		if err := d.inventoryNS(ctx, o, dev.cust); err != nil {
			return nil, err
		}
	}
	return o, nil
}

func (d *DataPlane) inventoryNS(ctx context.Context, o *observed, ns *netNS) error {
	links, err := ns.h.LinkList()
	if err != nil {
		return fmt.Errorf("listing links in %s: %w", ns.name, err)
	}
	aws := ns.role == roleDevice
	// A userspace LAG's or VLAN's TAP deleted by hand is still the
	// engine's: it is there for the backend, gone for everyone else.
	present := make(map[string]bool, len(links))
	for _, l := range links {
		present[l.Attrs().Name] = true
	}
	lagNames := map[string]bool{}
	memberOf := map[string]string{} // the backend says: a userspace member has no master
	lags, err := d.be.LAGs(ctx, ns.bk)
	if err != nil {
		return err
	}
	for _, l := range lags {
		lagNames[l.Name] = true
		for _, m := range l.Members {
			memberOf[m.Name] = l.Name
		}
		lo := o.lags[l.Name]
		if lo == nil {
			lo = &lagObs{device: ns.device}
			o.lags[l.Name] = lo
		}
		if aws {
			lo.aws, lo.awsGone, lo.awsMinLinks = true, !present[l.Name], l.MinLinks
		} else {
			lo.cust, lo.custGone, lo.custMinLinks = true, !present[l.Name], l.MinLinks
		}
	}
	vlans, err := d.be.VLANs(ctx, ns.bk)
	if err != nil {
		return err
	}
	vlanNames := map[string]bool{}
	for _, v := range vlans {
		vlanNames[v.Name] = true
		vo := o.vlans[v.Name]
		if vo == nil {
			vo = &vlanObs{device: ns.device}
			o.vlans[v.Name] = vo
		}
		addrs := globalAddrs(ns, v.Name)
		if aws {
			vo.aws, vo.awsGone, vo.awsParent, vo.awsVID, vo.amazonAddrs = true, !present[v.Name], v.Parent, v.VID, addrs
		} else {
			vo.cust, vo.custGone, vo.custParent, vo.custVID, vo.custAddrs = true, !present[v.Name], v.Parent, v.VID, addrs
		}
	}
	for _, l := range links {
		a := l.Attrs()
		if a.Name == "lo" || lagNames[a.Name] || vlanNames[a.Name] {
			continue
		}
		po := o.ports[a.Name]
		if po == nil {
			po = &portObs{device: ns.device}
			o.ports[a.Name] = po
		}
		isVeth := l.Type() == "veth"
		up := a.RawFlags&unix.IFF_UP != 0
		master := memberOf[a.Name]
		if aws {
			po.aws, po.awsUp, po.awsLAG, po.awsVeth = true, up, master, isVeth
		} else {
			po.cust, po.custUp, po.custLAG, po.custVeth = true, up, master, isVeth
		}
	}
	return nil
}

// globalAddrs are an interface's global addresses as CIDRs, sorted (IPv4
// first); nil when it has none or cannot be read.
func globalAddrs(ns *netNS, name string) []string {
	l, err := ns.h.LinkByName(name)
	if err != nil {
		return nil
	}
	addrs, err := ns.h.AddrList(l, netlink.FAMILY_ALL)
	if err != nil {
		return nil
	}
	var out []string
	for _, a := range addrs {
		if a.Scope == unix.RT_SCOPE_UNIVERSE {
			out = append(out, a.IPNet.String())
		}
	}
	slices.SortFunc(out, compareCIDRs)
	return out
}

// discover adopts what an earlier run left: the in-memory index follows the
// kernel (the AWS side decides).
func (d *DataPlane) discover(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	// A state with no record yet claims its namespaces at the first
	// Reconcile; until then none is adopted, and none is worth a warning.
	o, err := d.inventory(ctx, d.own.claim)
	if err != nil {
		return err
	}
	d.adopt(o)
	return nil
}

// adopt replaces the index with what was observed. d.mu is held.
func (d *DataPlane) adopt(o *observed) {
	clear(d.ports)
	clear(d.lags)
	clear(d.vlans)
	for id, l := range o.lags {
		if l.aws {
			d.lags[id] = &lag{id: id, device: l.device, minLinks: l.awsMinLinks}
		}
	}
	for id, p := range o.ports {
		if p.aws && p.awsVeth {
			d.ports[id] = &port{id: id, device: p.device, lag: p.awsLAG}
		}
	}
	for id, v := range o.vlans {
		if v.aws {
			d.vlans[id] = &vlan{device: v.device}
			d.vlans[id].spec.ID = id
			d.vlans[id].spec.ParentID = v.awsParent
			d.vlans[id].spec.VLAN = v.awsVID
			spec := &d.vlans[id].spec
			spec.AmazonAddress, spec.AmazonAddress2 = pick(v.amazonAddrs, 0), pick(v.amazonAddrs, 1)
			spec.CustomerAddress, spec.CustomerAddress2 = pick(v.custAddrs, 0), pick(v.custAddrs, 1)
		}
	}
}

// Status reads every object this data plane knows from the kernel: each
// port's carrier on both ends and, for LAG members, its LACP state; each
// LAG's carrier on both sides; each VLAN. An interface deleted since the data
// plane last made or reconciled it is reported missing, a LAG's as the zero
// LAGStatus.
func (d *DataPlane) Status(ctx context.Context) (Status, error) {
	if err := checkCtx(ctx); err != nil {
		return Status{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	st := Status{Backend: d.be.Name(), LinkResyncs: d.LinkResyncs()}
	type sideView struct {
		links   map[string]netlink.Link
		members map[string]backend.MemberStatus
		lags    map[string]backend.LAGStatus
	}
	views := map[*netNS]*sideView{}
	view := func(ns *netNS) (*sideView, error) {
		if v, ok := views[ns]; ok {
			return v, nil
		}
		links, err := ns.h.LinkList()
		if err != nil {
			return nil, fmt.Errorf("listing links in %s: %w", ns.name, err)
		}
		lags, err := d.be.LAGs(ctx, ns.bk)
		if err != nil {
			return nil, err
		}
		v := &sideView{links: map[string]netlink.Link{}, members: map[string]backend.MemberStatus{}, lags: map[string]backend.LAGStatus{}}
		for _, l := range links {
			v.links[l.Attrs().Name] = l
		}
		for _, l := range lags {
			v.lags[l.Name] = l
			for _, m := range l.Members {
				v.members[m.Name] = m
			}
		}
		views[ns] = v
		return v, nil
	}
	// sides is a device's two views: the DX endpoint's and the customer
	// router's.
	sides := func(dev *device) (aws, cust *sideView, err error) {
		if aws, err = view(dev.aws); err != nil {
			return nil, nil, err
		}
		cust, err = view(dev.cust)
		return aws, cust, err
	}
	up := func(v *sideView, name string) bool {
		l, ok := v.links[name]
		return ok && backend.Carrier(l.Attrs())
	}
	missing := func(v *sideView, name string) bool {
		_, ok := v.links[name]
		return !ok
	}
	// lagSide is a LAG's status on one side: none when its interface is
	// gone, though a userspace engine still has it.
	lagSide := func(v *sideView, name string) backend.LAGStatus {
		if missing(v, name) {
			return backend.LAGStatus{}
		}
		return v.lags[name]
	}
	for _, id := range sortedKeys(d.ports) {
		pt := d.ports[id]
		dev := d.devices[pt.device]
		av, cv, err := sides(dev)
		if err != nil {
			return st, err
		}
		ps := PortStatus{ConnectionID: id, DeviceID: pt.device, LAGID: pt.lag, AWSUp: up(av, id), CustomerUp: up(cv, id),
			AWSMissing: missing(av, id), CustomerMissing: missing(cv, id)}
		if m, ok := av.members[id]; ok {
			ps.AWSLACP = &m
		}
		if m, ok := cv.members[id]; ok {
			ps.CustomerLACP = &m
		}
		st.Ports = append(st.Ports, ps)
	}
	for _, id := range sortedKeys(d.lags) {
		lg := d.lags[id]
		dev := d.devices[lg.device]
		av, cv, err := sides(dev)
		if err != nil {
			return st, err
		}
		st.LAGs = append(st.LAGs, LAGSideStatus{LAGID: id, DeviceID: lg.device, AWS: lagSide(av, id), Customer: lagSide(cv, id)})
	}
	for _, id := range sortedKeys(d.vlans) {
		v := d.vlans[id]
		dev := d.devices[v.device]
		av, err := view(dev.aws)
		if err != nil {
			return st, err
		}
		cv, err := view(dev.cust)
		if err != nil {
			return st, err
		}
		st.VLANs = append(st.VLANs, VLANStatus{ID: id, Parent: v.spec.ParentID, VLAN: v.spec.VLAN, AWSUp: up(av, id), CustomerUp: up(cv, id),
			AWSMissing: missing(av, id), CustomerMissing: missing(cv, id)})
	}
	sort.Slice(st.LAGs, func(i, j int) bool { return st.LAGs[i].LAGID < st.LAGs[j].LAGID })
	return st, nil
}
