package topology

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology/backend"
)

// CreateLAG makes a LAG's logical interface on the device and its match on
// the customer router, each with the side's own system MAC, no members.
func (d *DataPlane) CreateLAG(ctx context.Context, l sim.LAGSpec) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	if err := checkIfName(l.LAGID); err != nil {
		return fmt.Errorf("create LAG: %w", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.createLAG(ctx, l)
}

func (d *DataPlane) createLAG(ctx context.Context, l sim.LAGSpec) error {
	if lg, ok := d.lags[l.LAGID]; ok {
		if lg.device != l.DeviceID {
			return fmt.Errorf("create LAG %s on %s: it exists on device %s", l.LAGID, l.DeviceID, lg.device)
		}
		if lg.minLinks == l.MinLinks {
			return nil
		}
		return d.setMinLinks(ctx, lg, l.MinLinks)
	}
	dev, err := d.device(l.DeviceID, true)
	if err != nil {
		return fmt.Errorf("create LAG %s: %w", l.LAGID, err)
	}
	// Each side on its own goroutine: the namespaces are independent, and
	// their round trips overlap. The interfaces are born layer 2 only.
	var awsErr, custErr error
	if err := withL2Defaults(d.log, []*netNS{dev.aws, dev.cust}, func() error {
		var wg sync.WaitGroup
		wg.Go(func() {
			awsErr = d.be.CreateLAG(ctx, dev.aws.bk, backend.LAGConfig{
				Name: l.LAGID, MinLinks: l.MinLinks, SystemMAC: systemMAC(roleDevice, l.DeviceID),
			})
		})
		wg.Go(func() {
			custErr = d.be.CreateLAG(ctx, dev.cust.bk, backend.LAGConfig{
				Name: l.LAGID, MinLinks: l.MinLinks, SystemMAC: systemMAC(roleRouter, l.DeviceID),
			})
		})
		wg.Wait()
		return nil
	}); err != nil {
		return fmt.Errorf("create LAG %s: %w", l.LAGID, err)
	}
	if awsErr != nil || custErr != nil {
		// Remove the side that was made.
		for _, side := range []struct {
			ns  *netNS
			err error
		}{{dev.aws, awsErr}, {dev.cust, custErr}} {
			if side.err != nil {
				continue
			}
			if derr := d.be.DeleteLAG(ctx, side.ns.bk, l.LAGID); derr != nil {
				d.log.Warn("removing half-made LAG", "lag", l.LAGID, "ns", side.ns.name, "err", derr)
			}
		}
		if awsErr != nil {
			return fmt.Errorf("create LAG: %w", awsErr)
		}
		return fmt.Errorf("create LAG: customer side: %w", custErr)
	}
	d.lags[l.LAGID] = &lag{id: l.LAGID, device: l.DeviceID, minLinks: l.MinLinks}
	return nil
}

// DeleteLAG removes the LAG's interfaces on both sides. Its members become
// standalone ports, up; VLANs on it go with it. Deleting an unknown LAG is
// not an error.
func (d *DataPlane) DeleteLAG(ctx context.Context, lagID string) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	lg, ok := d.lags[lagID]
	if !ok {
		return nil
	}
	dev, err := d.device(lg.device, false)
	if err != nil {
		return fmt.Errorf("delete LAG %s: %w", lagID, err)
	}
	if err := dev.both(func(ns *netNS) error { return d.be.DeleteLAG(ctx, ns.bk, lagID) }); err != nil {
		return fmt.Errorf("delete LAG: %w", err)
	}
	delete(d.lags, lagID)
	d.forgetVLANsOn(lagID)
	var errs []error
	for _, pt := range d.ports {
		if pt.lag != lagID {
			continue
		}
		pt.lag = ""
		errs = append(errs, setUp(dev.aws, pt.id, true), setUp(dev.cust, pt.id, true))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("delete LAG %s: restoring former members: %w", lagID, err)
	}
	return nil
}

// SetMinLinks sets how many active members the LAG needs to have carrier,
// on both sides.
func (d *DataPlane) SetMinLinks(ctx context.Context, lagID string, n int) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	if n < 0 {
		return fmt.Errorf("set min links of %s: %d is negative", lagID, n)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	lg, ok := d.lags[lagID]
	if !ok {
		return fmt.Errorf("set min links: %w", &backend.NotFoundError{Kind: "LAG", ID: lagID})
	}
	return d.setMinLinks(ctx, lg, n)
}

func (d *DataPlane) setMinLinks(ctx context.Context, lg *lag, n int) error {
	dev, err := d.device(lg.device, false)
	if err != nil {
		return fmt.Errorf("set min links of %s: %w", lg.id, err)
	}
	if err := dev.both(func(ns *netNS) error { return d.be.SetMinLinks(ctx, ns.bk, lg.id, n) }); err != nil {
		return fmt.Errorf("set min links: %w", err)
	}
	lg.minLinks = n
	return nil
}

