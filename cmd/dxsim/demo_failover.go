package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/bus"
	"github.com/dxsim/dxsim/topology/bgp"
	"github.com/dxsim/dxsim/topology/probe"
	"github.com/dxsim/dxsim/topology/region"
)

// The failover demo: two VIFs from one customer router into one Direct
// Connect gateway, associated with a VPC's virtual private gateway; the
// routed probe runs from the customer's network to the VPC while a BGP
// failover test takes the session of the VIF that carries the traffic (the
// one with the lower ID) down and then brings it back. The VIFs' packet counters in the DX device's namespace say which
// one carried the probe's traffic, each way, before, during and after.

// failoverPhaseLen is how long each phase of the failover demo runs.
const failoverPhaseLen = 3 * time.Second

// failoverResult is what a failover demo measured.
type failoverResult struct {
	Backend    string   `json:"backend"`
	BackendWhy string   `json:"backendReason"`
	Gateway    string   `json:"directConnectGatewayId"`
	VIFs       []string `json:"vifIds"` // the first is the one tested
	TestID     string   `json:"testId"`
	From       string   `json:"from"`
	To         string   `json:"to"`
	Rate       int      `json:"rate"`
	// Phases say which VIF carried the probe's traffic each way.
	Phases []failoverPhase `json:"phases"`
	// Events are timed from the failover test's start.
	Events []failoverEvent `json:"events"`
	// Outages are the routed probe's runs of lost datagrams, timed from
	// the test's start; LongestMS the longest.
	Outages    []sim.ProbeOutage `json:"outages"`
	LongestMS  *float64          `json:"longest_outage_ms"`
	Sent       uint64            `json:"sent"`
	Lost       int               `json:"lost"`
	Namespaces int               `json:"-"`
}

// failoverPhase is one phase's traffic: for each direction, the VIF whose
// interface on the DX device counted most of the probe's packets.
type failoverPhase struct {
	Name       string            `json:"name"`
	ToAWS      string            `json:"toAws"`
	ToCustomer string            `json:"toCustomer"`
	Packets    map[string][2]int `json:"packets"` // by VIF: from the customer, to the customer
}

// failoverEvent is one thing that happened, timed from the test's start.
type failoverEvent struct {
	TMS  float64 `json:"t_ms"`
	What string  `json:"what"`
}

// runFailoverDemo runs the failover demo and tears everything down.
func runFailoverDemo(ctx context.Context, o demoOptions) (*failoverResult, error) {
	res, n, err := inDemoLab(ctx, o, (*demoLab).failover)
	if res != nil {
		res.Namespaces = n
	}
	return res, err
}

