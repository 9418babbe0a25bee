package topology

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology/backend"
)

// Training faults on ports (sim/fault.go): each side of a connection's veth
// pair may have a link fault (its end held down, flapping, or a netem qdisc
// losing or delaying what it sends) and, while the port is a LAG member,
// an LACP fault (the backend's: the userspace engine's fault knobs). The
// data plane keeps each port's faults and puts them back after whatever
// would undo them: a move (which brings the port up), a Reconcile.

var _ sim.FaultChecker = (*DataPlane)(nil)

// sideKey names one side of one port.
type sideKey struct{ port, side string }

// CheckFault says whether this data plane can apply a fault: LACP faults
// need a backend that breaks LACP, loss and delay the kernel's netem or a
// backend that impairs ports itself (impair_linux.go).
func (d *DataPlane) CheckFault(f sim.FaultSpec) error {
	switch {
	case f.LACP != "":
		fl, ok := d.be.(backend.LACPFaulter)
		if !ok {
			return &UnsupportedError{Backend: d.be.Name(), Op: "set LACP faults", Reason: "its LAGs have no fault knobs"}
		}
		return fl.CheckLACPFault(lacpFault(&sim.Fault{FaultSpec: f}))
	case f.Link == "loss" || f.Link == "delay":
		return d.lossDelayErr()
	}
	return nil
}

// NetemError says why this kernel cannot make netem qdiscs (nil when it
// can), asked once, in a throwaway namespace.
func NetemError() error { return netemProbe() }

var netemProbe = sync.OnceValue(probeNetem)

func (d *DataPlane) netemErr() error {
	if err := NetemError(); err != nil {
		return &UnsupportedError{Backend: d.be.Name(), Op: "lose or delay frames", Reason: "this kernel has no netem qdisc (sch_netem): " + err.Error()}
	}
	return nil
}

func probeNetem() error {
	ns, err := openOrCreateNS(fmt.Sprintf("%s-probe-netem-%d", DefaultPrefix, unix.Getpid()))
	if err != nil {
		return err
	}
	defer func() {
		ns.close()
		_ = deleteNS(ns.name)
	}()
	lo, err := ns.h.LinkByName("lo")
	if err != nil {
		return err
	}
	return ns.h.QdiscAdd(netemQdisc(lo.Attrs().Index, &sim.Fault{FaultSpec: sim.FaultSpec{Loss: 1}}))
}

// SetFaults gives a port exactly these faults, both sides.
func (d *DataPlane) SetFaults(ctx context.Context, connectionID string, faults []sim.Fault) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	pt, ok := d.ports[connectionID]
	if !ok {
		return fmt.Errorf("set faults: %w", &backend.NotFoundError{Kind: "connection", ID: connectionID})
	}
	if len(faults) == 0 {
		delete(d.faults, connectionID)
	} else {
		d.faults[connectionID] = slices.Clone(faults)
	}
	return d.applyFaults(ctx, pt, false)
}

// portFault returns a port's fault of a class on one side, or nil. d.mu is
// held.
func (d *DataPlane) portFault(port, side, class string) *sim.Fault {
	for i, f := range d.faults[port] {
		if f.Side == side && f.Class() == class {
			return &d.faults[port][i]
		}
	}
	return nil
}

// heldDown reports whether a fault holds a side of a port down (or flaps
// it), so that nothing brings it up. d.mu is held.
func (d *DataPlane) heldDown(port, side string) bool {
	f := d.portFault(port, side, sim.FaultLink)
	return f != nil && (f.Link == "down" || f.Link == "flap")
}

// applied is what was last put on one side of a port: its link fault,
// and its LACP fault with the LAG it was put in.
type applied struct {
	link, lacp *sim.Fault
	lag        string
}

// applyFaults puts a port's faults on both its ends, and takes off what a
// cleared fault left, where they differ from what was last put there, or
// everywhere when force (after a move, a repair: what was put there may
// be gone). d.mu is held.
func (d *DataPlane) applyFaults(ctx context.Context, pt *port, force bool) error {
	dev, err := d.device(pt.device, false)
	if err != nil {
		return err
	}
	var errs []error
	for _, s := range []struct {
		side string
		ns   *netNS
	}{{sim.FaultSideAWS, dev.aws}, {sim.FaultSideCustomer, dev.cust}} {
		key := sideKey{pt.id, s.side}
		was := d.applied[key]
		now := applied{link: d.portFault(pt.id, s.side, sim.FaultLink), lacp: d.portFault(pt.id, s.side, sim.FaultLACP), lag: pt.lag}
		var err error
		if force || !sameFault(was.link, now.link) {
			err = d.applyLink(s.ns, pt.id, s.side, now.link)
			errs = append(errs, err)
		}
		// A port that left its LAG may still carry what its fault put on
		// its end (the kernel's filters): clearing clears it anyway.
		if force || !sameFault(was.lacp, now.lacp) || was.lag != now.lag {
			if pt.lag != "" || was.lacp != nil {
				errs = append(errs, d.applyLACP(ctx, s.ns, pt, now.lacp))
			}
		}
		if now.link == nil && now.lacp == nil {
			delete(d.applied, key)
		} else {
			d.applied[key] = now
		}
	}
	return errors.Join(errs...)
}

func sameFault(a, b *sim.Fault) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.FaultSpec == b.FaultSpec
}