// CreateVLAN makes a VIF's (or hosted connection's) 802.1Q interface on its
// parent port or LAG, on both sides, named after it, with the Amazon address
// on the device's side and the customer address on the router's.
func (d *DataPlane) CreateVLAN(ctx context.Context, v sim.VLANSpec) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	if err := checkIfName(v.ID); err != nil {
		return fmt.Errorf("create VLAN: %w", err)
	}
	if v.VLAN < 1 || v.VLAN > 4094 {
		return fmt.Errorf("create VLAN %s: VLAN %d is outside 1-4094", v.ID, v.VLAN)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.createVLAN(ctx, v)
}

func (d *DataPlane) createVLAN(ctx context.Context, v sim.VLANSpec) error {
	if old, ok := d.vlans[v.ID]; ok && old.spec == v {
		return nil
	} else if ok && old.spec.ParentID == v.ParentID && old.spec.VLAN == v.VLAN {
		// Made before, with other addresses (a crash between a peer's
		// commit and its effect): set them.
		dev, err := d.device(old.device, false)
		if err != nil {
			return fmt.Errorf("create VLAN %s: %w", v.ID, err)
		}
		return d.setVLANAddrs(dev, v, old)
	} else if ok {
		return fmt.Errorf("create VLAN %s: it exists as %+v", v.ID, old.spec)
	}
	devID, err := d.parentDevice(v.ParentID)
	if err != nil {
		return fmt.Errorf("create VLAN %s: %w", v.ID, err)
	}
	dev, err := d.device(devID, false)
	if err != nil {
		return fmt.Errorf("create VLAN %s: %w", v.ID, err)
	}
	cfg := backend.VLANConfig{Name: v.ID, Parent: v.ParentID, VID: v.VLAN}
	err = dev.both(func(ns *netNS) error { return d.be.CreateVLAN(ctx, ns.bk, cfg) })
	if err == nil {
		err = setAddrs(dev.aws, v.ID, v.Amazon())
	}
	if err == nil {
		err = setAddrs(dev.cust, v.ID, v.Customer())
	}
	if err != nil {
		for _, ns := range []*netNS{dev.aws, dev.cust} {
			if derr := d.be.DeleteVLAN(ctx, ns.bk, v.ID); derr != nil {
				d.log.Warn("removing half-made VLAN", "vlan", v.ID, "ns", ns.name, "err", derr)
			}
		}
		return fmt.Errorf("create VLAN: %w", err)
	}
	d.vlans[v.ID] = &vlan{spec: v, device: devID}
	return nil
}

// MoveVLAN moves a VLAN to another parent on the same device, on both
// sides, keeping its addresses.
func (d *DataPlane) MoveVLAN(ctx context.Context, id, newParentID string) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	v, ok := d.vlans[id]
	if !ok {
		return fmt.Errorf("move VLAN: %w", &backend.NotFoundError{Kind: "VLAN", ID: id})
	}
	if v.spec.ParentID == newParentID {
		return nil
	}
	devID, err := d.parentDevice(newParentID)
	if err != nil {
		return fmt.Errorf("move VLAN %s: %w", id, err)
	}
	if devID != v.device {
		return fmt.Errorf("move VLAN %s to %s: the new parent is on device %s, the VLAN on %s", id, newParentID, devID, v.device)
	}
	dev, err := d.device(devID, false)
	if err != nil {
		return fmt.Errorf("move VLAN %s: %w", id, err)
	}
	spec := v.spec
	spec.ParentID = newParentID
	cfg := backend.VLANConfig{Name: id, Parent: newParentID, VID: spec.VLAN}
	if err := dev.both(func(ns *netNS) error { return d.be.MoveVLAN(ctx, ns.bk, cfg) }); err != nil {
		return fmt.Errorf("move VLAN: %w", err)
	}
	v.spec = spec
	if err := d.setVLANAddrs(dev, spec, v); err != nil {
		return fmt.Errorf("move VLAN: %w", err)
	}
	return nil
}

// DeleteVLAN removes a VLAN on both sides. Deleting an unknown VLAN is not
// an error.
func (d *DataPlane) DeleteVLAN(ctx context.Context, id string) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	v, ok := d.vlans[id]
	if !ok {
		return nil
	}
	dev, err := d.device(v.device, false)
	if err != nil {
		return fmt.Errorf("delete VLAN %s: %w", id, err)
	}
	if err := dev.both(func(ns *netNS) error { return d.be.DeleteVLAN(ctx, ns.bk, id) }); err != nil {
		return fmt.Errorf("delete VLAN: %w", err)
	}
	delete(d.vlans, id)
	return nil
}

// parentDevice finds the device of a VLAN's parent: a port or a LAG.
func (d *DataPlane) parentDevice(parent string) (string, error) {
	if pt, ok := d.ports[parent]; ok {
		return pt.device, nil
	}
	if lg, ok := d.lags[parent]; ok {
		return lg.device, nil
	}
	return "", &backend.NotFoundError{Kind: "port or LAG", ID: parent}
}
