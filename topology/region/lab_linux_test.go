package region_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology"
	"github.com/dxsim/dxsim/topology/bgp"
	"github.com/dxsim/dxsim/topology/netnstest"
	"github.com/dxsim/dxsim/topology/observe"
	"github.com/dxsim/dxsim/topology/probe"
	"github.com/dxsim/dxsim/topology/region"
)

const acct = "123456789012"

// lab is a control plane over a real data plane with BGP (dxsim's customer
// router) and the Region, for one test.
type lab struct {
	dp   *topology.DataPlane
	svc  *sim.Service
	ctrl *bgp.Controller
	reg  *region.Controller
	log  *slog.Logger
}

// newLab runs on the userspace data plane, or the kernel's where the
// kernel must have bonding and 802.1Q (scripts/vmtest). Its log is printed
// if the test fails.
func newLab(t *testing.T) *lab { return newLabWith(t, bgp.CustomerBuiltin) }

// newLabWith is newLab with the customer router given: builtin or none.
func newLabWith(t *testing.T, customer string) *lab {
	t.Helper()
	netnstest.RequireRoot(t)
	var b [4]byte
	_, _ = rand.Read(b[:])
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the lab's log:\n%s", logs.String())
		}
	})
	backend := "userspace"
	if os.Getenv(netnstest.RequireKernelEnv) == "1" {
		backend = "kernel"
	}
	ctx := context.Background()
	dp, err := topology.Open(ctx, topology.Options{Backend: backend, Prefix: "dxsim" + hex.EncodeToString(b[:]), Logger: log, PollInterval: 50 * time.Millisecond})
	if err != nil {
		netnstest.Skip(t, backend+" data plane unavailable: "+err.Error())
	}
	t.Cleanup(func() {
		assert.NoError(t, dp.Teardown(context.Background()), "teardown")
		dp.Close()
	})
	sched := sim.DefaultSchedule()
	sched.Confirm = 100 * time.Millisecond
	svc, err := sim.New(sim.Config{DataPlane: dp, Log: log, Schedule: &sched})
	require.NoError(t, err)
	t.Cleanup(func() { svc.Close() })
	ctrl := bgp.NewController(bgp.ControllerConfig{Source: svc, Namespaces: dp, Customer: customer, Log: log, Retry: 500 * time.Millisecond})
	t.Cleanup(func() { assert.NoError(t, ctrl.Close()) })
	l := &lab{dp: dp, svc: svc, ctrl: ctrl, log: log}
	l.reg = l.region()
	t.Cleanup(func() { assert.NoError(t, l.reg.Close()) })
	return l
}