// reapplyFaults puts a port's faults back after something that may have
// undone them (a move brings both ends up, and a LAG's new member has no
// LACP fault). d.mu is held.
func (d *DataPlane) reapplyFaults(ctx context.Context, pt *port) {
	if len(d.faults[pt.id]) == 0 {
		return
	}
	if err := d.applyFaults(ctx, pt, true); err != nil {
		d.log.Warn("putting a port's faults back", "connection", pt.id, "err", err)
	}
}

func lacpFault(f *sim.Fault) backend.LACPFault {
	if f == nil {
		return backend.LACPFault{}
	}
	switch f.LACP {
	case "silent":
		return backend.LACPFault{Silent: true}
	case "wrong-key":
		return backend.LACPFault{WrongKey: true, Key: f.Key}
	case "passive":
		return backend.LACPFault{Passive: true}
	case "slow":
		return backend.LACPFault{Slow: true}
	case "flap":
		return backend.LACPFault{FlapUp: time.Duration(f.FlapUp), FlapDown: time.Duration(f.FlapDown)}
	}
	return backend.LACPFault{}
}

func (d *DataPlane) applyLACP(ctx context.Context, ns *netNS, pt *port, f *sim.Fault) error {
	fl, ok := d.be.(backend.LACPFaulter)
	if !ok {
		if f == nil {
			return nil
		}
		return &UnsupportedError{Backend: d.be.Name(), Op: "set LACP faults", Reason: "its LAGs have no fault knobs"}
	}
	if err := fl.SetLACPFault(ctx, ns.bk, pt.lag, pt.id, lacpFault(f)); err != nil {
		return fmt.Errorf("LACP fault on %s in %s: %w", pt.id, ns.name, err)
	}
	return nil
}

// applyLink sets one end's link fault (nil: none): held down, flapping, or
// a netem qdisc. Clearing brings a held end up and removes the qdisc.
func (d *DataPlane) applyLink(ns *netNS, id, side string, f *sim.Fault) error {
	key := sideKey{id, side}
	if stop, ok := d.flaps[key]; ok {
		stop()
		delete(d.flaps, key)
	}
	mode := ""
	if f != nil {
		mode = f.Link
	}
	var errs []error
	if mode != "loss" && mode != "delay" {
		errs = append(errs, d.clearLossDelay(ns, id))
	}
	switch mode {
	case "down":
		errs = append(errs, setUp(ns, id, false))
	case "flap":
		d.flaps[key] = d.flap(ns, id, time.Duration(f.FlapUp), time.Duration(f.FlapDown))
	case "loss", "delay":
		errs = append(errs, setUp(ns, id, true), d.setLossDelay(ns, id, f))
	default:
		errs = append(errs, setUp(ns, id, true))
	}
	return errors.Join(errs...)
}

// flap takes an end down for down, then up for up, and again, until the
// returned stop is called (which waits for it to end).
func (d *DataPlane) flap(ns *netNS, id string, up, down time.Duration) (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		state := false
		for {
			if err := setUp(ns, id, state); err != nil {
				d.log.Warn("flapping a link", "connection", id, "ns", ns.name, "err", err)
			}
			wait := down
			if state {
				wait = up
			}
			select {
			case <-quit:
				return
			case <-d.stop:
				return
			case <-time.After(wait):
			}
			state = !state
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}

// stopFlaps stops a port's flapping ends. d.mu is held.
func (d *DataPlane) stopFlaps(id string) {
	for key, stop := range d.flaps {
		if key.port == id {
			stop()
			delete(d.flaps, key)
		}
	}
}

func netemQdisc(index int, f *sim.Fault) *netlink.Netem {
	attrs := netlink.QdiscAttrs{LinkIndex: index, Handle: netlink.MakeHandle(0xdc, 0), Parent: netlink.HANDLE_ROOT}
	return netlink.NewNetem(attrs, netlink.NetemQdiscAttrs{
		Latency: uint32(time.Duration(f.Delay) / time.Microsecond),
		Jitter:  uint32(time.Duration(f.Jitter) / time.Microsecond),
		Loss:    float32(math.Min(f.Loss, 100)),
	})
}

// setNetem puts (or replaces) a netem qdisc at the end's root.
func (d *DataPlane) setNetem(ns *netNS, id string, f *sim.Fault) error {
	if err := d.netemErr(); err != nil {
		return err
	}
	l, err := linkByName(ns, id)
	if err != nil {
		return err
	}
	if err := ns.h.QdiscReplace(netemQdisc(l.Attrs().Index, f)); err != nil {
		return fmt.Errorf("netem on %s in %s: %w", id, ns.name, err)
	}
	return nil
}

// clearNetem removes a netem qdisc at the end's root, if it has one.
func (d *DataPlane) clearNetem(ns *netNS, id string) error {
	l, err := linkByName(ns, id)
	if err != nil {
		return err
	}
	qs, err := ns.h.QdiscList(l)
	if err != nil {
		return fmt.Errorf("qdiscs of %s in %s: %w", id, ns.name, err)
	}
	for _, q := range qs {
		if q.Type() == "netem" && q.Attrs().Parent == netlink.HANDLE_ROOT {
			if err := ns.h.QdiscDel(q); err != nil {
				return fmt.Errorf("removing netem from %s in %s: %w", id, ns.name, err)
			}
		}
	}
	return nil
}
