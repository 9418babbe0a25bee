package topology

import (
	"context"
	"fmt"
	"time"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology/backend"
)

// Loss and delay faults (fault_linux.go) are a netem qdisc on the end's
// veth where the kernel has netem; where it has none, a backend that sends
// the port's frames itself (the userspace engine: backend.Impairer) loses
// and delays them instead.

// impairer is the backend that loses and delays frames in netem's stead,
// or nil: the kernel has netem, or the backend cannot.
func (d *DataPlane) impairer() backend.Impairer {
	if NetemError() == nil {
		return nil
	}
	im, _ := d.be.(backend.Impairer)
	return im
}

// lossDelayErr says why this data plane cannot lose or delay frames (nil
// when it can).
func (d *DataPlane) lossDelayErr() error {
	if d.impairer() != nil {
		return nil
	}
	return d.netemErr()
}

// setLossDelay puts a loss or delay fault on one end.
func (d *DataPlane) setLossDelay(ns *netNS, id string, f *sim.Fault) error {
	im := d.impairer()
	if im == nil {
		return d.setNetem(ns, id, f)
	}
	err := im.SetImpairment(context.Background(), ns.bk, id, f.Loss, time.Duration(f.Delay), time.Duration(f.Jitter))
	if err != nil {
		return fmt.Errorf("impairing %s in %s: %w", id, ns.name, err)
	}
	return nil
}

// clearLossDelay takes a loss or delay fault off one end, if it has one.
func (d *DataPlane) clearLossDelay(ns *netNS, id string) error {
	im := d.impairer()
	if im == nil {
		return d.clearNetem(ns, id)
	}
	if err := im.SetImpairment(context.Background(), ns.bk, id, 0, 0, 0); err != nil {
		return fmt.Errorf("clearing the impairment of %s in %s: %w", id, ns.name, err)
	}
	return nil
}