// region starts a Region controller on the lab.
func (l *lab) region() *region.Controller {
	return region.New(region.Config{Source: l.svc, Learner: region.FromBGP(l.ctrl), DataPlane: l.dp, Log: l.log, Repair: 500 * time.Millisecond})
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// vifs makes n connections with a private VIF each, into one Direct
// Connect gateway associated with the first VPC of the catalogue (with
// allowed prefixes when given), and waits for every session and a return
// path from the VPC.
func (l *lab) vifs(t *testing.T, n int, allowed ...string) ([]*sim.VIF, sim.VirtualGateway) {
	t.Helper()
	out, vgw := l.makeVIFs(t, n, allowed...)
	l.waitUp(t, out)
	return out, vgw
}

// makeVIFs is vifs without the wait.
func (l *lab) makeVIFs(t *testing.T, n int, allowed ...string) ([]*sim.VIF, sim.VirtualGateway) {
	t.Helper()
	ctx := context.Background()
	vgw := sim.DefaultCatalogue().VirtualGatewaysIn("us-east-1")[0]
	gw, err := l.svc.CreateDirectConnectGateway(ctx, acct, sim.CreateGatewayInput{Name: "gw"})
	require.NoError(t, err)
	_, err = l.svc.CreateDirectConnectGatewayAssociation(ctx, acct, sim.CreateAssociationInput{GatewayID: gw.ID, AssociatedID: vgw.ID, Prefixes: allowed})
	require.NoError(t, err)
	var out []*sim.VIF
	var device string
	for i := range n {
		c, err := l.svc.CreateConnection(ctx, acct, sim.CreateConnectionInput{Location: "EqDC2", Bandwidth: "10Gbps", Name: "c"})
		require.NoError(t, err)
		if device == "" {
			device = c.Device
		}
		require.Equal(t, device, c.Device, "the account's connections share a device: one customer router")
		v, err := l.svc.CreateVirtualInterface(ctx, acct, sim.CreateVIFInput{Type: sim.VIFPrivate, ConnectionID: c.ID, Name: "v", VLAN: 101 + i, ASN: 65000, DirectConnectGatewayID: gw.ID})
		require.NoError(t, err)
		out = append(out, v)
	}
	return out, vgw
}

// waitUp waits for every VIF's session, with prefixes, and a return path
// from the VPC.
func (l *lab) waitUp(t *testing.T, out []*sim.VIF) {
	t.Helper()
	require.Eventually(t, func() bool {
		up := map[string]bool{}
		for _, s := range l.svc.BGPSessions() {
			up[s.VIFID] = s.Up() && s.Prefixes > 0
		}
		for _, v := range out {
			if !up[v.ID] {
				return false
			}
		}
		spec, ok := l.reg.Spec()
		return ok && len(spec.Returns) > 0
	}, 2*time.Minute, 50*time.Millisecond, "every session up and a return path: %+v", l.svc.BGPSessions())
}

// probeFrom starts a routed probe from the customer's network to addr.
func (l *lab) probeFrom(t *testing.T, v *sim.VIF, to netip.Addr) *probe.Routed {
	t.Helper()
	from, ok := region.BuiltinCustomerNets(l.ctrl)(v.ID)
	require.True(t, ok, "the customer router's network: %+v", l.ctrl.Customer())
	return l.probeFromAddr(t, v.Device, from.Masked().Addr().Next(), to)
}

// probeFromAddr starts a routed probe from an address of the customer
// router of device to addr.
func (l *lab) probeFromAddr(t *testing.T, device string, from, to netip.Addr) *probe.Routed {
	t.Helper()
	_, custNS := l.dp.Namespaces(device)
	fromNS, err := netns.GetFromName(custNS)
	require.NoError(t, err)
	defer fromNS.Close()
	toNS, err := netns.GetFromName(l.dp.RegionNamespace("us-east-1"))
	require.NoError(t, err)
	defer toNS.Close()
	p, err := probe.StartRouted(probe.RoutedConfig{FromNS: fromNS, From: from, ToNS: toNS, To: to})
	require.NoError(t, err)
	t.Cleanup(func() { p.Stop() })
	return p
}

// echoSince waits for an echo after t.
func echoSince(t *testing.T, p *probe.Routed, since time.Time, within time.Duration, what string) {
	t.Helper()
	require.Eventually(t, func() bool {
		a, ok := p.Last()
		return ok && a.At.After(since)
	}, within, 5*time.Millisecond, what)
}

func returnVIF(t *testing.T, l *lab) string {
	t.Helper()
	spec, ok := l.reg.Spec()
	require.True(t, ok)
	require.NotEmpty(t, spec.Returns)
	return spec.Returns[0].VIFID
}

func vpcAddr(vgw sim.VirtualGateway) netip.Addr {
	return netip.MustParsePrefix(vgw.VPCCIDRs[0]).Addr().Next()
}

// TestFailoverBetweenTwoVIFs: two VIFs into one Direct Connect gateway; a
// failover test on the one carrying the traffic moves it to the other
// within the withdrawal, not BGP's timers; stopping the test brings it
// back (the tie goes to the lower VIF ID) without loss worth a timer.
func TestFailoverBetweenTwoVIFs(t *testing.T) {
	l := newLab(t)
	vifs, vgw := l.vifs(t, 2)
	first := vifs[0].ID
	if vifs[1].ID < first {
		first = vifs[1].ID
	}
	// Once both VIFs' routes are learned (the sessions may be up a moment
	// before), the tie goes to the lower VIF ID.
	require.Eventually(t, func() bool { return returnVIF(t, l) == first }, 30*time.Second, 10*time.Millisecond,
		"the tie goes to the lower VIF ID")
	p := l.probeFrom(t, vifs[0], vpcAddr(vgw))
	echoSince(t, p, time.Time{}, 30*time.Second, "the VPC answers before the test")

	ctx := context.Background()
	started := time.Now()
	_, err := l.svc.StartFailoverTest(ctx, acct, first, nil, 0)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return returnVIF(t, l) != first }, 30*time.Second, 5*time.Millisecond, "the return path leaves the tested VIF")
	echoSince(t, p, time.Now(), 10*time.Second, "the VPC answers during the test, over the other VIF")
	time.Sleep(time.Second)
	stopped := time.Now()
	_, err = l.svc.StopFailoverTest(ctx, acct, first)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return returnVIF(t, l) == first }, 2*time.Minute, 20*time.Millisecond, "the return path comes back")
	echoSince(t, p, time.Now(), 10*time.Second, "the VPC answers after the test")
	r := p.Stop()
	var during time.Duration
	for _, o := range r.Outages {
		t.Logf("routed outage: %d lost, %s (from %s after the test started)", o.Lost, o.Duration(), o.LastBefore.At.Sub(started))
		if o.LastBefore.At.Before(stopped) {
			during = max(during, o.Duration())
		}
	}
	t.Logf("routed probe: %d of %d lost; the test's outage %s", r.Lost, r.Sent, during)
	// Bounded by the withdrawal, far from BGP's 90 s hold or its seconds
	// of reconnection: a generous bound for a loaded machine.
	assert.Less(t, during, 2*time.Second, "the outage the failover test caused")
}

