package simtest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dxsim/dxsim/sim"
)

// LACP actor state bits of a member that is in sync, collecting and
// distributing, and of one that has just come up.
const (
	LACPConverged uint8 = 0x3d // activity, aggregation, sync, collecting, distributing
	LACPWaiting   uint8 = 0x05 // activity, aggregation
)

// Clocker tells the fake what time to stamp steps and events with.
type Clocker interface{ Now() time.Time }

// DataPlane is a fake sim.DataPlane. It keeps the ports, LAGs and VLANs it
// was asked to make, logs every call, and emits the link events a real data
// plane would: MovePort reports the link going down and up and the member
// waiting for LACP; Converge reports it collecting and distributing.
type DataPlane struct {
	clock  Clocker
	events chan sim.Event

	mu    sync.Mutex
	Calls []string
	Ports map[string]sim.PortSpec
	LAGs  map[string]sim.LAGSpec
	VLANs map[string]sim.VLANSpec
	// Faults are each port's training faults, by connection.
	Faults map[string][]sim.Fault
	// Fail makes the named method ("MovePort", …) return an error.
	Fail map[string]error
	// Block, when set, makes MovePort wait until it is closed (or ctx ends):
	// a test can hold an association mid-way.
	Block chan struct{}
	// Attaching, when set, receives the connection ID as MovePort begins.
	Attaching chan string

	moved map[string]sim.Move // each connection's last move
}

var _ sim.DataPlane = (*DataPlane)(nil)

// NewDataPlane returns a fake whose events channel holds buf events.
func NewDataPlane(clock Clocker, buf int) *DataPlane {
	return &DataPlane{
		clock: clock, events: make(chan sim.Event, buf),
		Ports: map[string]sim.PortSpec{}, LAGs: map[string]sim.LAGSpec{}, VLANs: map[string]sim.VLANSpec{},
		Faults: map[string][]sim.Fault{}, Fail: map[string]error{},
	}
}

func (d *DataPlane) call(format string, args ...any) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	name := fmt.Sprintf(format, args...)
	d.Calls = append(d.Calls, name)
	for op, err := range d.Fail {
		if len(name) >= len(op) && name[:len(op)] == op {
			return err
		}
	}
	return nil
}

// CallLog returns the calls so far, as "Method arg…".
func (d *DataPlane) CallLog() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.Calls)
}

func (d *DataPlane) emit(e sim.Event) {
	e.Time = d.clock.Now()
	d.events <- e
}

// CreatePort records the port and reports its link up.
func (d *DataPlane) CreatePort(_ context.Context, p sim.PortSpec) error {
	if err := d.call("CreatePort %s", p.ConnectionID); err != nil {
		return err
	}
	d.mu.Lock()
	d.Ports[p.ConnectionID] = p
	d.mu.Unlock()
	d.emit(sim.Event{Kind: sim.EventLink, ConnectionID: p.ConnectionID, Up: true})
	return nil
}

// DeletePort forgets the port.
func (d *DataPlane) DeletePort(_ context.Context, id string) error {
	if err := d.call("DeletePort %s", id); err != nil {
		return err
	}
	d.mu.Lock()
	delete(d.Ports, id)
	d.mu.Unlock()
	return nil
}

// CreateLAG records the LAG.
func (d *DataPlane) CreateLAG(_ context.Context, l sim.LAGSpec) error {
	if err := d.call("CreateLAG %s", l.LAGID); err != nil {
		return err
	}
	d.mu.Lock()
	d.LAGs[l.LAGID] = l
	d.mu.Unlock()
	return nil
}

// DeleteLAG forgets the LAG.
func (d *DataPlane) DeleteLAG(_ context.Context, id string) error {
	if err := d.call("DeleteLAG %s", id); err != nil {
		return err
	}
	d.mu.Lock()
	delete(d.LAGs, id)
	d.mu.Unlock()
	return nil
}

// SetFaults records a port's faults (Faults, by connection; none deletes
// the entry).
func (d *DataPlane) SetFaults(_ context.Context, id string, faults []sim.Fault) error {
	if err := d.call("SetFaults %s %d", id, len(faults)); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(faults) == 0 {
		delete(d.Faults, id)
		return nil
	}
	d.Faults[id] = slices.Clone(faults)
	return nil
}

// SetMinLinks records the setting.
func (d *DataPlane) SetMinLinks(_ context.Context, id string, n int) error {
	if err := d.call("SetMinLinks %s %d", id, n); err != nil {
		return err
	}
	d.mu.Lock()
	l := d.LAGs[id]
	l.MinLinks = n
	d.LAGs[id] = l
	d.mu.Unlock()
	return nil
}

