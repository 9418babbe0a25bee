package main

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	dx "github.com/aws/aws-sdk-go-v2/service/directconnect"
	"github.com/aws/aws-sdk-go-v2/service/directconnect/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/dxapi"
	"github.com/dxsim/dxsim/topology"
	"github.com/dxsim/dxsim/topology/netnstest"
)

// faultLab is a serve (userspace data plane) with a LAG of two connections
// and minimum links 2, both members available.
type faultLab struct {
	backend string
	s       *servedInstance
	api     *dx.Client
	faults  *dxapi.Client
	lag     string
	members []string
}

func newFaultLab(t *testing.T) *faultLab {
	t.Helper()
	prefix := randomServePrefix(t)
	cat := prefixTestSetup(t, prefix)
	cfg := serveCfg(t.TempDir(), prefix, cat)
	cfg.dataplane = faultBackend(t)
	s := startServed(t, cfg)
	l := &faultLab{backend: cfg.dataplane, s: s, api: dxClient(s.addr, "any", "thing"), faults: dxapi.NewClient("http://" + s.addr)}
	ctx := context.Background()
	lag, err := l.api.CreateLag(ctx, &dx.CreateLagInput{NumberOfConnections: 2, Location: aws.String("EqDC2"),
		ConnectionsBandwidth: aws.String("10Gbps"), LagName: aws.String("faults")})
	require.NoError(t, err)
	l.lag = aws.ToString(lag.LagId)
	for _, c := range lag.Connections {
		l.members = append(l.members, aws.ToString(c.ConnectionId))
	}
	_, err = l.api.UpdateLag(ctx, &dx.UpdateLagInput{LagId: lag.LagId, MinimumLinks: 2})
	require.NoError(t, err)
	l.waitState(t, time.Minute, l.lag, sim.StateAvailable)
	for _, m := range l.members {
		l.waitState(t, time.Minute, m, sim.StateAvailable)
	}
	return l
}

// faultBackend is the data plane the fault tests run on: the kernel's
// bonds where the kernel has them (scripts/vmtest), else the userspace
// engine (the host); so each fault is tested on both.
func faultBackend(t *testing.T) string {
	t.Helper()
	f, err := topology.ProbeFeatures()
	require.NoError(t, err)
	if f.Bonding == nil && f.VLAN == nil {
		return "kernel"
	}
	return "userspace"
}

// state is a connection's or the LAG's state as the API describes it.
func (l *faultLab) state(t *testing.T, id string) string {
	t.Helper()
	ctx := context.Background()
	if id == l.lag {
		out, err := l.api.DescribeLags(ctx, &dx.DescribeLagsInput{LagId: aws.String(id)})
		require.NoError(t, err)
		require.Len(t, out.Lags, 1)
		return string(out.Lags[0].LagState)
	}
	out, err := l.api.DescribeConnections(ctx, &dx.DescribeConnectionsInput{ConnectionId: aws.String(id)})
	require.NoError(t, err)
	require.Len(t, out.Connections, 1)
	return string(out.Connections[0].ConnectionState)
}