func (l *demoLab) failover(ctx context.Context) (*failoverResult, error) {
	backend, why := l.dp.Backend()
	p := l.opts.Progress
	fmt.Fprintf(p, "dxsim demo --failover: %s backend (%s)\n", backend, why)
	res := &failoverResult{Backend: backend, BackendWhy: why, Rate: l.probeRate()}
	vifs, err := l.buildFailover(ctx, res)
	if err != nil {
		return res, err
	}
	awsNS, custNS := l.dp.Namespaces(vifs[0].Device)
	from, ok := region.BuiltinCustomerNets(l.ctrl)(vifs[0].ID)
	if !ok {
		return res, fmt.Errorf("the customer router has no network yet")
	}
	vgw, _ := sim.DefaultCatalogue().VirtualGateway(demoVGW)
	to := netip.MustParsePrefix(vgw.VPCCIDRs[0]).Addr().Next()
	res.From, res.To = from.Addr().Next().String(), to.String()

	fromNS, err := netns.GetFromName(custNS)
	if err != nil {
		return res, err
	}
	defer fromNS.Close()
	spec, _ := l.reg.Spec() // set: buildFailover waited for its return path
	toNS, err := netns.GetFromName(l.dp.RegionNamespace(spec.Name))
	if err != nil {
		return res, err
	}
	defer toNS.Close()
	marks := collect(l.ctrl.Subscribe(10_000))
	moves := collect(l.reg.SubscribeMoves(10_000))
	prb, err := probe.StartRouted(probe.RoutedConfig{FromNS: fromNS, From: from.Addr().Next(), ToNS: toNS, To: to, Rate: res.Rate, Logger: l.opts.Log})
	if err != nil {
		return res, err
	}
	defer prb.Stop()
	counters := func() map[string][2]int { return vifCounters(awsNS, vifs) }

	fmt.Fprintf(p, "routed probe %s -> %s and back at %d/s; each phase %s\n", res.From, res.To, res.Rate, failoverPhaseLen)
	phase := func(name string) {
		before := counters()
		time.Sleep(failoverPhaseLen)
		res.Phases = append(res.Phases, carried(name, before, counters()))
	}
	phase("before")
	start := time.Now()
	test, err := l.svc.StartFailoverTest(ctx, demoAccount, vifs[0].ID, nil, 0)
	if err != nil {
		return res, fmt.Errorf("StartBgpFailoverTest: %w", err)
	}
	res.TestID = test.ID
	fmt.Fprintf(p, "StartBgpFailoverTest on %s (%s)\n", vifs[0].ID, test.ID)
	phase("during")
	stopped := time.Now()
	if _, err := l.svc.StopFailoverTest(ctx, demoAccount, vifs[0].ID); err != nil {
		return res, fmt.Errorf("StopBgpFailoverTest: %w", err)
	}
	fmt.Fprintf(p, "StopBgpFailoverTest on %s\n", vifs[0].ID)
	if _, ok := l.waitBGP(ctx, vifs[0].ID); !ok {
		fmt.Fprintf(p, "  %s: BGP not back within %s\n", vifs[0].ID, demoBGPWait)
	}
	phase("after")
	r := prb.Stop()

	since := func(t time.Time) float64 { return float64(t.Sub(start).Microseconds()) / 1000 }
	res.Events = append(res.Events, failoverEvent{0, "StartBgpFailoverTest " + vifs[0].ID}, failoverEvent{since(stopped), "StopBgpFailoverTest " + vifs[0].ID})
	for _, m := range marks() {
		if m.Side == bgp.SideAmazon && m.From == "" && m.VIFID == vifs[0].ID && !m.Time.Before(start) {
			res.Events = append(res.Events, failoverEvent{since(m.Time), fmt.Sprintf("Amazon's session on %s: %s, %d prefixes", m.VIFID, m.State, m.Accepted)})
		}
	}
	for _, m := range moves() {
		if !m.Time.Before(start) {
			res.Events = append(res.Events, failoverEvent{since(m.Time), fmt.Sprintf("return path of %s in %s: %s -> %s", m.Prefix, m.Network, labOr(m.From, "none"), labOr(m.To, "none"))})
		}
	}
	slices.SortStableFunc(res.Events, func(a, b failoverEvent) int { return cmp.Compare(a.TMS, b.TMS) })
	res.Sent, res.Lost = r.Sent, r.Lost
	for _, o := range r.Outages {
		if o.LastBefore.At.IsZero() || o.FirstAfter.At.IsZero() {
			continue
		}
		res.Outages = append(res.Outages, sim.ProbeOutage{FromMS: since(o.LastBefore.At), ToMS: since(o.FirstAfter.At), Lost: o.Lost})
	}
	if d := r.Outage.Duration(); d > 0 {
		v := float64(d.Microseconds()) / 1000
		res.LongestMS = &v
	}
	return res, nil
}

// demoVGW is the virtual private gateway (and VPC) the failover demo's
// Direct Connect gateway is associated with.
const demoVGW = "vgw-0123456789abcdef0"

