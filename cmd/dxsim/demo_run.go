package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/boltstore"
	"github.com/dxsim/dxsim/sim/lab"
	"github.com/dxsim/dxsim/topology"
	"github.com/dxsim/dxsim/topology/bgp"
	"github.com/dxsim/dxsim/topology/observe"
	"github.com/dxsim/dxsim/topology/probe"
	"github.com/dxsim/dxsim/topology/region"
)

// demoAccount owns everything the demo makes.
const demoAccount = "123456789012"

// demoOptions configure a demo run.
type demoOptions struct {
	Dataplane string // auto, kernel or userspace
	// LACPTimers is topology.TimersLinux (when empty) or Timers8021AX.
	LACPTimers string
	Prefix     string // namespace prefix; "dxsim-demo"
	StateDir   string // "" for a temporary directory, removed afterwards
	PcapDir    string // "" for os.TempDir()
	ProbeRate  int    // probe frames a second
	// FirstMember associates the connection with an empty LAG instead of
	// the default lab's: the LAG's first member, which a Linux bond holds
	// out of collecting and distributing until its 8 s aggregator
	// selection timer has run.
	FirstMember bool
	Ready       time.Duration // the longest the lab may take to come up
	Log         *slog.Logger
	Progress    io.Writer // narration as the demo goes; io.Discard for none
}

// demoResult is what a demo run measured.
type demoResult struct {
	*sim.Interruption
	BackendWhy string   `json:"backendReason"`
	VIFID      string   `json:"vifId"`
	APIStates  []string `json:"api_states"` // the connection's states after the request, as the API reported them
	Namespaces int      `json:"-"`          // how many namespaces teardown deleted
}

// lab is the control plane and data plane of a demo run.
type demoLab struct {
	dp    *topology.DataPlane
	obs   *observe.Observer
	svc   *sim.Service
	ctrl  *bgp.Controller
	reg   *region.Controller
	store *boltstore.Store
	dir   string // the state directory, when temporary
	opts  demoOptions
}

// runDemo builds the default lab through the control plane with the real
// data plane, associates its standalone connection with its LAG while the
// probe runs, and tears everything down whatever happens.
func runDemo(ctx context.Context, o demoOptions) (*demoResult, error) {
	res, n, err := inDemoLab(ctx, o, (*demoLab).run)
	if res != nil {
		res.Namespaces = n
	}
	return res, err
}

