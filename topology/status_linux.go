package topology

import (
	"context"
	"fmt"
	"sort"

	"github.com/vishvananda/netlink"
)

// Status reads every object this data plane knows from the kernel: each
// port's carrier on both ends and, for LAG members, its LACP state; each
// LAG's carrier on both sides; each VLAN.
func (d *DataPlane) Status(ctx context.Context) (Status, error) {
	if err := checkCtx(ctx); err != nil {
		return Status{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	st := Status{Backend: d.backend.Name(), LinkResyncs: d.LinkResyncs()}
	type sideView struct {
		links   map[string]netlink.Link
		members map[string]MemberStatus
		lags    map[string]LAGStatus
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
		lags, err := d.backend.LAGs(ctx, ns)
		if err != nil {
			return nil, err
		}
		v := &sideView{links: map[string]netlink.Link{}, members: map[string]MemberStatus{}, lags: map[string]LAGStatus{}}
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
		return ok && carrier(l.Attrs())
	}
	for _, id := range sortedKeys(d.ports) {
		pt := d.ports[id]
		dev := d.devices[pt.device]
		av, cv, err := sides(dev)
		if err != nil {
			return st, err
		}
		ps := PortStatus{ConnectionID: id, DeviceID: pt.device, LAGID: pt.lag, AWSUp: up(av, id), CustomerUp: up(cv, id)}
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
		st.LAGs = append(st.LAGs, LAGSideStatus{LAGID: id, DeviceID: lg.device, AWS: av.lags[id], Customer: cv.lags[id]})
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
		st.VLANs = append(st.VLANs, VLANStatus{ID: id, Parent: v.spec.ParentID, VLAN: v.spec.VLAN, AWSUp: up(av, id), CustomerUp: up(cv, id)})
	}
	sort.Slice(st.LAGs, func(i, j int) bool { return st.LAGs[i].LAGID < st.LAGs[j].LAGID })
	return st, nil
}
