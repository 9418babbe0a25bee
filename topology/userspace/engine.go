package userspace

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/dxsim/dxsim/lacp"
	"github.com/dxsim/dxsim/lacp/engine"
)

// engineControl drives a LAG with the 802.1AX engine: one Engine per LAG, as
// one bond is one System.
type engineControl struct {
	e       *engine.Engine
	key     uint16 // the LAG's key, which a cleared Fault restores
	slow    bool   // the LAG's rate, which a cleared Fault restores
	log     *slog.Logger
	lag     string
	byName  map[string]uint16
	byNum   map[uint16]string
	tx      []engine.Transmit
	dist    []uint16
	lastErr error
	marks   []portMark // each port's state at the last checkpoint
}

// portMark is what of a port a checkpoint must follow: its machines and
// what each end says, not the counters every LACPDU moves.
type portMark struct {
	number                            uint16
	enabled                           bool
	actor, partner                    lacp.PortInfo
	receive, periodic, selection, mux engine.MachineState
	aggregator                        uint16
	active                            bool
}

// newEngineControl is a new engine for a LAG made at born: its ticks keep
// that phase, as a bond's handler runs from when the bond came up.
func newEngineControl(cfg LAGConfig, born time.Time, log *slog.Logger) (*engineControl, error) {
	ecfg, err := engineConfig(cfg, log)
	if err != nil {
		return nil, err
	}
	ecfg.TickFrom = born
	e, err := engine.New(ecfg)
	if err != nil {
		return nil, fmt.Errorf("userspace: LAG %s: %w", cfg.Name, err)
	}
	return wrapEngine(cfg, e, log), nil
}

// engineConfig is the engine's configuration for a LAG.
func engineConfig(cfg LAGConfig, log *slog.Logger) (engine.Config, error) {
	var sys lacp.SystemID
	if len(cfg.SystemMAC) != len(sys) {
		return engine.Config{}, fmt.Errorf("userspace: LAG %s: system MAC %v is not 6 bytes", cfg.Name, cfg.SystemMAC)
	}
	copy(sys[:], cfg.SystemMAC)
	return engine.Config{
		SystemPriority: cfg.SystemPriority,
		System:         sys,
		Key:            cfg.Key,
		Passive:        cfg.Passive,
		Slow:           cfg.Slow,
		SelectionDelay: cfg.SelectionDelay,
		Tick:           cfg.Tick,
		// As a kernel bond (ad_select's default): a member that leaves the
		// aggregator does not take the LAG from those that stay.
		Stable: true,
		Logger: log.With("lag", cfg.Name),
	}, nil
}

// wrapEngine is the control of a LAG around its engine.
func wrapEngine(cfg LAGConfig, e *engine.Engine, log *slog.Logger) *engineControl {
	key := cfg.Key
	if key == 0 {
		key = engine.DefaultKey
	}
	return &engineControl{e: e, key: key, slow: cfg.Slow, log: log, lag: cfg.Name, byName: map[string]uint16{}, byNum: map[uint16]string{}}
}

func (c *engineControl) addPort(p portID, up bool, now time.Time) actions {
	if c.byNum[p.number] == p.name {
		// A port the engine resumed with: only its link may have changed.
		c.check(c.e.SetPortUp(now, p.number, up))
		return c.outputs()
	}
	if err := c.e.AddPort(now, engine.PortConfig{Number: p.number, MAC: p.mac}); err != nil {
		c.log.Warn("userspace: engine port", "lag", c.lag, "member", p.name, "err", err)
		return actions{}
	}
	c.byName[p.name], c.byNum[p.number] = p.number, p.name
	if up {
		c.check(c.e.SetPortUp(now, p.number, true))
	}
	return c.outputs()
}

func (c *engineControl) removePort(name string, now time.Time) actions {
	n, ok := c.byName[name]
	if !ok {
		return actions{}
	}
	c.check(c.e.RemovePort(now, n))
	delete(c.byName, name)
	delete(c.byNum, n)
	return c.outputs()
}

