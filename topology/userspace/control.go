package userspace

import (
	"fmt"
	"net"
	"time"

	"github.com/dxsim/dxsim/lacp"
	"github.com/dxsim/dxsim/lacp/engine"
)

// control is a LAG's link aggregation control: the 802.1AX engine, or static
// aggregation. Its methods are called from the LAG's one control goroutine
// and return what the LAG must do.
type control interface {
	addPort(p portID, up bool, now time.Time) actions
	removePort(name string, now time.Time) actions
	setLink(name string, up bool, now time.Time) actions
	// receive takes a Slow Protocols frame received on a member.
	receive(name string, frame []byte, now time.Time) actions
	// setFault applies a training fault to a member.
	setFault(name string, f Fault, now time.Time) (actions, error)
	// advance runs the timers up to now.
	advance(now time.Time) actions
	// deadline is when advance must next be called; zero for never.
	deadline() time.Time
	// checkpoint is the LACP state to resume from; nil for none.
	checkpoint() *engine.Checkpoint
}

// portID is what control knows of a member.
type portID struct {
	name   string
	mac    net.HardwareAddr
	number uint16
}

// actions is what control asks of the LAG.
type actions struct {
	send   []sendFrame
	states []portState
	// changed: a member's LACP state changed in a way a resume must know
	// of (not merely another LACPDU): time for a checkpoint.
	changed bool
}

type sendFrame struct {
	port  string
	frame []byte
}

// portState is a member's LACP state and whether it carries traffic.
type portState struct {
	port           string
	actor, partner lacp.State
	collecting     bool
	distributing   bool
}

func (a *actions) merge(b actions) {
	a.send = append(a.send, b.send...)
	a.states = append(a.states, b.states...)
	a.changed = a.changed || b.changed
}

// staticControl aggregates every member whose link is up, with no LACP: what
// a "mode on" channel group or a balance-xor bond does. It lets the data
// plane run where no LACP partner exists.
type staticControl struct{ up map[string]bool }

func newStaticControl() *staticControl { return &staticControl{up: map[string]bool{}} }

func (s *staticControl) state(name string) actions {
	up := s.up[name]
	var st lacp.State
	if up {
		st = lacp.StateAggregation | lacp.StateSynchronization | lacp.StateCollecting | lacp.StateDistributing
	}
	return actions{states: []portState{{port: name, actor: st, collecting: up, distributing: up}}}
}

func (s *staticControl) addPort(p portID, up bool, _ time.Time) actions {
	s.up[p.name] = up
	return s.state(p.name)
}

func (s *staticControl) removePort(name string, _ time.Time) actions {
	delete(s.up, name)
	return actions{}
}

func (s *staticControl) setLink(name string, up bool, _ time.Time) actions {
	if _, ok := s.up[name]; !ok {
		return actions{}
	}
	s.up[name] = up
	return s.state(name)
}

func (s *staticControl) setFault(string, Fault, time.Time) (actions, error) {
	return actions{}, fmt.Errorf("%w: a static LAG has no LACP to break", ErrUnsupported)
}

func (s *staticControl) receive(string, []byte, time.Time) actions { return actions{} }
func (s *staticControl) advance(time.Time) actions                 { return actions{} }
func (s *staticControl) deadline() time.Time                       { return time.Time{} }
func (s *staticControl) checkpoint() *engine.Checkpoint            { return nil }