// inDemoLab opens a demo lab, runs run in it, and tears it all down
// whatever happens, saying how many namespaces went.
func inDemoLab[R any](ctx context.Context, o demoOptions, run func(*demoLab, context.Context) (R, error)) (res R, n int, err error) {
	if o.Prefix == "" {
		o.Prefix = "dxsim-demo"
	}
	if o.Ready <= 0 {
		o.Ready = 2 * time.Minute
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	l, err := openDemoLab(ctx, o)
	if err != nil {
		return res, 0, err
	}
	defer func() {
		var terr error
		n, terr = l.close()
		err = errors.Join(err, terr)
	}()
	res, err = run(l, ctx)
	return res, n, err
}

func openDemoLab(ctx context.Context, o demoOptions) (*demoLab, error) {
	l := &demoLab{opts: o}
	dir := o.StateDir
	if dir == "" {
		d, err := os.MkdirTemp("", "dxsim-demo-state-")
		if err != nil {
			return nil, err
		}
		dir, l.dir = d, d
	}
	var err error
	if l.store, err = boltstore.Open(dir); err != nil {
		l.close()
		return nil, err
	}
	if l.dp, err = topology.Open(ctx, topology.Options{Backend: o.Dataplane, Prefix: o.Prefix, LACPTimers: o.LACPTimers, Logger: o.Log}); err != nil {
		l.close()
		return nil, err
	}
	backend, _ := l.dp.Backend()
	l.obs = observe.New(l.dp, observe.Config{Backend: backend, PcapDir: o.PcapDir, ProbeRate: o.ProbeRate, Logger: o.Log})
	l.svc, err = sim.New(sim.Config{Catalogue: demoCatalogue(), DataPlane: l.dp, Store: l.store, Log: o.Log})
	if err != nil {
		l.close()
		return nil, err
	}
	// The VIF's BGP, with dxsim's customer router, and its milestones in
	// the report.
	l.ctrl = bgp.NewController(bgp.ControllerConfig{Source: l.svc, Namespaces: l.dp, Log: o.Log, Retry: 500 * time.Millisecond})
	l.obs.FollowBGP(l.ctrl.Subscribe(0))
	// The Region behind the device, routed by BGP, and the routed probe
	// from the customer's network to the VPC.
	l.reg = region.New(region.Config{Source: l.svc, Learner: region.FromBGP(l.ctrl), DataPlane: l.dp, Log: o.Log})
	l.obs.ProbeRouted(l.reg.Targets(region.BuiltinCustomerNets(l.ctrl)))
	return l, nil
}

// demoCatalogue offers one location with one device, the default lab's, so
// the LAG and the standalone connection land on the same device. The device
// is listed twice: a catalogue location needs two, and the control plane
// places ports on a location's devices in turn.
func demoCatalogue() *sim.Catalogue {
	def := lab.Default().Snapshot.Ports[0]
	cat := sim.DefaultCatalogue()
	for _, loc := range cat.Locations {
		if loc.Code == def.Location {
			loc.Devices = []string{def.DeviceID, def.DeviceID}
			cat.Locations = []sim.Location{loc}
			break
		}
	}
	return cat
}

// close stops the control plane, tears the data plane's namespaces down and
// removes a temporary state directory. It runs on a context of its own: the
// caller's may be cancelled already (Ctrl-C).
func (l *demoLab) close() (int, error) {
	var errs []error
	if l.reg != nil {
		errs = append(errs, l.reg.Close())
	}
	if l.ctrl != nil {
		errs = append(errs, l.ctrl.Close())
	}
	if l.svc != nil {
		errs = append(errs, l.svc.Close())
	}
	if l.obs != nil {
		errs = append(errs, l.obs.Close())
	}
	n := 0
	if l.dp != nil {
		// Every namespace under the prefix goes, counted, and then the
		// data plane lets go of its handles on them.
		m, err := topology.TeardownPrefix(l.opts.Prefix)
		n += m
		errs = append(errs, err)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := l.dp.Teardown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("tearing down: %w", err))
		}
		errs = append(errs, l.dp.Close())
	}
	if l.store != nil {
		errs = append(errs, l.store.Close())
	}
	if l.dir != "" {
		errs = append(errs, os.RemoveAll(l.dir))
	}
	return n, errors.Join(errs...)
}

func (l *demoLab) run(ctx context.Context) (*demoResult, error) {
	backend, why := l.dp.Backend()
	p := l.opts.Progress
	fmt.Fprintf(p, "dxsim demo: %s backend (%s)\n", backend, why)
	def := lab.Default().Snapshot
	loc, vifSpec := def.Ports[0].Location, def.VLANs[0]

	fmt.Fprintln(p, "building the default lab through the Direct Connect API...")
	members := 2
	if l.opts.FirstMember {
		members = 0
	}
	view, err := l.svc.CreateLag(ctx, demoAccount, sim.CreateLagInput{NumberOfConnections: members, Location: loc, Bandwidth: "10Gbps", Name: "demo-lag"})
	if err != nil {
		return nil, fmt.Errorf("CreateLag: %w", err)
	}
	lagID := view.LAG.ID
	if members > 0 {
		one := 1
		if _, err := l.svc.UpdateLag(ctx, demoAccount, lagID, sim.UpdateLagInput{MinimumLinks: &one}); err != nil {
			return nil, fmt.Errorf("UpdateLag: %w", err)
		}
	}
	conn, err := l.svc.CreateConnection(ctx, demoAccount, sim.CreateConnectionInput{Location: loc, Bandwidth: "10Gbps", Name: "demo-standalone"})
	if err != nil {
		return nil, fmt.Errorf("CreateConnection: %w", err)
	}
	vif, err := l.svc.CreateVirtualInterface(ctx, demoAccount, sim.CreateVIFInput{
		Type: sim.VIFPrivate, ConnectionID: conn.ID, Name: "demo-vif", VLAN: vifSpec.VLAN, ASN: 65000,
		AmazonAddress: vifSpec.AmazonAddress, CustomerAddress: vifSpec.CustomerAddress,
		AddressFamily: "ipv4", VirtualGatewayID: "vgw-0123456789abcdef0",
	})
	if err != nil {
		return nil, fmt.Errorf("CreatePrivateVirtualInterface: %w", err)
	}
	if err := l.waitReady(ctx, lagID, members > 0); err != nil {
		return nil, err
	}
	if members > 0 {
		fmt.Fprintf(p, "  %s  available, minimumLinks 1, members %s %s\n", lagID, view.Members[0].ID, view.Members[1].ID)
	} else {
		fmt.Fprintf(p, "  %s  no members yet\n", lagID)
	}
	fmt.Fprintf(p, "  %s  available, standalone, carrying %s (VLAN %d)\n", conn.ID, vif.ID, vif.VLAN)
	if s, ok := l.waitBGP(ctx, vif.ID); ok {
		fmt.Fprintf(p, "  %s  BGP established with the customer router (AS %d <-> AS %d), %d prefix(es) from it\n",
			vif.ID, vif.ASN, vif.AmazonSideASN, s.Prefixes)
	} else {
		fmt.Fprintf(p, "  %s  BGP not established within %s: the report has no BGP milestones\n", vif.ID, demoBGPWait)
	}

	if !l.waitRouted(ctx, vif.ID) {
		fmt.Fprintf(p, "  %s  no route back from the VPC within %s: the report has no routed probe\n", vif.ID, demoBGPWait)
	}

	changes, unsubscribe := l.svc.Subscribe(1024)
	defer unsubscribe()
	fmt.Fprintf(p, "AssociateConnectionWithLag %s -> %s, probing at %d frames/s...\n", conn.ID, lagID, l.probeRate())
	if _, err := l.svc.AssociateConnectionWithLag(ctx, demoAccount, conn.ID, lagID); err != nil {
		return nil, fmt.Errorf("AssociateConnectionWithLag: %w", err)
	}
	rep, err := l.obs.Wait(ctx, conn.ID)
	if err != nil {
		return nil, err
	}
	res := &demoResult{Interruption: rep, BackendWhy: why, VIFID: vif.ID}
	res.APIStates = l.apiStates(ctx, changes, conn.ID)
	return res, nil
}