// TestFailoverWithOneVIF: with one VIF, the failover test cuts the VPC off
// until it is stopped; then the VPC answers again.
func TestFailoverWithOneVIF(t *testing.T) {
	l := newLab(t)
	vifs, vgw := l.vifs(t, 1)
	p := l.probeFrom(t, vifs[0], vpcAddr(vgw))
	echoSince(t, p, time.Time{}, 30*time.Second, "the VPC answers before the test")
	ctx := context.Background()
	_, err := l.svc.StartFailoverTest(ctx, acct, vifs[0].ID, nil, 0)
	require.NoError(t, err)
	require.Eventually(t, func() bool { spec, _ := l.reg.Spec(); return len(spec.Returns) == 0 }, 30*time.Second, 5*time.Millisecond,
		"no return path while the only session is down")
	time.Sleep(500 * time.Millisecond)
	quiet := time.Now()
	time.Sleep(500 * time.Millisecond)
	a, _ := p.Last()
	assert.True(t, a.At.Before(quiet), "no echo while the only VIF's session is down (last %v, quiet from %v)", a.At, quiet)
	_, err = l.svc.StopFailoverTest(ctx, acct, vifs[0].ID)
	require.NoError(t, err)
	echoSince(t, p, time.Now(), 2*time.Minute, "the VPC answers once the test stops")
}

