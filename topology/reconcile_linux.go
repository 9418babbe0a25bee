package topology

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology/backend"
)

// Reconcile makes the kernel match the control plane's whole state: it reads
// every namespace with this prefix that is this data plane's (with
// Options.Ownership, those in its record: others are left alone, not
// adopted, and logged once), removes what the state does not hold,
// makes what is missing, and repairs what differs (a port down or released by
// hand, min links changed, a VLAN's address). It is idempotent: a second
// call on the same state finds nothing to do. It reports each fix.
func (d *DataPlane) Reconcile(ctx context.Context, s sim.Snapshot) ([]sim.Drift, error) {
	if err := checkCtx(ctx); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	want := index(s)
	if err := d.claimWanted(want); err != nil {
		return nil, fmt.Errorf("reconcile: %w", err)
	}
	o, err := d.inventory(ctx, false)
	if err != nil {
		return nil, fmt.Errorf("reconcile: %w", err)
	}
	d.adopt(o)
	if err := d.pruneRecord(want); err != nil {
		return nil, fmt.Errorf("reconcile: %w", err)
	}
	faulted := slices.Collect(maps.Keys(d.faults))
	clear(d.faults)
	for _, f := range s.Faults {
		d.faults[f.Connection] = append(d.faults[f.Connection], f)
	}
	r := &reconciler{d: d, o: o, want: want}
	for _, step := range []func(context.Context) error{
		r.removeUnexpected, r.makeLAGs, r.makePorts, r.makeVLANs,
	} {
		if err := step(ctx); err != nil {
			return r.drift, fmt.Errorf("reconcile: %w", err)
		}
	}
	r.putFaults(ctx, faulted)
	sort.SliceStable(r.drift, func(i, j int) bool { return r.drift[i].ObjectID < r.drift[j].ObjectID })
	return r.drift, nil
}

type wanted struct {
	devices map[string]bool
	ports   map[string]sim.PortSpec
	lags    map[string]sim.LAGSpec
	vlans   map[string]sim.VLANSpec
}

func index(s sim.Snapshot) wanted {
	w := wanted{devices: map[string]bool{}, ports: map[string]sim.PortSpec{}, lags: map[string]sim.LAGSpec{}, vlans: map[string]sim.VLANSpec{}}
	for _, p := range s.Ports {
		w.ports[p.ConnectionID] = p
		w.devices[p.DeviceID] = true
	}
	for _, l := range s.LAGs {
		w.lags[l.LAGID] = l
		w.devices[l.DeviceID] = true
	}
	for _, v := range s.VLANs {
		w.vlans[v.ID] = v
	}
	return w
}

type reconciler struct {
	d     *DataPlane
	o     *observed
	want  wanted
	drift []sim.Drift
}

func (r *reconciler) note(id, problem, action string) {
	r.drift = append(r.drift, sim.Drift{ObjectID: id, Problem: problem, Action: action})
	r.d.log.Info("reconcile", "object", id, "problem", problem, "action", action)
}

// removeUnexpected deletes what the state does not hold, and what is too
// different to repair in place, smallest first: VLANs, ports, LAGs, then
// whole devices.
func (r *reconciler) removeUnexpected(ctx context.Context) error {
	d := r.d
	for id, v := range r.o.vlans {
		w, ok := r.want.vlans[id]
		problem := ""
		switch {
		case !ok:
			problem = "unexpected"
		case v.awsGone || v.custGone:
			problem = goneProblem(v.awsGone, v.custGone)
		case !v.aws || !v.cust:
			problem = "half missing"
		case v.awsParent != w.ParentID || v.custParent != w.ParentID || v.awsVID != w.VLAN || v.custVID != w.VLAN:
			problem = fmt.Sprintf("VLAN %d on %s, want %d on %s", v.awsVID, v.awsParent, w.VLAN, w.ParentID)
		}
		if problem == "" {
			continue
		}
		dev := d.devices[v.device]
		if err := dev.both(func(ns *netNS) error { return d.be.DeleteVLAN(ctx, ns.bk, id) }); err != nil {
			return err
		}
		delete(d.vlans, id)
		if ok {
			r.note(id, problem, "deleted, to be recreated")
		} else {
			r.note(id, problem, "deleted")
		}
	}
	for id, p := range r.o.ports {
		w, ok := r.want.ports[id]
		problem := ""
		switch {
		case !ok:
			problem = "unexpected"
		case w.DeviceID != p.device:
			problem = "on device " + p.device + ", want " + w.DeviceID
		case !p.aws || !p.cust || !p.awsVeth || !p.custVeth:
			problem = "half missing"
		}
		if problem == "" {
			continue
		}
		dev := d.devices[p.device]
		if err := dev.both(func(ns *netNS) error { return delLink(ns, id) }); err != nil {
			return err
		}
		delete(d.ports, id)
		r.note(id, problem, "deleted")
	}
	for id, l := range r.o.lags {
		w, ok := r.want.lags[id]
		problem := ""
		switch {
		case !ok:
			problem = "unexpected"
		case w.DeviceID != l.device:
			problem = "on device " + l.device + ", want " + w.DeviceID
		case l.awsGone || l.custGone:
			problem = goneProblem(l.awsGone, l.custGone)
		}
		if problem == "" {
			continue
		}
		dev := d.devices[l.device]
		if err := dev.both(func(ns *netNS) error { return d.be.DeleteLAG(ctx, ns.bk, id) }); err != nil {
			return err
		}
		r.lagDeleted(id)
		if ok {
			r.note(id, problem, "deleted, to be recreated")
		} else {
			r.note(id, problem, "deleted")
		}
	}
	for id, dev := range d.devices {
		if r.want.devices[id] {
			continue
		}
		dev.unwatch()
		d.release(map[string]*device{id: dev})
		delete(d.devices, id)
		for _, name := range []string{dev.aws.name, dev.cust.name} {
			if err := deleteNS(name); err != nil {
				return err
			}
			if err := d.forget(name); err != nil {
				return err
			}
			r.note(name, "unexpected namespace", "deleted")
		}
	}
	return nil
}

