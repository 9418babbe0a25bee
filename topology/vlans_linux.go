package topology

import (
	"context"
	"fmt"

	"github.com/vishvananda/netlink"

	"github.com/dxsim/dxsim/sim"
)

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
	cfg := vlanConfig{Name: v.ID, Parent: v.ParentID, VID: v.VLAN}
	err = dev.both(func(ns *netNS) error { return d.backend.CreateVLAN(ctx, ns, cfg) })
	if err == nil {
		err = d.setVLANAddrs(dev, v)
	}
	if err != nil {
		for _, ns := range []*netNS{dev.aws, dev.cust} {
			if derr := d.backend.DeleteVLAN(ctx, ns, v.ID); derr != nil {
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
		return fmt.Errorf("move VLAN: %w", &NotFoundError{Kind: "VLAN", ID: id})
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
	cfg := vlanConfig{Name: id, Parent: newParentID, VID: spec.VLAN}
	if err := dev.both(func(ns *netNS) error { return d.backend.MoveVLAN(ctx, ns, cfg) }); err != nil {
		return fmt.Errorf("move VLAN: %w", err)
	}
	v.spec = spec
	if err := d.setVLANAddrs(dev, spec); err != nil {
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
	if err := dev.both(func(ns *netNS) error { return d.backend.DeleteVLAN(ctx, ns, id) }); err != nil {
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
	return "", &NotFoundError{Kind: "port or LAG", ID: parent}
}

func (d *DataPlane) setVLANAddrs(dev *device, v sim.VLANSpec) error {
	if err := setAddr(dev.aws, v.ID, v.AmazonAddress); err != nil {
		return err
	}
	return setAddr(dev.cust, v.ID, v.CustomerAddress)
}

// setAddr puts a CIDR address on an interface; "" puts none.
func setAddr(ns *netNS, ifname, cidr string) error {
	if cidr == "" {
		return nil
	}
	a, err := netlink.ParseAddr(cidr)
	if err != nil {
		return fmt.Errorf("address %q for %s: %w", cidr, ifname, err)
	}
	l, err := linkByName(ns, ifname)
	if err != nil {
		return err
	}
	if err := ns.h.AddrReplace(l, a); err != nil {
		return fmt.Errorf("address %s on %s in %s: %w", cidr, ifname, ns.name, err)
	}
	return nil
}
