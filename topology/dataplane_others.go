//go:build !linux

package topology

import (
	"context"
	"errors"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/bus"
)

// errNotLinux is what every operation answers off Linux: the data plane is
// network namespaces, veth, bonds and TAP devices.
var errNotLinux = errors.New("topology: the data plane needs Linux")

// DataPlane is Linux-only; elsewhere Open fails and this type exists so that
// callers build.
type DataPlane struct{}

var _ sim.DataPlane = (*DataPlane)(nil)

// Open fails off Linux.
func Open(context.Context, Options) (*DataPlane, error) { return nil, errNotLinux }

// ProbeFeatures fails off Linux.
func ProbeFeatures() (Features, error) { return Features{}, errNotLinux }

// TeardownPrefix fails off Linux.
func TeardownPrefix(string) (int, error) { return 0, errNotLinux }

// TeardownOwned fails off Linux.
func TeardownOwned(string, Ownership) (int, error) { return 0, errNotLinux }

func (*DataPlane) Prefix() string                                       { return "" }
func (*DataPlane) Backend() (string, string)                            { return "", "" }
func (*DataPlane) Status(context.Context) (Status, error)               { return Status{}, errNotLinux }
func (*DataPlane) Teardown(context.Context) error                       { return errNotLinux }
func (*DataPlane) CreatePort(context.Context, sim.PortSpec) error       { return errNotLinux }
func (*DataPlane) DeletePort(context.Context, string) error             { return errNotLinux }
func (*DataPlane) SetFaults(context.Context, string, []sim.Fault) error { return errNotLinux }
func (*DataPlane) CheckFault(sim.FaultSpec) error                       { return errNotLinux }
func (*DataPlane) CreateLAG(context.Context, sim.LAGSpec) error         { return errNotLinux }
func (*DataPlane) DeleteLAG(context.Context, string) error              { return errNotLinux }
func (*DataPlane) SetMinLinks(context.Context, string, int) error       { return errNotLinux }
func (*DataPlane) MovePort(context.Context, sim.Move) (sim.StepTimes, error) {
	return sim.StepTimes{}, errNotLinux
}
func (*DataPlane) CreateVLAN(context.Context, sim.VLANSpec) error       { return errNotLinux }
func (*DataPlane) MoveVLAN(context.Context, string, string) error       { return errNotLinux }
func (*DataPlane) SetVLANAddresses(context.Context, sim.VLANSpec) error { return errNotLinux }
func (*DataPlane) DeleteVLAN(context.Context, string) error             { return errNotLinux }
func (*DataPlane) Reconcile(context.Context, sim.Snapshot) ([]sim.Drift, error) {
	return nil, errNotLinux
}
func (*DataPlane) Events() <-chan sim.Event { return nil }
func (*DataPlane) OnMove(MoveHook) func()   { return func() {} }
func (*DataPlane) SubscribeEvents(int) *bus.Sub[sim.Event] {
	var b bus.Bus[sim.Event]
	b.Close()
	return b.Subscribe(0)
}
func (*DataPlane) Close() error { return nil }

// RegionNamespace names a Region's namespace.
func (d *DataPlane) RegionNamespace(region string) string { return "" }

// SetRegion needs Linux.
func (*DataPlane) SetRegion(context.Context, RegionSpec) error { return errNotLinux }
