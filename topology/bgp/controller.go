package bgp

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"maps"
	"net/netip"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vishvananda/netns"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/bus"
)

// Customer routers: what runs the customer's side of each VIF's BGP.
const (
	// CustomerBuiltin runs a router per VIF in the customer router's
	// namespace, each advertising the customer router's network and
	// installing what it learns, so a lab works with nothing else
	// installed.
	CustomerBuiltin = "builtin"
	// CustomerNone leaves the customer's BGP to the user (FRR, BIRD, …):
	// the VLAN interfaces and addresses are there.
	CustomerNone = "none"
)

// Source is the control plane as the controller uses it.
type Source interface {
	BGPRouters() ([]sim.BGPRouter, error)
	Subscribe(buf int) (<-chan sim.StateChange, func())
	SetBGPSession(sim.BGPSession)
	ForgetBGPSession(peerID string)
}

// Namespaces names the namespaces of a device: the DX device's and the
// customer router's (topology.DataPlane does).
type Namespaces interface {
	Namespaces(device string) (aws, customer string)
}

// ControllerConfig is what a Controller runs with.
type ControllerConfig struct {
	Source     Source
	Namespaces Namespaces
	// Customer is CustomerBuiltin (the default) or CustomerNone.
	Customer string
	Log      *slog.Logger
	// Retry is how often a router that could not be set is tried again
	// (5 s when zero): a VIF's interface may not be there yet.
	Retry time.Duration
	// LimitRestart is how long a session the customer sent too many
	// prefixes on stays down before Amazon's side tries it again (30 s when
	// zero).
	LimitRestart time.Duration
}

// speakerPatience bounds the wait for a speaker to take a router.
const speakerPatience = 20 * time.Second

// Mark is what the controller saw of a VIF's BGP: a session's state on one
// side, or the VIF moving to another connection or LAG.
type Mark struct {
	Time  time.Time
	VIFID string
	// A move (From set): the parents before and after, and the prefixes
	// each side had from the other before it (Customer -1: not dxsim's
	// router, so unknown).
	From, To         string
	AmazonPrefixes   uint64
	CustomerPrefixes int64
	// A session (From empty): which side, the neighbour (a VIF has a
	// session per address family), its state and the prefixes it has
	// accepted from the other.
	Side     string // SideAmazon or SideCustomer
	Peer     netip.Addr
	State    string
	Accepted uint64
}

// Mark sides.
const (
	SideAmazon   = "amazon"
	SideCustomer = "customer"
)

// Controller runs the control plane's BGP (sim's BGPRouters) on speakers,
// one per namespace, and reports each Amazon-side session back
// (SetBGPSession): a restart runs them again from the state, a deleted VIF
// or peer closes its session, and a failover test holds its sessions down.
// It keeps the routes Amazon's side of each VIF has accepted (Learned), for
// the Region behind the devices to route the customer's prefixes by.
type Controller struct {
	cfg  ControllerConfig
	log  *slog.Logger
	kick chan struct{}

	mu       sync.Mutex
	speakers map[string]*Speaker              // by namespace name
	applied  map[string]applied               // by VIF ID: what each speaker runs
	peers    map[string]map[netip.Addr]string // by VIF ID: Amazon-side neighbour address → peer ID
	customer map[string]Event                 // the customer side's last event, by VIF ID and peer
	custs    map[string]*customerNS           // by customer namespace: its network and VIFs' metrics (builtin)
	lastUp   map[string]uint64                // by VIF ID, side and neighbour: prefixes accepted when last established
	marks    bus.Bus[Mark]
	learned  map[string]map[netip.Addr]learnedSet // by VIF ID and Amazon-side neighbour: the routes accepted
	learnedC bus.Bus[string]                      // the VIF IDs whose learned routes changed

	cancel context.CancelFunc
	done   chan struct{}
}

type applied struct {
	device           string
	amazon, customer *Router
}

