package topology

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/dxsim/dxsim/sim"
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
			awsErr = d.backend.CreateLAG(ctx, dev.aws, lagConfig{
				Name: l.LAGID, MinLinks: l.MinLinks, SystemMAC: systemMAC(roleDevice, l.DeviceID),
			})
		})
		wg.Go(func() {
			custErr = d.backend.CreateLAG(ctx, dev.cust, lagConfig{
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
			if derr := d.backend.DeleteLAG(ctx, side.ns, l.LAGID); derr != nil {
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
	if err := dev.both(func(ns *netNS) error { return d.backend.DeleteLAG(ctx, ns, lagID) }); err != nil {
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
		return fmt.Errorf("set min links: %w", &NotFoundError{Kind: "LAG", ID: lagID})
	}
	return d.setMinLinks(ctx, lg, n)
}

func (d *DataPlane) setMinLinks(ctx context.Context, lg *lag, n int) error {
	dev, err := d.device(lg.device, false)
	if err != nil {
		return fmt.Errorf("set min links of %s: %w", lg.id, err)
	}
	if err := dev.both(func(ns *netNS) error { return d.backend.SetMinLinks(ctx, ns, lg.id, n) }); err != nil {
		return fmt.Errorf("set min links: %w", err)
	}
	lg.minLinks = n
	return nil
}