// MovePort takes the port down, moves it from one LAG (or none) to another
// (or none) and brings it up, reporting each step; a member then waits for
// LACP until Converge. A port already where to says is left alone.
func (d *DataPlane) MovePort(ctx context.Context, m sim.Move) (sim.StepTimes, error) {
	connID, from, to := m.ConnectionID, m.From, m.To
	if d.Attaching != nil {
		d.Attaching <- connID
	}
	if d.Block != nil {
		select {
		case <-d.Block:
		case <-ctx.Done():
			return sim.StepTimes{}, ctx.Err()
		}
	}
	if err := d.call("MovePort %s %s %s", connID, from, to); err != nil {
		return sim.StepTimes{}, err
	}
	d.mu.Lock()
	if d.moved == nil {
		d.moved = map[string]sim.Move{}
	}
	d.moved[connID] = m
	p, ok := d.Ports[connID]
	d.mu.Unlock()
	if !ok {
		return sim.StepTimes{}, fmt.Errorf("move %s: no such port", connID)
	}
	if p.LAGID == to {
		return sim.StepTimes{}, nil
	}
	var st sim.StepTimes
	st.Down = d.clock.Now()
	d.emit(sim.Event{Kind: sim.EventLink, ConnectionID: connID, Up: false})
	d.mu.Lock()
	p.LAGID = to
	d.Ports[connID] = p
	d.mu.Unlock()
	st.Changed, st.Up = d.clock.Now(), d.clock.Now()
	d.emit(sim.Event{Kind: sim.EventLink, ConnectionID: connID, Up: true})
	if to != "" {
		d.emit(sim.Event{Kind: sim.EventLACP, ConnectionID: connID, LAGID: to, LACPState: LACPWaiting})
	}
	return st, nil
}

// LastMove is the last move asked of a connection's port, as the control
// plane passed it down (with its operation and request time).
func (d *DataPlane) LastMove(connID string) (sim.Move, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	m, ok := d.moved[connID]
	return m, ok
}

// Moves counts the MovePort calls that reached the fake for a connection.
func (d *DataPlane) Moves(connID string) int {
	n := 0
	for _, c := range d.CallLog() {
		if strings.HasPrefix(c, "MovePort "+connID+" ") {
			n++
		}
	}
	return n
}

// Port returns the port the fake holds for a connection.
func (d *DataPlane) Port(connID string) (sim.PortSpec, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	p, ok := d.Ports[connID]
	return p, ok
}

// Converge reports a member collecting and distributing.
func (d *DataPlane) Converge(lagID, connID string) {
	d.emit(sim.Event{Kind: sim.EventLACP, ConnectionID: connID, LAGID: lagID, LACPState: LACPConverged})
}

// LinkDown reports a port's carrier lost.
func (d *DataPlane) LinkDown(connID string) {
	d.emit(sim.Event{Kind: sim.EventLink, ConnectionID: connID, Up: false})
}

// CreateVLAN records the VLAN.
func (d *DataPlane) CreateVLAN(_ context.Context, v sim.VLANSpec) error {
	if err := d.call("CreateVLAN %s %s %d", v.ID, v.ParentID, v.VLAN); err != nil {
		return err
	}
	d.mu.Lock()
	d.VLANs[v.ID] = v
	d.mu.Unlock()
	return nil
}

// MoveVLAN reparents the VLAN.
func (d *DataPlane) MoveVLAN(_ context.Context, id, parent string) error {
	if err := d.call("MoveVLAN %s %s", id, parent); err != nil {
		return err
	}
	d.mu.Lock()
	v := d.VLANs[id]
	v.ParentID = parent
	d.VLANs[id] = v
	d.mu.Unlock()
	return nil
}

// DeleteVLAN forgets the VLAN.
func (d *DataPlane) DeleteVLAN(_ context.Context, id string) error {
	if err := d.call("DeleteVLAN %s", id); err != nil {
		return err
	}
	d.mu.Lock()
	delete(d.VLANs, id)
	d.mu.Unlock()
	return nil
}

// Reconcile adopts the snapshot and reports what it lacked.
func (d *DataPlane) Reconcile(_ context.Context, s sim.Snapshot) ([]sim.Drift, error) {
	if err := d.call("Reconcile"); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var drift []sim.Drift
	for _, p := range s.Ports {
		if _, ok := d.Ports[p.ConnectionID]; !ok {
			drift = append(drift, sim.Drift{ObjectID: p.ConnectionID, Problem: "missing", Action: "created"})
		}
		d.Ports[p.ConnectionID] = p
	}
	for _, l := range s.LAGs {
		d.LAGs[l.LAGID] = l
	}
	for _, v := range s.VLANs {
		d.VLANs[v.ID] = v
	}
	return drift, nil
}

// Events delivers the fake's events.
func (d *DataPlane) Events() <-chan sim.Event { return d.events }

// Close does nothing: the fake owns no goroutines.
func (d *DataPlane) Close() error { return nil }

// SetVLANAddresses records the VLAN's new addresses.
func (d *DataPlane) SetVLANAddresses(_ context.Context, v sim.VLANSpec) error {
	if err := d.call("SetVLANAddresses %s %v %v", v.ID, v.Amazon(), v.Customer()); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if old, ok := d.VLANs[v.ID]; ok {
		v.ParentID = old.ParentID
	}
	d.VLANs[v.ID] = v
	return nil
}

// VLAN returns a VLAN as last made, moved or given addresses.
func (d *DataPlane) VLAN(id string) (sim.VLANSpec, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, ok := d.VLANs[id]
	return v, ok
}
