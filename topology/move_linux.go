package topology

import (
	"context"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology/backend"
)

// MovePort moves a connection's port between LAGs, on the device and on the
// customer router: from "" makes a standalone port a member, to "" releases
// a member, and a LAG-to-LAG move is one interruption. The port goes down
// (the kernel enslaves only a port that is down), leaves its old LAG if it
// had one, is enslaved, and comes back up. Each step of the AWS side is
// timestamped. LACP convergence follows later, as events. A port already in
// to is left alone; a port found elsewhere than from (after a crash, or a
// hand edit) is moved from where it is. Each move made (not one left alone)
// is announced to the hooks given to OnMove.
func (d *DataPlane) MovePort(ctx context.Context, m sim.Move) (sim.StepTimes, error) {
	connectionID, from, to := m.ConnectionID, m.From, m.To
	if err := checkCtx(ctx); err != nil {
		return sim.StepTimes{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	pt, ok := d.ports[connectionID]
	if !ok {
		return sim.StepTimes{}, fmt.Errorf("move: %w", &backend.NotFoundError{Kind: "connection", ID: connectionID})
	}
	if pt.lag != from && pt.lag != to {
		d.log.Warn("moving a port that is not where the control plane last put it", "connection", connectionID, "from", from, "found", pt.lag, "to", to)
	}
	if to == "" {
		if pt.lag == "" {
			return sim.StepTimes{}, nil
		}
		return d.detach(ctx, pt, m)
	}
	return d.attach(ctx, pt, m)
}

// OnMove registers a hook told of every move this data plane makes, until
// remove is called.
func (d *DataPlane) OnMove(h MoveHook) (remove func()) { return d.hooks.add(h) }

func (d *DataPlane) attach(ctx context.Context, pt *port, m sim.Move) (sim.StepTimes, error) {
	lagID := m.To
	lg, ok := d.lags[lagID]
	if !ok {
		return sim.StepTimes{}, fmt.Errorf("attach %s: %w", pt.id, &backend.NotFoundError{Kind: "LAG", ID: lagID})
	}
	if lg.device != pt.device {
		return sim.StepTimes{}, fmt.Errorf("attach %s (device %s) to %s: the LAG is on device %s", pt.id, pt.device, lagID, lg.device)
	}
	if pt.lag == lagID {
		return sim.StepTimes{}, nil
	}
	st, err := d.move(ctx, pt, m)
	if err != nil {
		return st, fmt.Errorf("attach %s to %s: %w", pt.id, lagID, err)
	}
	return st, nil
}

func (d *DataPlane) detach(ctx context.Context, pt *port, m sim.Move) (sim.StepTimes, error) {
	from := pt.lag
	st, err := d.move(ctx, pt, m)
	if err != nil {
		return st, fmt.Errorf("detach %s from %s: %w", pt.id, from, err)
	}
	return st, nil
}

// move takes a port from its LAG (or none) to another (or none): down on
// both sides, released, enslaved, up. On failure it puts the port back where
// it was, up, so nothing is left half-moved. The hooks are told of it
// before the port goes down and when it is over.
func (d *DataPlane) move(ctx context.Context, pt *port, m sim.Move) (st sim.StepTimes, err error) {
	dev, err := d.device(pt.device, false)
	if err != nil {
		return st, err
	}
	from, to := pt.lag, m.To
	done := d.hooks.announce(Move{Move: m, Found: from, Device: pt.device, AWS: dev.aws.ns, Customer: dev.cust.ns})
	defer func() { done(st, err) }()
	sides := []*netNS{dev.aws, dev.cust}
	undo := func(cause error) (sim.StepTimes, error) {
		for _, ns := range sides {
			var errs []error
			if to != "" {
				errs = append(errs, d.be.RemoveMember(ctx, ns.bk, to, pt.id))
			}
			if from != "" {
				errs = append(errs, d.addMember(ctx, ns, from, pt.id))
			}
			errs = append(errs, setUp(ns, pt.id, true))
			for _, e := range errs {
				if e != nil {
					d.log.Warn("restoring port after a failed move", "connection", pt.id, "ns", ns.name, "err", e)
				}
			}
		}
		return st, cause
	}

	// Down and Up are stamped as their requests go out: the customer end
	// loses (or regains) carrier while the kernel carries them out, and a
	// timeline must not show that before the step that caused it. Changed
	// is stamped when the enslave or release has been done.
	st.Down = d.now()
	if err := setUp(dev.aws, pt.id, false); err != nil {
		return undo(err)
	}
	if err := setUp(dev.cust, pt.id, false); err != nil {
		return undo(err)
	}
	if from != "" {
		for _, ns := range sides {
			if err := d.be.RemoveMember(ctx, ns.bk, from, pt.id); err != nil {
				return undo(err)
			}
		}
	}
	if to != "" {
		if err := d.addMember(ctx, dev.aws, to, pt.id); err != nil {
			return undo(err)
		}
	}
	st.Changed = d.now()
	// The kernel's bonding opens a port as it enslaves it: then the DX port
	// came back up with the enslave, not with the up below.
	if l, err := linkByName(dev.aws, pt.id); err == nil && l.Attrs().RawFlags&unix.IFF_UP != 0 {
		st.Up = st.Changed
	}
	if to != "" {
		if err := d.addMember(ctx, dev.cust, to, pt.id); err != nil {
			return undo(err)
		}
	}
	if st.Up.IsZero() {
		st.Up = d.now()
	}
	if err := setUp(dev.aws, pt.id, true); err != nil {
		return undo(err)
	}
	if err := setUp(dev.cust, pt.id, true); err != nil {
		return undo(err)
	}
	pt.lag = to
	d.reapplyFaults(ctx, pt)
	return st, nil
}

// addMember enslaves one port to a LAG in ns.
func (d *DataPlane) addMember(ctx context.Context, ns *netNS, lag, port string) error {
	_, err := d.be.AddMembers(ctx, ns.bk, []backend.Membership{{LAG: lag, Port: port}})
	return err
}