// TestAllowedPrefixesRestrict: an association's allowed prefixes are all
// the customer learns and all its traffic may reach: an address of the VPC
// outside them is unreachable.
func TestAllowedPrefixesRestrict(t *testing.T) {
	l := newLab(t)
	vgw := sim.DefaultCatalogue().VirtualGatewaysIn("us-east-1")[0]
	vpc := netip.MustParsePrefix(vgw.VPCCIDRs[0])
	allowed := netip.PrefixFrom(vpc.Addr(), vpc.Bits()+1) // the VPC's lower half: 10.x.0.1 is in it
	vifs, _ := l.vifs(t, 1, allowed.String())
	_, custNS := l.dp.Namespaces(vifs[0].Device)
	ns, err := netns.GetFromName(custNS)
	require.NoError(t, err)
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	require.NoError(t, err)
	defer h.Close()
	routes, err := h.RouteList(nil, netlink.FAMILY_V4)
	require.NoError(t, err)
	var learned []string
	for _, r := range routes {
		if r.Protocol == 186 && r.Dst != nil {
			learned = append(learned, r.Dst.String())
		}
	}
	assert.Equal(t, []string{allowed.String()}, learned, "the customer learns the allowed prefix only")
	p := l.probeFrom(t, vifs[0], vpc.Addr().Next())
	echoSince(t, p, time.Time{}, 30*time.Second, "an address in the allowed prefix answers")
	r := p.Stop()
	assert.NotZero(t, r.Received)
}

// TestRegionRepairsAHandEdit: the Region's tables flushed by hand are put
// back at the next repair, and the VPC answers again.
func TestRegionRepairsAHandEdit(t *testing.T) {
	l := newLab(t)
	vifs, vgw := l.vifs(t, 1)
	p := l.probeFrom(t, vifs[0], vpcAddr(vgw))
	echoSince(t, p, time.Time{}, 30*time.Second, "the VPC answers")
	ns, err := netns.GetFromName(l.dp.RegionNamespace("us-east-1"))
	require.NoError(t, err)
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	require.NoError(t, err)
	defer h.Close()
	rules, err := h.RuleList(netlink.FAMILY_ALL)
	require.NoError(t, err)
	n := 0
	for i := range rules {
		if rules[i].Table >= 0x10000000 && rules[i].Table < 0x20000000 {
			require.NoError(t, h.RuleDel(&rules[i]))
			n++
		}
	}
	require.NotZero(t, n, "the Region's rules")
	edited := time.Now()
	echoSince(t, p, edited.Add(100*time.Millisecond), 30*time.Second, "the VPC answers again once repaired")
	r := p.Stop()
	assert.NotZero(t, r.Outage.Lost, "the hand edit cut the VPC off until repaired")
	t.Logf("cut off by the hand edit for %s", r.Outage.Duration())

	// A restart of the Region's controller (as of dxsim) with the tables
	// gone meanwhile: it sets them all again.
	require.NoError(t, l.reg.Close())
	rules, err = h.RuleList(netlink.FAMILY_ALL)
	require.NoError(t, err)
	for i := range rules {
		if rules[i].Table >= 0x10000000 && rules[i].Table < 0x20000000 {
			require.NoError(t, h.RuleDel(&rules[i]))
		}
	}
	l.reg = l.region()
	p = l.probeFrom(t, vifs[0], vpcAddr(vgw))
	echoSince(t, p, time.Time{}, 30*time.Second, "the VPC answers after a restart")
}

