package topology

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"github.com/dxsim/dxsim/topology/backend"
	"github.com/dxsim/dxsim/topology/kernel"
	"github.com/dxsim/dxsim/topology/lacpfault"
)

// wrongKey is the key a wrong-key fault gives a member when it names none:
// a kernel bond's own keys come from the port's speed and duplex, small
// numbers, never this.
const wrongKey = 999

// kernelBackend is the kernel's bonds and VLANs (topology/kernel), with a
// member's LACP faults made on its veth (topology/lacpfault).
type kernelBackend struct{ kernel.Backend }

var _ backend.LACPFaulter = kernelBackend{}

// CheckLACPFault: a member's silent, wrong-key, passive and flap faults are
// made on its veth (topology/lacpfault); the rate is the bond's.
func (kernelBackend) CheckLACPFault(f backend.LACPFault) error {
	if f.Slow {
		return errors.New("a kernel bond's LACP rate (lacp_rate) is all its members', and the kernel changes it only on a bond that is down (EBUSY): the slow fault needs the userspace data plane")
	}
	return nil
}

// SetLACPFault breaks (or, with the zero fault, mends) a member's LACP on
// its veth end in ns.
func (k kernelBackend) SetLACPFault(_ context.Context, ns *backend.NS, _, member string, f backend.LACPFault) error {
	if err := k.CheckLACPFault(f); err != nil {
		return err
	}
	lf := lacpfault.Fault{Silent: f.Silent, Passive: f.Passive, FlapUp: f.FlapUp, FlapDown: f.FlapDown}
	if f.WrongKey {
		lf.Key = cmp.Or(f.Key, wrongKey)
	}
	if err := lacpfault.Set(ns.Handle, member, lf); err != nil {
		return fmt.Errorf("LACP fault on %s in %s: %w", member, ns.Name, err)
	}
	return nil
}