// demoBGPWait is how long the demo waits for the VIF's BGP before it
// associates.
const demoBGPWait = time.Minute

// waitBGP waits until the VIF's session is established with the customer's
// prefix.
func (l *demoLab) waitBGP(ctx context.Context, vifID string) (sim.BGPSession, bool) {
	ctx, cancel := context.WithTimeout(ctx, demoBGPWait)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		for _, s := range l.svc.BGPSessions() {
			if s.VIFID == vifID && s.Up() && s.Prefixes > 0 {
				return s, true
			}
		}
		select {
		case <-ctx.Done():
			return sim.BGPSession{}, false
		case <-tick.C:
		}
	}
}

// apiStates collects the states the control plane gave the connection after
// the request, until it is available again.
func (l *demoLab) apiStates(ctx context.Context, changes <-chan sim.StateChange, id string) []string {
	var states []string
	timeout := time.After(10 * time.Second)
	for {
		select {
		case c, ok := <-changes:
			if !ok {
				return states
			}
			if c.Fault != nil || c.ID != id || (len(states) > 0 && states[len(states)-1] == c.To) {
				continue
			}
			states = append(states, c.To)
			if c.To == sim.StateAvailable {
				return states
			}
		case <-timeout:
			return states
		case <-ctx.Done():
			return states
		}
	}
}

// waitReady waits until every connection is available, and the LAG too if
// it has members.
func (l *demoLab) waitReady(ctx context.Context, lagID string, lagToo bool) error {
	ctx, cancel := context.WithTimeout(ctx, l.opts.Ready)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		conns, err := l.svc.Connections(demoAccount, "")
		if err != nil {
			return err
		}
		lags, err := l.svc.LAGs(demoAccount, lagID)
		if err != nil {
			return err
		}
		ready := len(lags) == 1 && (!lagToo || lags[0].LAG.State == sim.StateAvailable)
		for _, c := range conns {
			ready = ready && c.State == sim.StateAvailable && !c.Transitioning
		}
		if ready {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for the lab to come up: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

func (l *demoLab) probeRate() int {
	if l.opts.ProbeRate > 0 {
		return l.opts.ProbeRate
	}
	return probe.DefaultRate
}

// waitRouted waits until the Region sends the customer's traffic back over
// the VIF: the routed probe then has a path to measure.
func (l *demoLab) waitRouted(ctx context.Context, vifID string) bool {
	ctx, cancel := context.WithTimeout(ctx, demoBGPWait)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if spec, ok := l.reg.Spec(); ok {
			for _, r := range spec.Returns {
				if r.VIFID == vifID {
					return true
				}
			}
		}
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
}