// TestCommunitiesChooseTheReturnPath: the customer's own router (here a
// speaker of dxsim's, as FRR would be) advertises its network on two VIFs,
// on the second with 7224:7300 (high preference): Amazon sends the VPC's
// traffic back by the second, though the first has the lower ID; without
// the community, back by the first.
func TestCommunitiesChooseTheReturnPath(t *testing.T) {
	l := newLabWith(t, bgp.CustomerNone)
	vifs, vgw := l.makeVIFs(t, 2)
	slices.SortFunc(vifs, func(a, b *sim.VIF) int { return strings.Compare(a.ID, b.ID) })
	awsNS, custNS := l.dp.Namespaces(vifs[0].Device)
	ns, err := netns.GetFromName(custNS)
	require.NoError(t, err)
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	require.NoError(t, err)
	defer h.Close()
	customer := netip.MustParsePrefix("100.64.77.0/24")
	lo, err := h.LinkByName("lo")
	require.NoError(t, err)
	require.NoError(t, h.LinkSetUp(lo))
	require.NoError(t, h.AddrAdd(lo, &netlink.Addr{IPNet: &net.IPNet{IP: net.IPv4(100, 64, 77, 1), Mask: net.CIDRMask(24, 32)}}))
	sp, err := bgp.Start(ns, custNS+"-own", l.log)
	require.NoError(t, err)
	defer sp.Close()
	ctx := context.Background()
	set := func(high bool) {
		t.Helper()
		for i, v := range vifs {
			rt := bgp.Route{Prefix: customer}
			if high && i == 1 {
				rt.Communities = []uint32{region.CommunityHigh}
			}
			peer := v.BGPPeers()[0]
			require.NoError(t, sp.Set(ctx, bgp.Router{ID: v.ID, ASN: uint32(v.ASN), RouterID: netip.MustParseAddr("100.64.77.1"),
				Install: true, Metric: uint32(100 + i), Announce: []bgp.Route{rt},
				Peers: []bgp.Peer{{Local: netip.MustParsePrefix(peer.CustomerAddress).Addr(), Address: netip.MustParsePrefix(peer.AmazonAddress).Addr(),
					ASN: uint32(v.AmazonSideASN), AuthKey: peer.AuthKey}}}))
		}
	}
	set(false)
	l.waitUp(t, vifs)
	require.Eventually(t, func() bool { return returnVIF(t, l) == vifs[0].ID }, 30*time.Second, 10*time.Millisecond,
		"no community: once both VIFs' routes are learned, the tie goes to the lower VIF ID")
	p := l.probeFromAddr(t, vifs[0].Device, netip.MustParseAddr("100.64.77.1"), vpcAddr(vgw))
	echoSince(t, p, time.Time{}, 30*time.Second, "the VPC answers")

	set(true)
	require.Eventually(t, func() bool { return returnVIF(t, l) == vifs[1].ID }, 30*time.Second, 10*time.Millisecond,
		"7224:7300 on the second VIF: Amazon prefers it")
	echoSince(t, p, time.Now(), 10*time.Second, "the VPC answers over the preferred VIF")
	sent := func() uint64 {
		aws, err := netns.GetFromName(awsNS)
		require.NoError(t, err)
		defer aws.Close()
		ah, err := netlink.NewHandleAt(aws, unix.NETLINK_ROUTE)
		require.NoError(t, err)
		defer ah.Close()
		link, err := ah.LinkByName(vifs[1].ID)
		require.NoError(t, err)
		return link.Attrs().Statistics.TxPackets
	}
	before := sent()
	time.Sleep(500 * time.Millisecond)
	assert.Greater(t, sent()-before, uint64(200), "the VPC's echoes leave by the second VIF (1,000 a second)")
}