// buildFailover makes two connections, a Direct Connect gateway associated
// with the VPC, and a private VIF on each connection into it, and waits for
// both sessions and the Region's return route.
func (l *demoLab) buildFailover(ctx context.Context, res *failoverResult) ([]*sim.VIF, error) {
	p := l.opts.Progress
	fmt.Fprintln(p, "building two VIFs into one Direct Connect gateway through the API...")
	def := l.defaultLocation()
	gw, err := l.svc.CreateDirectConnectGateway(ctx, demoAccount, sim.CreateGatewayInput{Name: "demo-gateway"})
	if err != nil {
		return nil, fmt.Errorf("CreateDirectConnectGateway: %w", err)
	}
	res.Gateway = gw.ID
	if _, err := l.svc.CreateDirectConnectGatewayAssociation(ctx, demoAccount, sim.CreateAssociationInput{GatewayID: gw.ID, AssociatedID: demoVGW}); err != nil {
		return nil, fmt.Errorf("CreateDirectConnectGatewayAssociation: %w", err)
	}
	var vifs []*sim.VIF
	for i := range 2 {
		c, err := l.svc.CreateConnection(ctx, demoAccount, sim.CreateConnectionInput{Location: def, Bandwidth: "10Gbps", Name: fmt.Sprintf("demo-%d", i+1)})
		if err != nil {
			return nil, fmt.Errorf("CreateConnection: %w", err)
		}
		v, err := l.svc.CreateVirtualInterface(ctx, demoAccount, sim.CreateVIFInput{Type: sim.VIFPrivate, ConnectionID: c.ID,
			Name: fmt.Sprintf("demo-vif-%d", i+1), VLAN: 101 + i, ASN: 65000, DirectConnectGatewayID: gw.ID})
		if err != nil {
			return nil, fmt.Errorf("CreatePrivateVirtualInterface: %w", err)
		}
		vifs = append(vifs, v)
		res.VIFs = append(res.VIFs, v.ID)
	}
	// The one tested first: the VIF with the lower ID, which carries the
	// traffic both ways while both are up (Amazon's tie-break, and the
	// builtin customer router's metrics).
	slices.SortFunc(vifs, func(a, b *sim.VIF) int { return strings.Compare(a.ID, b.ID) })
	res.VIFs = res.VIFs[:0]
	for _, v := range vifs {
		res.VIFs = append(res.VIFs, v.ID)
	}
	for _, v := range vifs {
		s, ok := l.waitBGP(ctx, v.ID)
		if !ok {
			return nil, fmt.Errorf("%s: BGP not established within %s", v.ID, demoBGPWait)
		}
		fmt.Fprintf(p, "  %s  on %s, BGP established (AS %d <-> AS %d), %d prefix(es) from the customer\n", v.ID, v.ConnectionID, v.ASN, v.AmazonSideASN, s.Prefixes)
	}
	ctx, cancel := context.WithTimeout(ctx, demoBGPWait)
	defer cancel()
	for {
		if spec, ok := l.reg.Spec(); ok && len(spec.Returns) > 0 {
			fmt.Fprintf(p, "  the VPC's return path to %s: %s\n", spec.Returns[0].Prefix, spec.Returns[0].VIFID)
			return vifs, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("no return path from the VPC within %s", demoBGPWait)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (l *demoLab) defaultLocation() string { return demoCatalogue().Locations[0].Code }

// vifCounters reads the VIFs' packet counters in the DX device's namespace:
// received (from the customer) and sent (to it).
func vifCounters(nsName string, vifs []*sim.VIF) map[string][2]int {
	out := map[string][2]int{}
	ns, err := netns.GetFromName(nsName)
	if err != nil {
		return out
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		return out
	}
	defer h.Close()
	for _, v := range vifs {
		if l, err := h.LinkByName(v.ID); err == nil && l.Attrs().Statistics != nil {
			st := l.Attrs().Statistics
			out[v.ID] = [2]int{int(st.RxPackets), int(st.TxPackets)}
		}
	}
	return out
}

// carried names, for each direction, the VIF that counted the most packets
// between two readings.
func carried(name string, before, after map[string][2]int) failoverPhase {
	ph := failoverPhase{Name: name, Packets: map[string][2]int{}}
	var best [2]int
	for _, id := range slices.Sorted(maps.Keys(after)) {
		d := [2]int{after[id][0] - before[id][0], after[id][1] - before[id][1]}
		ph.Packets[id] = d
		if d[0] > best[0] {
			best[0], ph.ToAWS = d[0], id
		}
		if d[1] > best[1] {
			best[1], ph.ToCustomer = d[1], id
		}
	}
	return ph
}

// printFailover prints the failover demo's phases, timeline and outages.
func printFailover(w io.Writer, r *failoverResult) {
	fmt.Fprintf(w, "\n%-8s  %-16s  %-16s  packets (from / to the customer)\n", "phase", "to AWS via", "to customer via")
	for _, ph := range r.Phases {
		var counts []string
		for _, id := range slices.Sorted(maps.Keys(ph.Packets)) {
			counts = append(counts, fmt.Sprintf("%s %d/%d", id, ph.Packets[id][0], ph.Packets[id][1]))
		}
		fmt.Fprintf(w, "%-8s  %-16s  %-16s  %v\n", ph.Name, labOr(ph.ToAWS, "-"), labOr(ph.ToCustomer, "-"), counts)
	}
	fmt.Fprintf(w, "\n%10s  %s\n", "t (ms)", "event")
	for _, e := range r.Events {
		fmt.Fprintf(w, "%10.1f  %s\n", e.TMS, e.What)
	}
	fmt.Fprintf(w, "\nrouted probe %s -> %s and back at %d/s: %d of %d lost\n", r.From, r.To, r.Rate, r.Lost, r.Sent)
	for _, o := range r.Outages {
		fmt.Fprintf(w, "  outage from %.1f to %.1f ms: %d lost (%.1f ms)\n", o.FromMS, o.ToMS, o.Lost, o.ToMS-o.FromMS)
	}
	fmt.Fprintf(w, "  longest outage %s\n", msOr(r.LongestMS))
	if r.Namespaces > 0 {
		fmt.Fprintf(w, "torn down: %d namespaces deleted\n", r.Namespaces)
	}
}

// collect keeps what a subscription delivers, in the background, until
// the returned function is called: it closes the subscription and returns
// everything delivered.
func collect[T any](sub *bus.Sub[T]) func() []T {
	var got []T
	done := make(chan struct{})
	go func() {
		defer close(done)
		for v := range sub.C() {
			got = append(got, v)
		}
	}()
	return func() []T {
		sub.Close()
		<-done
		return got
	}
}