// NewController starts a controller; Close stops it and its speakers.
func NewController(cfg ControllerConfig) *Controller {
	if cfg.Customer == "" {
		cfg.Customer = CustomerBuiltin
	}
	if cfg.Retry == 0 {
		cfg.Retry = 5 * time.Second
	}
	if cfg.LimitRestart == 0 {
		cfg.LimitRestart = 30 * time.Second
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Controller{cfg: cfg, log: log, kick: make(chan struct{}, 1), speakers: map[string]*Speaker{},
		applied: map[string]applied{}, peers: map[string]map[netip.Addr]string{}, customer: map[string]Event{},
		custs: map[string]*customerNS{}, lastUp: map[string]uint64{}, learned: map[string]map[netip.Addr]learnedSet{},
		cancel: cancel, done: make(chan struct{})}
	go c.run(ctx)
	return c
}

// Close stops the controller and its speakers: every session closes.
func (c *Controller) Close() error {
	c.cancel()
	<-c.done
	defer c.marks.Close()
	defer c.learnedC.Close()
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for name, s := range c.speakers {
		if err := s.Close(); err != nil {
			errs = append(errs, err)
		}
		delete(c.speakers, name)
	}
	return errors.Join(errs...)
}

func (c *Controller) run(ctx context.Context) {
	defer close(c.done)
	changes, stop := c.cfg.Source.Subscribe(1024)
	defer stop()
	retry := time.NewTicker(c.cfg.Retry)
	defer retry.Stop()
	c.reconcile(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-changes:
			if !ok {
				return
			}
			// A burst of changes is one reconcile.
			drain(changes)
		case <-c.kick:
		case <-retry.C:
		}
		c.reconcile(ctx)
	}
}

func drain(ch <-chan sim.StateChange) {
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		default:
			return
		}
	}
}