// goneProblem says on which sides a LAG's or VLAN's interface is gone while
// the backend still has it: a userspace TAP deleted by hand.
func goneProblem(aws, cust bool) string {
	switch {
	case aws && cust:
		return "interface gone on both sides"
	case aws:
		return "interface gone on the AWS side"
	}
	return "interface gone on the customer side"
}

// lagDeleted forgets a LAG removeUnexpected deleted, and what went with it:
// its members are released, on both sides, and its VLANs deleted. What the
// state still holds of them is made again by the steps after.
func (r *reconciler) lagDeleted(id string) {
	d := r.d
	delete(d.lags, id)
	delete(r.o.lags, id)
	for _, pt := range d.ports {
		if pt.lag == id {
			pt.lag = ""
		}
	}
	for _, p := range r.o.ports {
		if p.awsLAG == id {
			p.awsLAG = ""
		}
		if p.custLAG == id {
			p.custLAG = ""
		}
	}
	for vid, v := range d.vlans {
		if v.spec.ParentID == id {
			delete(d.vlans, vid)
		}
	}
}

func (r *reconciler) makeLAGs(ctx context.Context) error {
	// The missing LAGs' devices are made first, so that their interfaces
	// are all made under one change of each namespace's defaults.
	var nss []*netNS
	seenDev := map[string]bool{}
	for _, id := range sortedKeys(r.want.lags) {
		w := r.want.lags[id]
		if l, seen := r.o.lags[id]; (seen && l.aws && l.cust) || seenDev[w.DeviceID] {
			continue
		}
		dev, err := r.d.device(w.DeviceID, true)
		if err != nil {
			return fmt.Errorf("create LAG %s: %w", id, err)
		}
		seenDev[w.DeviceID] = true
		nss = append(nss, dev.aws, dev.cust)
	}
	return withL2Defaults(r.d.log, nss, func() error {
		for _, id := range sortedKeys(r.want.lags) {
			w := r.want.lags[id]
			l, seen := r.o.lags[id]
			switch {
			case !seen || !l.aws || !l.cust:
				delete(r.d.lags, id) // createLAG makes both sides; each is idempotent
				if err := r.d.createLAG(ctx, w); err != nil {
					return err
				}
				r.note(id, "missing", "created")
			case l.awsMinLinks != w.MinLinks || l.custMinLinks != w.MinLinks:
				if err := r.d.setMinLinks(ctx, r.d.lags[id], w.MinLinks); err != nil {
					return err
				}
				r.note(id, fmt.Sprintf("min links %d, want %d", l.awsMinLinks, w.MinLinks), "set")
			}
		}
		return nil
	})
}