// waitState polls the API until id is in state, and says how long it took.
func (l *faultLab) waitState(t *testing.T, within time.Duration, id, state string) time.Duration {
	t.Helper()
	start := time.Now()
	var last string
	for time.Since(start) < within {
		if last = l.state(t, id); last == state {
			return time.Since(start)
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.FailNowf(t, "state not reached", "%s is %s after %s, want %s\n%s", id, last, within, state, l.s.log())
	return 0
}

// TestFaultLACPSilentPartner: the customer's end of a LAG member stops
// sending LACPDUs. The API shows what AWS would: the member down within
// the short timeout (3 s), the LAG down below its minimum links; and both
// back soon after the fault is cleared, which leaves no trace.
func TestFaultLACPSilentPartner(t *testing.T) {
	l := newFaultLab(t)
	ctx := context.Background()
	m := l.members[0]
	f, err := l.faults.SetFault(ctx, sim.FaultSpec{Connection: m, Side: "customer", LACP: "silent"})
	require.NoError(t, err)
	set := time.Now()
	assert.Equal(t, m+"/customer/lacp", f.ID)
	down := l.waitState(t, 3500*time.Millisecond, m, sim.StateDown)
	lagDown := l.waitState(t, 3500*time.Millisecond-time.Since(set)+down, l.lag, sim.StateDown)
	t.Logf("silent customer end: member down %s after the fault, LAG down %s after that", down.Round(time.Millisecond), lagDown.Round(time.Millisecond))
	assert.Equal(t, sim.StateAvailable, l.state(t, l.members[1]), "the other member keeps running")

	list, err := l.faults.Faults(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)

	cleared, err := l.faults.ClearFaults(ctx, m, "", "")
	require.NoError(t, err)
	require.Len(t, cleared, 1)
	back := l.waitState(t, 3500*time.Millisecond, m, sim.StateAvailable)
	lagBack := l.waitState(t, 3500*time.Millisecond, l.lag, sim.StateAvailable)
	t.Logf("cleared: member available %s after, LAG %s after that", back.Round(time.Millisecond), lagBack.Round(time.Millisecond))
	list, err = l.faults.Faults(ctx)
	require.NoError(t, err)
	assert.Empty(t, list)
}

// TestFaultLinkDownAcrossRestart: the customer's end held down takes the
// member and the LAG down; a restart of serve on the same state keeps it
// down (the fault is kept); clearing brings both back.
func TestFaultLinkDownAcrossRestart(t *testing.T) {
	l := newFaultLab(t)
	ctx := context.Background()
	m := l.members[1]
	_, err := l.faults.SetFault(ctx, sim.FaultSpec{Connection: m, Side: "customer", Link: "down"})
	require.NoError(t, err)
	took := l.waitState(t, 5*time.Second, m, sim.StateDown)
	l.waitState(t, 5*time.Second, l.lag, sim.StateDown)
	t.Logf("customer end down: member down after %s", took.Round(time.Millisecond))

	l.s.stop()
	l.s = startServed(t, l.s.cfg)
	l.api, l.faults = dxClient(l.s.addr, "any", "thing"), dxapi.NewClient("http://"+l.s.addr)
	list, err := l.faults.Faults(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1, "the fault is kept across the restart")
	// Reconcile brought up what was down, but not the end the fault holds:
	// the other member converges again, this one stays down.
	l.waitState(t, 30*time.Second, l.members[0], sim.StateAvailable)
	assert.Equal(t, sim.StateDown, l.state(t, m))

	_, err = l.faults.ClearFaults(ctx, m, "customer", "link")
	require.NoError(t, err)
	l.waitState(t, 10*time.Second, m, sim.StateAvailable)
	l.waitState(t, 10*time.Second, l.lag, sim.StateAvailable)
}

// TestFaultRefused: a fault the server cannot take is a 400 naming the
// problem, and nothing is kept.
func TestFaultRefused(t *testing.T) {
	l := newFaultLab(t)
	ctx := context.Background()
	for _, c := range []struct {
		spec sim.FaultSpec
		want string
	}{
		{sim.FaultSpec{Connection: l.members[0], Side: "customer", LACP: "sleepy"}, `lacp fault "sleepy"`},
		{sim.FaultSpec{Connection: l.members[0], Side: "middle", LACP: "silent"}, `side "middle"`},
		{sim.FaultSpec{Connection: "dxcon-nothere1", Side: "aws", LACP: "silent"}, "Could not find Connection"},
		{sim.FaultSpec{Connection: l.members[0], Side: "aws", LACP: "silent", Link: "down"}, "exactly one of lacp, link and bgp"},
		{sim.FaultSpec{Connection: l.members[0], Side: "aws", Link: "flap", FlapUp: sim.Duration(time.Millisecond)}, "between 100ms and 1h"},
		{sim.FaultSpec{VIF: "dxvif-nothere1", Side: "aws", BGP: "reset"}, "Could not find Virtual Interface"},
	} {
		_, err := l.faults.SetFault(ctx, c.spec)
		var e *dxapi.APIError
		require.ErrorAs(t, err, &e, "%+v", c.spec)
		assert.Equal(t, 400, e.Status)
		assert.Contains(t, e.Message, c.want)
	}
	list, err := l.faults.Faults(ctx)
	require.NoError(t, err)
	assert.Empty(t, list)
}

// watchStates records every state the API reports for ids, from now on,
// polling, until stop is called; it returns the distinct runs seen.
func (l *faultLab) watchStates(t *testing.T, ids ...string) (stop func() map[string][]string) {
	t.Helper()
	seen := map[string][]string{}
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			for _, id := range ids {
				s := l.state(t, id)
				if n := len(seen[id]); n == 0 || seen[id][n-1] != s {
					seen[id] = append(seen[id], s)
				}
			}
			select {
			case <-quit:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	return func() map[string][]string {
		close(quit)
		<-done
		return seen
	}
}

// TestFaultLACPModes: what each LACP fault on the customer's end of a
// member does, as the API shows it: a wrong key keeps the member out of the
// LAG (down), as AWS's device aggregates only ports with one key; a passive
// end still forms the LAG with AWS's active one; a slow rate still carries
// traffic; a flapping member goes down and comes back, again and again.
func TestFaultLACPModes(t *testing.T) {
	l := newFaultLab(t)
	ctx := context.Background()
	m := l.members[0]

	_, err := l.faults.SetFault(ctx, sim.FaultSpec{Connection: m, Side: "customer", LACP: "wrong-key"})
	require.NoError(t, err)
	took := l.waitState(t, 5*time.Second, m, sim.StateDown)
	l.waitState(t, time.Second, l.lag, sim.StateDown)
	t.Logf("wrong key: member down after %s", took.Round(time.Millisecond))
	_, err = l.faults.ClearFaults(ctx, m, "", "")
	require.NoError(t, err)
	took = l.waitState(t, 5*time.Second, m, sim.StateAvailable)
	t.Logf("wrong key cleared: member available after %s", took.Round(time.Millisecond))
	// Let it settle: as the keys agree again each end reselects, and the
	// AWS end may collect for a tick on the customer's last word before
	// the customer's next says it is not in sync yet.
	time.Sleep(time.Second)

	modes := []string{"passive", "slow"}
	if l.backend == "kernel" {
		_, err = l.faults.SetFault(ctx, sim.FaultSpec{Connection: m, Side: "customer", LACP: "slow"})
		var e *dxapi.APIError
		require.ErrorAs(t, err, &e)
		assert.Equal(t, 400, e.Status)
		assert.Contains(t, e.Message, "lacp_rate")
		modes = modes[:1]
	}
	for _, mode := range modes {
		watch := l.watchStates(t, m)
		_, err = l.faults.SetFault(ctx, sim.FaultSpec{Connection: m, Side: "customer", LACP: mode})
		require.NoError(t, err, l.s.log())
		time.Sleep(4 * time.Second) // past the short timeout
		assert.Equal(t, []string{sim.StateAvailable}, watch()[m], "a %s end with AWS's active, fast one: the member keeps running", mode)
		// What AWS's end hears of the customer's: Activity off, or a long
		// timeout asked for.
		bit := map[string]int{"passive": 7, "slow": 6}[mode]
		st, err := l.faults.DataPlane(ctx)
		require.NoError(t, err)
		i := slices.IndexFunc(st.Ports, func(p dxapi.PortStatus) bool { return p.ConnectionID == m })
		require.GreaterOrEqual(t, i, 0)
		require.NotNil(t, st.Ports[i].AWSLACP)
		assert.Equal(t, byte('*'), st.Ports[i].AWSLACP.Partner[bit], "%s: AWS's end's partner state %s", mode, st.Ports[i].AWSLACP.Partner)
		_, err = l.faults.ClearFaults(ctx, m, "", "")
		require.NoError(t, err)
	}

	watch := l.watchStates(t, m)
	_, err = l.faults.SetFault(ctx, sim.FaultSpec{Connection: m, Side: "customer", LACP: "flap",
		FlapUp: sim.Duration(3 * time.Second), FlapDown: sim.Duration(4 * time.Second)})
	require.NoError(t, err)
	// A down phase longer than the short timeout (3 s): on a kernel bond
	// the fault drops the LACPDUs, and the partner times the member out.
	time.Sleep(16 * time.Second)
	_, err = l.faults.ClearFaults(ctx, m, "", "")
	require.NoError(t, err)
	l.waitState(t, 5*time.Second, m, sim.StateAvailable)
	runs := watch()[m]
	t.Logf("flapping member: %v", runs)
	assert.GreaterOrEqual(t, len(runs), 4, "down and back at least twice in 16 s: %v", runs)
}

// TestFaultLinkFlap: a flapping customer end takes the member down and
// brings it back on its schedule; clearing leaves it up.
func TestFaultLinkFlap(t *testing.T) {
	l := newFaultLab(t)
	ctx := context.Background()
	m := l.members[1]
	watch := l.watchStates(t, m)
	_, err := l.faults.SetFault(ctx, sim.FaultSpec{Connection: m, Side: "customer", Link: "flap",
		FlapUp: sim.Duration(4 * time.Second), FlapDown: sim.Duration(time.Second)})
	require.NoError(t, err)
	time.Sleep(11 * time.Second)
	_, err = l.faults.ClearFaults(ctx, m, "", "")
	require.NoError(t, err)
	l.waitState(t, 10*time.Second, m, sim.StateAvailable)
	time.Sleep(6 * time.Second) // longer than a flap's period: it has stopped
	runs := watch()[m]
	t.Logf("flapping link: %v", runs)
	assert.GreaterOrEqual(t, len(runs), 4, "down and back at least twice: %v", runs)
	assert.Equal(t, sim.StateAvailable, runs[len(runs)-1], "up for good once cleared")
}

// vifState is a VIF's state and its first peer's bgpStatus, as the API
// describes them.
func vifState(t *testing.T, c *dx.Client, id string) (state, bgp string) {
	t.Helper()
	out, err := c.DescribeVirtualInterfaces(context.Background(), &dx.DescribeVirtualInterfacesInput{VirtualInterfaceId: aws.String(id)})
	require.NoError(t, err)
	require.Len(t, out.VirtualInterfaces, 1)
	v := out.VirtualInterfaces[0]
	return string(v.VirtualInterfaceState), string(v.BgpPeers[0].BgpStatus)
}

// waitVIF polls until the VIF's bgpStatus is bgp, and says how long it took.
func waitVIF(t *testing.T, c *dx.Client, id, bgp string, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	var st, b string
	for time.Since(start) < within {
		if st, b = vifState(t, c, id); b == bgp {
			return time.Since(start)
		}
		time.Sleep(50 * time.Millisecond)
	}
	require.FailNowf(t, "bgpStatus not reached", "%s: %s, bgpStatus %s after %s; want %s", id, st, b, within, bgp)
	return 0
}

// TestFaultBGP: each BGP fault on a VIF whose session runs against dxsim's
// builtin customer router takes the session down, as the API shows (the
// VIF down, its peer's bgpStatus down); clearing brings it back with the
// customer's prefix. A reset takes it down once and it comes back by itself.
func TestFaultBGP(t *testing.T) {
	netnstest.SkipOnKernelRun(t, "BGP faults act on dxsim's speakers, whatever the links")
	prefix := randomServePrefix(t)
	cfg := serveCfg(t.TempDir(), prefix, prefixTestSetup(t, prefix))
	cfg.dataplane = faultBackend(t)
	s := startServed(t, cfg)
	conn, _ := s.createConnection(t)
	c := dxClient(s.addr, "any", "thing")
	faults := dxapi.NewClient("http://" + s.addr)
	ctx := context.Background()
	vif, err := c.CreatePrivateVirtualInterface(ctx, &dx.CreatePrivateVirtualInterfaceInput{ConnectionId: aws.String(conn),
		NewPrivateVirtualInterface: &types.NewPrivateVirtualInterface{VirtualInterfaceName: aws.String("bgp"), Vlan: 101, Asn: 65000,
			VirtualGatewayId: aws.String("vgw-0123456789abcdef0")}})
	require.NoError(t, err)
	id := aws.ToString(vif.VirtualInterfaceId)
	waitBGPEvent(t, s.addr, id, 1)
	waitVIFUp := func() {
		t.Helper()
		waitVIF(t, c, id, "up", time.Minute)
		require.Eventually(t, func() bool { st, _ := vifState(t, c, id); return st == sim.StateAvailable }, time.Minute, 50*time.Millisecond)
	}
	waitVIFUp()

	for _, f := range []sim.FaultSpec{
		{VIF: id, Side: "customer", BGP: "wrong-asn"},
		{VIF: id, Side: "aws", BGP: "wrong-asn", ASN: 64999},
		{VIF: id, Side: "customer", BGP: "wrong-md5"},
		{VIF: id, Side: "aws", BGP: "wrong-md5", AuthKey: "not-the-key"},
		{VIF: id, Side: "customer", BGP: "too-many-prefixes"},
	} {
		set, err := faults.SetFault(ctx, f)
		require.NoError(t, err)
		down := waitVIF(t, c, id, "down", 30*time.Second)
		st, _ := vifState(t, c, id)
		assert.Equal(t, sim.StateDown, st, "%s: the VIF reads down", set)
		_, err = faults.ClearFaults(ctx, id, "", "")
		require.NoError(t, err)
		up := waitBGPEvent(t, s.addr, id, 1)
		waitVIFUp()
		t.Logf("%s: session down after %s; cleared, established with the prefix after %s", set, down.Round(time.Millisecond), up.Round(time.Millisecond))
	}

	for _, side := range []string{"aws", "customer"} {
		set, err := faults.SetFault(ctx, sim.FaultSpec{VIF: id, Side: side, BGP: "reset"})
		require.NoError(t, err)
		down := waitVIF(t, c, id, "down", 10*time.Second)
		up := waitVIF(t, c, id, "up", time.Minute)
		t.Logf("%s: down after %s, up again %s later, the fault still set", set, down.Round(time.Millisecond), up.Round(time.Millisecond))
	}
}

// TestFaultLinkLossAndDelay: a customer end that loses every frame takes
// the member down (its LACPDUs are lost too), and clearing mends it; a
// delayed end still carries the LAG. The kernel's netem loses and delays
// the frames where the kernel has it (scripts/vmtest), the userspace engine
// where it has not (the host); a kernel backend without netem would refuse
// both, naming it.
func TestFaultLinkLossAndDelay(t *testing.T) {
	l := newFaultLab(t)
	ctx := context.Background()
	m := l.members[0]
	_, err := l.faults.SetFault(ctx, sim.FaultSpec{Connection: m, Side: "customer", Link: "loss", Loss: 100})
	if l.backend == "kernel" && !netemHere(t) {
		var e *dxapi.APIError
		require.ErrorAs(t, err, &e)
		assert.Equal(t, 400, e.Status)
		assert.Contains(t, e.Message, "netem")
		return
	}
	require.NoError(t, err)
	t.Logf("%s backend, netem: %v", l.backend, netemHere(t))
	took := l.waitState(t, 5*time.Second, m, sim.StateDown)
	t.Logf("100%% loss: member down after %s", took.Round(time.Millisecond))
	_, err = l.faults.ClearFaults(ctx, m, "", "")
	require.NoError(t, err)
	took = l.waitState(t, 10*time.Second, m, sim.StateAvailable)
	t.Logf("cleared: available after %s", took.Round(time.Millisecond))

	_, err = l.faults.SetFault(ctx, sim.FaultSpec{Connection: m, Side: "customer", Link: "delay", Delay: sim.Duration(200 * time.Millisecond)})
	require.NoError(t, err)
	watch := l.watchStates(t, m)
	time.Sleep(4 * time.Second)
	assert.Equal(t, []string{sim.StateAvailable}, watch()[m], "200 ms of delay: LACP still holds")
	_, err = l.faults.ClearFaults(ctx, m, "", "")
	require.NoError(t, err)
}

// netemHere reports whether this kernel makes netem qdiscs.
func netemHere(t *testing.T) bool {
	t.Helper()
	return topology.NetemError() == nil
}