// TestFailoverTestReport: the observer's report of a failover test on the
// VIF carrying the traffic, with a second VIF to take it: the session down,
// the test completed, the session back with its routes, in order; the
// routed probe ran around the start and around the end, and lost little.
func TestFailoverTestReport(t *testing.T) {
	l := newLab(t)
	vifs, _ := l.vifs(t, 2)
	slices.SortFunc(vifs, func(a, b *sim.VIF) int { return strings.Compare(a.ID, b.ID) })
	obs := observe.New(l.dp, observe.Config{Backend: "test", PcapDir: t.TempDir()})
	defer obs.Close()
	obs.FollowBGP(l.ctrl.Subscribe(0))
	nets := region.BuiltinCustomerNets(l.ctrl)
	obs.FollowFailoverTests(l.svc, l.reg.VIFTarget(nets))
	ctx := context.Background()
	test, err := l.svc.StartFailoverTest(ctx, acct, vifs[0].ID, nil, 0)
	require.NoError(t, err)
	time.Sleep(2 * time.Second)
	_, err = l.svc.StopFailoverTest(ctx, acct, vifs[0].ID)
	require.NoError(t, err)
	var rep *sim.FailoverReport
	require.Eventually(t, func() bool {
		r, ok := obs.FailoverReport(test.ID)
		rep = r
		return ok && r.Done
	}, 2*time.Minute, 50*time.Millisecond, "the report is done")
	t.Logf("report: %+v", rep.Milestones)
	var at []float64
	for _, name := range []string{sim.MilestoneTestStarted, sim.MilestoneBGPDown, sim.MilestoneTestCompleted, sim.MilestoneBGPEstablished, sim.MilestoneRoutesRestored} {
		m, ok := rep.Milestone(name)
		require.True(t, ok, "%s in %+v", name, rep.Milestones)
		at = append(at, m.TMS)
	}
	assert.IsNonDecreasing(t, at, "started, down, completed, established, restored")
	require.NotNil(t, rep.Failover, "the probe around the start")
	require.NotNil(t, rep.Return, "the probe around the end")
	assert.NotZero(t, rep.Failover.Sent)
	assert.NotZero(t, rep.Return.Sent)
	// Another VIF takes the traffic: the loss is the withdrawal's, far
	// below BGP's timers (a generous bound for a loaded machine).
	for _, p := range []*sim.RoutedProbe{rep.Failover, rep.Return} {
		if p.OutageMS != nil {
			assert.Less(t, *p.OutageMS, 2000.0, "routed outage")
		}
	}
}

// TestDisassociateProbesTheLAGsVIF: a member leaving a LAG of two (minimum
// links 1) takes no VIF with it; the routed probe follows the LAG's VIF,
// whose traffic the other member keeps carrying.
func TestDisassociateProbesTheLAGsVIF(t *testing.T) {
	l := newLab(t)
	ctx := context.Background()
	vgw := sim.DefaultCatalogue().VirtualGatewaysIn("us-east-1")[0]
	view, err := l.svc.CreateLag(ctx, acct, sim.CreateLagInput{NumberOfConnections: 2, Location: "EqDC2", Bandwidth: "10Gbps", Name: "l"})
	require.NoError(t, err)
	one := 1
	_, err = l.svc.UpdateLag(ctx, acct, view.LAG.ID, sim.UpdateLagInput{MinimumLinks: &one})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		ls, err := l.svc.LAGs(acct, view.LAG.ID)
		if err != nil || ls[0].LAG.State != sim.StateAvailable {
			return false
		}
		for _, m := range ls[0].Members {
			if m.State != sim.StateAvailable {
				return false
			}
		}
		return true
	}, time.Minute, 50*time.Millisecond, "the LAG and both members come up")
	v, err := l.svc.CreateVirtualInterface(ctx, acct, sim.CreateVIFInput{Type: sim.VIFPrivate, ConnectionID: view.LAG.ID, Name: "v", VLAN: 101, ASN: 65000,
		VirtualGatewayID: vgw.ID})
	require.NoError(t, err)
	l.waitUp(t, []*sim.VIF{v})
	obs := observe.New(l.dp, observe.Config{Backend: "test", PcapDir: t.TempDir()})
	defer obs.Close()
	obs.FollowBGP(l.ctrl.Subscribe(0))
	nets := region.BuiltinCustomerNets(l.ctrl)
	obs.ProbeRouted(l.reg.Targets(nets))
	member := view.Members[1].ID
	_, err = l.svc.DisassociateConnectionFromLag(ctx, acct, member, view.LAG.ID)
	require.NoError(t, err)
	rep, err := obs.Wait(ctx, member)
	require.NoError(t, err)
	require.NotNil(t, rep.Routed, "the routed probe followed the LAG's VIF: %+v", rep.Issues)
	assert.Equal(t, v.ID, rep.Routed.VIFID)
	assert.NotZero(t, rep.Routed.Sent)
	t.Logf("routed probe through the disassociate: %d of %d lost", rep.Routed.Lost, rep.Routed.Sent)
}