func (r *reconciler) makePorts(ctx context.Context) error {
	d := r.d
	made, err := r.makeMissingPorts(ctx)
	if err != nil {
		return err
	}
	for _, id := range sortedKeys(r.want.ports) {
		w := r.want.ports[id]
		pt, ok := d.ports[id]
		if made[id] {
			if err := d.setMembership(ctx, pt, w.LAGID); err != nil {
				return err
			}
			continue
		}
		if !ok {
			if err := d.createPort(ctx, w); err != nil {
				return err
			}
			r.note(id, "missing", "created")
			continue
		}
		p := r.o.ports[id]
		if p.awsLAG != p.custLAG || p.awsLAG != w.LAGID {
			// Release whatever each side holds, then enslave as wanted, so
			// the two sides agree again.
			dev := d.devices[pt.device]
			for _, side := range []struct {
				ns  *netNS
				lag string
			}{{dev.aws, p.awsLAG}, {dev.cust, p.custLAG}} {
				if side.lag == "" {
					continue
				}
				if err := setUp(side.ns, id, false); err != nil {
					return err
				}
				if err := d.be.RemoveMember(ctx, side.ns.bk, side.lag, id); err != nil {
					return err
				}
			}
			pt.lag = ""
			if err := d.setMembership(ctx, pt, w.LAGID); err != nil {
				return err
			}
			// Releasing took the ends down; a move brings them up, staying
			// standalone does not.
			if err := dev.both(func(ns *netNS) error { return setUp(ns, id, true) }); err != nil {
				return err
			}
			p.awsUp, p.custUp = true, true
			r.note(id, fmt.Sprintf("member of %q (customer side %q), want %q", p.awsLAG, p.custLAG, w.LAGID), "re-enslaved")
		}
		awsDown := !p.awsUp && !d.heldDown(id, sim.FaultSideAWS)
		custDown := !p.custUp && !d.heldDown(id, sim.FaultSideCustomer)
		if awsDown || custDown {
			dev := d.devices[pt.device]
			for _, side := range []struct {
				down bool
				ns   *netNS
			}{{awsDown, dev.aws}, {custDown, dev.cust}} {
				if !side.down {
					continue
				}
				if err := setUp(side.ns, id, true); err != nil {
					return err
				}
			}
			r.note(id, "down", "brought up")
		}
	}
	return nil
}

// makeMissingPorts makes the missing ports' veth pairs device by device in
// pipelined batches (a lab of a thousand ports is built in the time of a few
// hundred round trips). A port that is to be a LAG member is made down,
// enslaved on both sides and then brought up, rather than made up and
// bounced. A port the batch could not make is left to the one-by-one path,
// which reports why.
func (r *reconciler) makeMissingPorts(ctx context.Context) (map[string]bool, error) {
	d := r.d
	type batch struct{ standalone, members []string }
	byDevice := map[string]*batch{}
	for _, id := range sortedKeys(r.want.ports) {
		if _, ok := d.ports[id]; ok {
			continue
		}
		if err := checkIfName(id); err != nil {
			return nil, fmt.Errorf("port: %w", err)
		}
		w := r.want.ports[id]
		b := byDevice[w.DeviceID]
		if b == nil {
			b = &batch{}
			byDevice[w.DeviceID] = b
		}
		if lg, ok := d.lags[w.LAGID]; ok && lg.device == w.DeviceID {
			b.members = append(b.members, id)
		} else {
			b.standalone = append(b.standalone, id) // setMembership reports a bad LAG
		}
	}
	made := map[string]bool{}
	for _, devID := range sortedKeys(byDevice) {
		b := byDevice[devID]
		dev, err := d.device(devID, true)
		if err != nil {
			return made, err
		}
		for i, err := range addVeths(d.log, dev.aws, dev.cust, b.standalone, true) {
			if err != nil {
				d.log.Debug("batch port creation", "connection", b.standalone[i], "err", err)
				continue
			}
			d.ports[b.standalone[i]] = &port{id: b.standalone[i], device: devID}
			made[b.standalone[i]] = true
			r.note(b.standalone[i], "missing", "created")
		}
		if err := r.makeMembers(ctx, dev, b.members, made); err != nil {
			return made, err
		}
		if err := checkCtx(ctx); err != nil {
			return made, err
		}
	}
	return made, nil
}

