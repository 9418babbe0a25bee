package topology

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/dxsim/dxsim/sim"
)

// CreatePort makes a connection's veth pair between its device's namespace
// and the customer router's, both ends named after the connection and up,
// and enslaves it when the spec names a LAG. Creating a port that exists
// brings it to the spec.
func (d *DataPlane) CreatePort(ctx context.Context, p sim.PortSpec) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	if err := checkIfName(p.ConnectionID); err != nil {
		return fmt.Errorf("create port: %w", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.createPort(ctx, p)
}

func (d *DataPlane) createPort(ctx context.Context, p sim.PortSpec) error {
	if pt, ok := d.ports[p.ConnectionID]; ok {
		if pt.device != p.DeviceID {
			return fmt.Errorf("create port %s on %s: it exists on device %s", p.ConnectionID, p.DeviceID, pt.device)
		}
		return d.setMembership(ctx, pt, p.LAGID)
	}
	if p.LAGID != "" {
		lg, ok := d.lags[p.LAGID]
		if !ok {
			return fmt.Errorf("create port %s: %w", p.ConnectionID, &NotFoundError{Kind: "LAG", ID: p.LAGID})
		}
		if lg.device != p.DeviceID {
			return fmt.Errorf("create port %s on %s: LAG %s is on device %s", p.ConnectionID, p.DeviceID, p.LAGID, lg.device)
		}
	}
	dev, err := d.device(p.DeviceID, true)
	if err != nil {
		return fmt.Errorf("create port %s: %w", p.ConnectionID, err)
	}
	if err := addVeth(d.log, dev.aws, dev.cust, p.ConnectionID); err != nil {
		if !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("create port: %w", err)
		}
		// Left by an earlier run or made by hand: adopt it if it is whole.
		if err := d.adoptPort(dev, p.ConnectionID); err != nil {
			return fmt.Errorf("create port: %w", err)
		}
	}
	pt := &port{id: p.ConnectionID, device: p.DeviceID}
	d.ports[p.ConnectionID] = pt
	if p.LAGID == "" {
		return nil
	}
	if err := d.setMembership(ctx, pt, p.LAGID); err != nil {
		// Half-made: remove the pair rather than leave a standalone port the
		// control plane believes is a member.
		delete(d.ports, p.ConnectionID)
		if derr := delLink(dev.aws, p.ConnectionID); derr != nil {
			d.log.Warn("removing half-made port", "connection", p.ConnectionID, "err", derr)
		}
		return fmt.Errorf("create port %s: %w", p.ConnectionID, err)
	}
	return nil
}

// adoptPort accepts an existing interface as the port if both ends are
// there, and brings them up; otherwise it replaces what is there.
func (d *DataPlane) adoptPort(dev *device, id string) error {
	_, aerr := linkByName(dev.aws, id)
	_, cerr := linkByName(dev.cust, id)
	if aerr == nil && cerr == nil {
		if err := setUp(dev.aws, id, true); err != nil {
			return err
		}
		return setUp(dev.cust, id, true)
	}
	for _, ns := range []*netNS{dev.aws, dev.cust} {
		if err := delLink(ns, id); err != nil {
			return err
		}
	}
	return addVeth(d.log, dev.aws, dev.cust, id)
}

// setMembership moves a port into lagID ("" for standalone) with the
// down-change-up sequence, if it is not there already.
func (d *DataPlane) setMembership(ctx context.Context, pt *port, lagID string) error {
	if pt.lag == lagID {
		return nil
	}
	// Not an operation's interruption: a port made or repaired into its
	// place.
	m := sim.Move{ConnectionID: pt.id, From: pt.lag, To: lagID}
	var err error
	if lagID == "" {
		_, err = d.detach(ctx, pt, m)
	} else {
		_, err = d.attach(ctx, pt, m)
	}
	return err
}

// DeletePort deletes a connection's veth pair (both ends go with either)
// and the VLANs on it. Deleting an unknown port is not an error.
func (d *DataPlane) DeletePort(ctx context.Context, connectionID string) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	pt, ok := d.ports[connectionID]
	if !ok {
		return nil
	}
	dev, err := d.device(pt.device, false)
	if err != nil {
		return fmt.Errorf("delete port %s: %w", connectionID, err)
	}
	for _, ns := range []*netNS{dev.aws, dev.cust} {
		if err := delLink(ns, connectionID); err != nil {
			return fmt.Errorf("delete port: %w", err)
		}
	}
	delete(d.ports, connectionID)
	d.forgetVLANsOn(connectionID)
	return nil
}

// forgetVLANsOn drops the VLANs whose parent the kernel removed with it.
func (d *DataPlane) forgetVLANsOn(parent string) {
	for id, v := range d.vlans {
		if v.spec.ParentID == parent {
			delete(d.vlans, id)
		}
	}
}
