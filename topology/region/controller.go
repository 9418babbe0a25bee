package region

import (
	"context"
	"log/slog"
	"net/netip"
	"reflect"
	"sync"
	"time"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/bus"
	"github.com/dxsim/dxsim/topology"
)

// Source is the control plane as the controller uses it.
type Source interface {
	Routing() (sim.Routing, error)
	Subscribe(buf int) (<-chan sim.StateChange, func())
}

// Learner is what Amazon's side learned over BGP: every VIF's accepted
// paths now, and a notice (the VIF's ID) whenever a VIF's change.
type Learner interface {
	Paths() []Path
	SubscribePaths(limit int) *bus.Sub[string]
}

// DataPlane makes the Region's routing, and names the namespaces.
type DataPlane interface {
	SetRegion(ctx context.Context, spec topology.RegionSpec) error
	RegionNamespace(region string) string
	Namespaces(device string) (aws, customer string)
}

// Config is what a Controller runs with.
type Config struct {
	Source    Source
	Learner   Learner
	DataPlane DataPlane
	Log       *slog.Logger
	// Repair is how often the routing is set again whether or not
	// anything changed, undoing a hand edit (10 s when zero).
	Repair time.Duration
}

// Move is a customer prefix's return path changing VIF in an address
// space (From or To empty: it had none, or has none now).
type Move struct {
	Time     time.Time
	Network  string
	Prefix   netip.Prefix
	From, To string
}

// Controller keeps the Region's routing as the state and BGP say.
type Controller struct {
	cfg    Config
	log    *slog.Logger
	cancel context.CancelFunc
	done   chan struct{}
	moves  bus.Bus[Move]

	mu        sync.Mutex
	last      *topology.RegionSpec // as last set
	rt        sim.Routing          // as last read
	movedFrom map[string]moved     // by VIF ID: its last parent change
}

// moved is a VIF's parent before its last change, and when it was seen.
type moved struct {
	from string
	at   time.Time
}

// New starts a controller; Close stops it (the routing stays).
func New(cfg Config) *Controller {
	if cfg.Repair == 0 {
		cfg.Repair = 10 * time.Second
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Controller{cfg: cfg, log: log, cancel: cancel, done: make(chan struct{}), movedFrom: map[string]moved{}}
	go c.run(ctx)
	return c
}

// Close stops the controller.
func (c *Controller) Close() error {
	c.cancel()
	<-c.done
	c.moves.Close()
	return nil
}

// Spec is the routing as last set; false before it first was.
func (c *Controller) Spec() (topology.RegionSpec, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last == nil {
		return topology.RegionSpec{}, false
	}
	return *c.last, true
}

// SubscribeMoves returns the return paths' moves from now on.
func (c *Controller) SubscribeMoves(limit int) *bus.Sub[Move] { return c.moves.Subscribe(limit) }

func (c *Controller) run(ctx context.Context) {
	defer close(c.done)
	changes, stop := c.cfg.Source.Subscribe(1024)
	defer stop()
	learned := c.cfg.Learner.SubscribePaths(100_000)
	defer learned.Close()
	repair := time.NewTicker(c.cfg.Repair)
	defer repair.Stop()
	c.apply(ctx, true)
	for {
		force := false
		select {
		case <-ctx.Done():
			return
		case _, ok := <-changes:
			if !ok {
				return
			}
		case <-learned.C():
		case <-repair.C:
			force = true
		}
		// A burst is one plan: a withdrawal is acted on at once, the
		// changes queued behind it with it.
		for drained := false; !drained; {
			select {
			case <-changes:
			case <-learned.C():
			default:
				drained = true
			}
		}
		c.apply(ctx, force)
	}
}

// apply plans the routing and sets it when it changed (or when forced).
func (c *Controller) apply(ctx context.Context, force bool) {
	rt, err := c.cfg.Source.Routing()
	if err != nil {
		c.log.Warn("region: reading the routing", "err", err)
		return
	}
	spec, err := Plan(rt, c.cfg.Learner.Paths())
	if err != nil {
		c.log.Warn("region: planning", "err", err)
		return
	}
	c.mu.Lock()
	last := c.last
	c.noteMoves(rt)
	c.mu.Unlock()
	if last == nil && len(spec.VIFs) == 0 {
		return // nothing routed yet: no Region to make
	}
	if !force && last != nil && reflect.DeepEqual(*last, spec) {
		return
	}
	if err := c.cfg.DataPlane.SetRegion(ctx, spec); err != nil {
		// What could be set was; the rest is tried again at the next
		// change or repair.
		c.log.Debug("region: setting the routing", "err", err)
	}
	now := time.Now()
	c.mu.Lock()
	c.last = &spec
	c.mu.Unlock()
	for _, m := range moves(last, &spec, now) {
		c.moves.Publish(m)
	}
}

// moves are the return paths that changed VIF from a to b.
func moves(a, b *topology.RegionSpec, now time.Time) []Move {
	type key struct {
		net    string
		prefix netip.Prefix
	}
	was := map[key]string{}
	if a != nil {
		for _, r := range a.Returns {
			was[key{r.Network, r.Prefix}] = r.VIFID
		}
	}
	var out []Move
	for _, r := range b.Returns {
		k := key{r.Network, r.Prefix}
		if was[k] != r.VIFID {
			out = append(out, Move{Time: now, Network: r.Network, Prefix: r.Prefix, From: was[k], To: r.VIFID})
		}
		delete(was, k)
	}
	for k, from := range was {
		out = append(out, Move{Time: now, Network: k.net, Prefix: k.prefix, From: from})
	}
	return out
}

// noteMoves keeps, for each VIF whose parent changed since the last read,
// the parent it left. c.mu is held.
func (c *Controller) noteMoves(rt sim.Routing) {
	was := map[string]string{}
	for _, v := range c.rt.VIFs {
		was[v.VIFID] = v.Parent
	}
	now := time.Now()
	for _, v := range rt.VIFs {
		if p, ok := was[v.VIFID]; ok && p != v.Parent {
			c.movedFrom[v.VIFID] = moved{from: p, at: now}
		}
	}
	for id, m := range c.movedFrom {
		if now.Sub(m.at) > time.Minute {
			delete(c.movedFrom, id)
		}
	}
	c.rt = rt
}