// reconcile brings the speakers to the control plane's BGP.
func (c *Controller) reconcile(ctx context.Context) {
	routers, err := c.cfg.Source.BGPRouters()
	if err != nil {
		c.log.Warn("bgp: reading the routers", "err", err)
		return
	}
	want := map[string]sim.BGPRouter{}
	for _, r := range routers {
		want[r.VIFID] = r
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, a := range c.applied {
		if r, ok := want[id]; !ok || r.Device != a.device {
			c.remove(ctx, id, a)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(want)) {
		// A speaker answers at once; one that does not must not hold
		// every other VIF's BGP.
		actx, cancel := context.WithTimeout(ctx, speakerPatience)
		err := c.apply(actx, want[id])
		cancel()
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			c.log.Warn("bgp: a speaker did not answer", "vif", id, "after", speakerPatience)
		case err != nil:
			c.log.Debug("bgp: not running yet", "vif", id, "err", err)
		}
	}
}

// apply runs one VIF's routers, as far as they changed.
func (c *Controller) apply(ctx context.Context, r sim.BGPRouter) error {
	amazon, peers, err := amazonRouter(r)
	if err != nil {
		return err
	}
	// What Amazon's side learns is the Region's to route by (Learned).
	amazon.Report = true
	for i := range amazon.Peers {
		amazon.Peers[i].LimitRestart = uint32(max(c.cfg.LimitRestart/time.Second, 1))
	}
	// A VIF moved to another connection or LAG (an associate takes the
	// connection's VIFs to the LAG): Amazon's side resets its sessions.
	amazon.Reset = r.ParentID
	sideFaults(&amazon, faultsOf(r.Peers, func(p sim.BGPSessionSpec) sim.BGPSideFault { return p.Amazon }))
	awsNS, custNS := c.cfg.Namespaces.Namespaces(r.Device)
	// The speakers first: one started afresh runs nothing yet, and marks
	// what it should run as not applied.
	spA, err := c.speaker(awsNS, true)
	if err != nil {
		return err
	}
	var spC *Speaker
	if c.cfg.Customer == CustomerBuiltin {
		if spC, err = c.speaker(custNS, false); err != nil {
			return err
		}
	}
	a := c.applied[r.VIFID]
	a.device = r.Device
	if a.amazon == nil || !reflect.DeepEqual(*a.amazon, amazon) {
		if a.amazon != nil && a.amazon.Reset != "" && a.amazon.Reset != amazon.Reset {
			cust := int64(-1)
			if c.cfg.Customer == CustomerBuiltin {
				cust = int64(c.accepted(r.VIFID, SideCustomer))
			}
			c.marks.Publish(Mark{Time: time.Now(), VIFID: r.VIFID, From: a.amazon.Reset, To: amazon.Reset,
				AmazonPrefixes: c.accepted(r.VIFID, SideAmazon), CustomerPrefixes: cust})
		}
		// A peer deleted: its session closes with the Set below, and is
		// no longer reported (follow finds no peer ID for it).
		for addr, peerID := range c.peers[r.VIFID] {
			if peers[addr] != peerID {
				c.cfg.Source.ForgetBGPSession(peerID)
				c.dropLearned(r.VIFID, addr)
			}
		}
		c.peers[r.VIFID] = peers
		if err := spA.Set(ctx, amazon); err != nil {
			return err
		}
		a.amazon = &amazon
		c.applied[r.VIFID] = a
	}
	if spC == nil {
		return nil
	}
	cust, err := c.customerRouter(r, custNS)
	if err != nil {
		return err
	}
	if a.customer == nil || !reflect.DeepEqual(*a.customer, cust) {
		// Its networks' addresses first (netlink only when the router is
		// set, not on every reconcile).
		for _, rt := range cust.Announce {
			if faultSpace.Contains(rt.Prefix.Addr()) {
				continue // announced, not the router's own
			}
			if err := addCustomerNet(custNS, rt.Prefix); err != nil {
				return err
			}
		}
		if err := spC.Set(ctx, cust); err != nil {
			return err
		}
		for k, e := range c.customer {
			if e.Router == r.VIFID && !slices.ContainsFunc(cust.Peers, func(p Peer) bool { return p.Address == e.Peer }) {
				delete(c.customer, k)
			}
		}
		a.customer = &cust
		c.applied[r.VIFID] = a
	}
	return nil
}

// remove stops a VIF's routers and forgets its sessions.
func (c *Controller) remove(ctx context.Context, id string, a applied) {
	awsNS, custNS := c.cfg.Namespaces.Namespaces(a.device)
	if sp := c.speakers[awsNS]; sp != nil && a.amazon != nil {
		if err := sp.Delete(ctx, id); err != nil {
			c.log.Warn("bgp: stopping a router", "vif", id, "err", err)
		}
	}
	if sp := c.speakers[custNS]; sp != nil && a.customer != nil {
		if err := sp.Delete(ctx, id); err != nil {
			c.log.Warn("bgp: stopping a router", "vif", id, "err", err)
		}
	}
	for _, peerID := range c.peers[id] {
		c.cfg.Source.ForgetBGPSession(peerID)
	}
	delete(c.applied, id)
	delete(c.peers, id)
	for k := range c.lastUp {
		if strings.HasPrefix(k, id+"/") {
			delete(c.lastUp, k)
		}
	}
	c.forgetCustomerVIF(custNS, id)
	c.dropLearned(id, netip.Addr{})
	for k := range c.customer {
		if strings.HasPrefix(k, id+"/") {
			delete(c.customer, k)
		}
	}
}

// accepted is how many prefixes a VIF's sessions on one side had accepted
// when each was last established. c.mu is held.
func (c *Controller) accepted(vifID, side string) uint64 {
	var n uint64
	for k, v := range c.lastUp {
		if strings.HasPrefix(k, vifID+"/"+side+"/") {
			n += v
		}
	}
	return n
}

// speaker returns the speaker of a namespace, started if need be.
func (c *Controller) speaker(name string, amazon bool) (*Speaker, error) {
	if sp := c.speakers[name]; sp != nil {
		select {
		case <-sp.Done():
			delete(c.speakers, name) // it died: start another
		default:
			return sp, nil
		}
	}
	ns, err := netns.GetFromName(name)
	if err != nil {
		return nil, fmt.Errorf("namespace %s: %w", name, err)
	}
	defer ns.Close()
	sp, err := Start(ns, name, c.log)
	if err != nil {
		return nil, err
	}
	c.speakers[name] = sp
	sub := sp.Subscribe(100_000)
	go c.follow(name, sp, sub, amazon)
	// A new speaker runs nothing: everything on it is to be set again.
	for id, a := range c.applied {
		awsNS, custNS := c.cfg.Namespaces.Namespaces(a.device)
		switch {
		case amazon && awsNS == name:
			a.amazon = nil
		case !amazon && custNS == name:
			a.customer = nil
		default:
			continue
		}
		c.applied[id] = a
	}
	return sp, nil
}

// follow reports a speaker's events: the Amazon side's to the control
// plane, with their routes kept for Learned; the customer side's kept for
// Customer.
func (c *Controller) follow(name string, sp *Speaker, sub interface {
	C() <-chan Event
	Err() error
}, amazon bool) {
	side := SideCustomer
	if amazon {
		side = SideAmazon
	}
	for e := range sub.C() {
		c.mu.Lock()
		if e.Established() {
			c.lastUp[e.Router+"/"+side+"/"+e.Peer.String()] = e.Accepted
		}
		c.marks.Publish(Mark{Time: e.Time, VIFID: e.Router, Side: side, Peer: e.Peer, State: e.State, Accepted: e.Accepted})
		if amazon {
			c.learn(e)
			peerID := c.peers[e.Router][e.Peer]
			c.mu.Unlock()
			if peerID != "" {
				c.cfg.Source.SetBGPSession(sim.BGPSession{Time: e.Time, VIFID: e.Router, PeerID: peerID,
					State: e.State, Prefixes: e.Accepted, Reason: e.Reason})
			}
			continue
		}
		c.customer[e.Router+"/"+e.Peer.String()] = e
		c.mu.Unlock()
	}
	if err := sub.Err(); err != nil && !errors.Is(err, bus.ErrClosed) {
		c.log.Warn("bgp: a speaker's events ended", "speaker", name, "err", err)
	}
	c.mu.Lock()
	if amazon && (c.speakers[name] == nil || c.speakers[name] == sp) {
		// Its sessions are gone, and what they learned with them (unless
		// another speaker runs them already).
		for id, a := range c.applied {
			if awsNS, _ := c.cfg.Namespaces.Namespaces(a.device); awsNS == name {
				c.dropLearned(id, netip.Addr{})
			}
		}
	}
	c.mu.Unlock()
	select {
	case c.kick <- struct{}{}: // a speaker that died is started again
	default:
	}
}

// amazonRouter is the Amazon side of a VIF as a speaker runs it, and its
// neighbours' peer IDs.
func amazonRouter(r sim.BGPRouter) (Router, map[netip.Addr]string, error) {
	out := Router{ID: r.VIFID, ASN: uint32(r.AmazonASN), RouterID: amazonRouterID(r)}
	peers := map[netip.Addr]string{}
	for _, p := range r.Peers {
		local, err := netip.ParsePrefix(p.AmazonAddress)
		if err != nil {
			return Router{}, nil, fmt.Errorf("peer %s: Amazon address %q: %w", p.PeerID, p.AmazonAddress, err)
		}
		remote, err := netip.ParsePrefix(p.CustomerAddress)
		if err != nil {
			return Router{}, nil, fmt.Errorf("peer %s: customer address %q: %w", p.PeerID, p.CustomerAddress, err)
		}
		out.Peers = append(out.Peers, Peer{Local: local.Addr(), Address: remote.Addr(), ASN: uint32(p.ASN), AuthKey: p.AuthKey,
			MaxPrefixes: uint32(p.MaxPrefixes), Down: p.Down})
		peers[remote.Addr()] = p.PeerID
	}
	for _, a := range r.Announce {
		route, err := parseRoute(a)
		if err != nil {
			return Router{}, nil, err
		}
		out.Announce = append(out.Announce, route)
	}
	return out, peers, nil
}

// amazonRouterID is the Amazon side's BGP identifier: its IPv4 address on
// the VIF, or, on a VIF with IPv6 peers only, one derived from the VIF's ID
// in 169.254.0.0/16 (an identifier needs only be unique among neighbours).
func amazonRouterID(r sim.BGPRouter) netip.Addr {
	for _, p := range r.Peers {
		if a, err := netip.ParsePrefix(p.AmazonAddress); err == nil && a.Addr().Is4() {
			return a.Addr()
		}
	}
	h := fnv.New32a()
	h.Write([]byte(r.VIFID))
	s := h.Sum32()
	return netip.AddrFrom4([4]byte{169, 254, byte(s>>8) | 1, byte(s) | 1})
}

func parseRoute(a sim.AmazonPrefix) (Route, error) {
	p, err := netip.ParsePrefix(a.Prefix)
	if err != nil {
		return Route{}, fmt.Errorf("prefix %q: %w", a.Prefix, err)
	}
	rt := Route{Prefix: p.Masked()}
	for _, s := range a.Communities {
		hi, lo, ok := strings.Cut(s, ":")
		h, err1 := strconv.ParseUint(hi, 10, 16)
		l, err2 := strconv.ParseUint(lo, 10, 16)
		if !ok || err1 != nil || err2 != nil {
			return Route{}, fmt.Errorf("community %q is not ASN:value", s)
		}
		rt.Communities = append(rt.Communities, uint32(h)<<16|uint32(l))
	}
	return rt, nil
}

// Subscribe returns the marks (sessions' states, VIFs' moves) from now on.
func (c *Controller) Subscribe(limit int) *bus.Sub[Mark] { return c.marks.Subscribe(limit) }

// SpeakerPIDs returns the running speakers' process IDs, by namespace.
func (c *Controller) SpeakerPIDs() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for name, sp := range c.speakers {
		out[name] = sp.PID()
	}
	return out
}