// makeMembers makes LAG members, enslaves each on both sides, and brings
// them up: made down and brought up once enslaved, or, for a backend that
// takes members up (MembersUpFirst), made up. If an enslave fails, the
// members not yet enslaved are deleted, not left standalone.
func (r *reconciler) makeMembers(ctx context.Context, dev *device, ids []string, made map[string]bool) error {
	d := r.d
	_, upFirst := d.be.(backend.UpFirst)
	var pending []string
	for i, err := range addVeths(d.log, dev.aws, dev.cust, ids, upFirst) {
		if err != nil {
			d.log.Debug("batch port creation", "connection", ids[i], "err", err)
			continue
		}
		pending = append(pending, ids[i])
	}
	ms := make([]backend.Membership, len(pending))
	for i, id := range pending {
		ms[i] = backend.Membership{LAG: r.want.ports[id].LAGID, Port: id}
	}
	// The two sides are independent namespaces: each enslaves its ends on
	// its own goroutine, so that their round trips overlap.
	var aws, cust enslaved
	var wg sync.WaitGroup
	wg.Go(func() { aws = enslave(ctx, d.be, dev.aws, ms) })
	wg.Go(func() { cust = enslave(ctx, d.be, dev.cust, ms) })
	wg.Wait()
	failed := aws
	if cust.n < failed.n {
		failed = cust
	}
	if failed.err == nil {
		return r.upMembers(dev, pending, made, !upFirst)
	}
	// Members from the first that failed on either side on are given up:
	// released where they were enslaved, then deleted.
	for _, gone := range pending[failed.n:] {
		lagID := r.want.ports[gone].LAGID
		for _, ns := range []*netNS{dev.aws, dev.cust} {
			if rerr := d.be.RemoveMember(ctx, ns.bk, lagID, gone); rerr != nil {
				d.log.Warn("releasing half-made port", "connection", gone, "ns", ns.name, "err", rerr)
			}
		}
		if derr := delLink(dev.aws, gone); derr != nil {
			d.log.Warn("removing half-made port", "connection", gone, "err", derr)
		}
	}
	id := pending[failed.n]
	if uerr := r.upMembers(dev, pending[:failed.n], made, !upFirst); uerr != nil {
		d.log.Warn("bringing up LAG members", "err", uerr)
	}
	return fmt.Errorf("create port %s in %s: %w", id, r.want.ports[id].LAGID, failed.err)
}

// enslaved is how far one side's enslaving went: n members, then err.
type enslaved struct {
	n   int
	err error
}

// enslave makes each of ms a member of its LAG in ns, in order, and stops
// at the first failure.
func enslave(ctx context.Context, b backend.Backend, ns *netNS, ms []backend.Membership) enslaved {
	n, err := b.AddMembers(ctx, ns.bk, ms)
	return enslaved{n: n, err: err}
}

// upMembers records made members as ports and, if bringUp, brings them up
// on both sides.
func (r *reconciler) upMembers(dev *device, ids []string, made map[string]bool, bringUp bool) error {
	d := r.d
	for _, id := range ids {
		d.ports[id] = &port{id: id, device: dev.id, lag: r.want.ports[id].LAGID}
		made[id] = true
		r.note(id, "missing", "created")
	}
	if len(ids) == 0 || !bringUp {
		return nil
	}
	// Each side on its own goroutine, as the enslaving.
	var awsErr, custErr error
	var wg sync.WaitGroup
	wg.Go(func() { awsErr = upAll(dev.aws, ids) })
	wg.Go(func() { custErr = upAll(dev.cust, ids) })
	wg.Wait()
	return errors.Join(awsErr, custErr)
}

func (r *reconciler) makeVLANs(ctx context.Context) error {
	d := r.d
	for _, id := range sortedKeys(r.want.vlans) {
		w := r.want.vlans[id]
		v, ok := d.vlans[id]
		if !ok {
			if err := d.createVLAN(ctx, w); err != nil {
				return err
			}
			r.note(id, "missing", "created")
			continue
		}
		if sameAddrs(v.spec.Amazon(), w.Amazon()) && sameAddrs(v.spec.Customer(), w.Customer()) {
			v.spec = w
			continue
		}
		if err := d.setVLANAddrs(d.devices[v.device], w, v); err != nil {
			return err
		}
		r.note(id, "addresses differ", "set")
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// putFaults puts the wanted faults on their ports where they are not
// already, and clears those of the ports that had faults before (faulted)
// and have none now. A fault that
// cannot be put back is logged: the links themselves are reconciled.
func (r *reconciler) putFaults(ctx context.Context, faulted []string) {
	d := r.d
	for _, id := range sortedKeys(d.ports) {
		pt := d.ports[id]
		if len(d.faults[id]) == 0 && !slices.Contains(faulted, id) {
			continue
		}
		// What this reconcile repaired may have lost what its faults had
		// put on it (a port made again, re-enslaved).
		repaired := slices.ContainsFunc(r.drift, func(dr sim.Drift) bool { return dr.ObjectID == id || (pt.lag != "" && dr.ObjectID == pt.lag) })
		if err := d.applyFaults(ctx, pt, repaired); err != nil {
			d.log.Warn("reconcile: setting a port's faults", "connection", id, "err", err)
		}
	}
}