func (c *engineControl) setLink(name string, up bool, now time.Time) actions {
	n, ok := c.byName[name]
	if !ok {
		return actions{}
	}
	c.check(c.e.SetPortUp(now, n, up))
	return c.outputs()
}

func (c *engineControl) setFault(name string, f Fault, now time.Time) (actions, error) {
	n, ok := c.byName[name]
	if !ok {
		return actions{}, notFound("member", name)
	}
	a, err := c.e.PortAdmin(n)
	if err != nil {
		return actions{}, fmt.Errorf("userspace: member %s: %w", name, err)
	}
	a.Silent, a.Passive, a.Key, a.Slow = f.Silent, f.Passive, c.key, f.Slow || c.slow
	if f.Key != 0 {
		a.Key = f.Key
	}
	a.Flap = engine.Flap{Up: f.FlapUp, Down: f.FlapDown}
	if err := c.e.SetPortAdmin(now, n, a); err != nil {
		return actions{}, fmt.Errorf("userspace: member %s: %w", name, err)
	}
	return c.outputs(), nil
}

func (c *engineControl) receive(name string, frame []byte, now time.Time) actions {
	n, ok := c.byName[name]
	if !ok {
		return actions{}
	}
	// Malformed PDUs are counted by the engine and dropped.
	if err := c.e.ReceiveFrame(now, n, frame); err != nil {
		c.log.Debug("userspace: LACP frame dropped", "lag", c.lag, "member", name, "err", err)
	}
	return c.outputs()
}

func (c *engineControl) advance(now time.Time) actions {
	c.e.Advance(now)
	return c.outputs()
}

func (c *engineControl) deadline() time.Time {
	d, _ := c.e.NextDeadline()
	return d
}

func (c *engineControl) check(err error) {
	if err != nil {
		c.log.Warn("userspace: engine", "lag", c.lag, "err", err)
	}
}

// outputs collects the frames the engine wants sent and every port's state.
func (c *engineControl) outputs() actions {
	var a actions
	c.tx = c.e.AppendTransmits(c.tx[:0])
	for i := range c.tx {
		t := &c.tx[i]
		frame, err := t.AppendFrame(nil)
		if err != nil {
			c.log.Warn("userspace: rendering LACPDU", "lag", c.lag, "err", err)
			continue
		}
		a.send = append(a.send, sendFrame{port: c.byNum[t.Port], frame: frame})
	}
	c.e.AppendEvents(nil) // the engine logs them; member states say the rest
	ports := c.e.Ports()
	a.changed = c.mark(ports)
	for _, p := range ports {
		name, ok := c.byNum[p.Number]
		if !ok {
			continue
		}
		a.states = append(a.states, portState{
			port:         name,
			actor:        p.Actor.State,
			partner:      p.Partner.State,
			collecting:   p.Collecting(),
			distributing: p.Distributing(),
		})
	}
	return a
}

// mark records the ports' states and reports whether they differ from the
// last mark: whether a checkpoint is due.
func (c *engineControl) mark(ports []engine.PortStatus) bool {
	changed := len(ports) != len(c.marks)
	for i, p := range ports {
		m := portMark{number: p.Number, enabled: p.Enabled, actor: p.Actor, partner: p.Partner,
			receive: p.Receive, periodic: p.Periodic, selection: p.Selection, mux: p.Mux,
			aggregator: p.Aggregator, active: p.AggregatorActive}
		if i < len(c.marks) {
			changed = changed || c.marks[i] != m
			c.marks[i] = m
		} else {
			c.marks = append(c.marks, m)
		}
	}
	c.marks = c.marks[:len(ports)]
	return changed
}

func (c *engineControl) checkpoint() *engine.Checkpoint {
	cp := c.e.Checkpoint()
	return &cp
}
