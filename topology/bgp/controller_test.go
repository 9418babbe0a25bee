package bgp_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology"
	"github.com/dxsim/dxsim/topology/bgp"
	"github.com/dxsim/dxsim/topology/netnstest"
	"github.com/dxsim/dxsim/topology/observe"
)

// TestControllerRunsTheVIFsBGP: over the real data plane, a private VIF's
// BGP comes up between the Amazon side and the builtin customer router;
// the API's bgpStatus follows it; a failover test takes it down (the VIF
// reads down) and stopping it brings it back; deleting the VIF closes it.
//
// It runs alone (not in parallel): the tests that build a lab on the
// userspace data plane do not share the machine's two cores.
func TestControllerRunsTheVIFsBGP(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	l := newLab(t, ctx, bgp.CustomerBuiltin)
	svc, ctrl := l.svc, l.ctrl
	sessions := svc.SubscribeBGP(10_000)
	defer sessions.Close()

	const acct = "123456789012"
	c, err := svc.CreateConnection(ctx, acct, sim.CreateConnectionInput{Location: "EqDC2", Bandwidth: "10Gbps", Name: "c"})
	require.NoError(t, err)
	vgw := sim.DefaultCatalogue().VirtualGatewaysIn("us-east-1")[0]
	start := time.Now()
	v, err := svc.CreateVirtualInterface(ctx, acct, sim.CreateVIFInput{Type: sim.VIFPrivate, ConnectionID: c.ID, Name: "p", VLAN: 101, ASN: 65000, VirtualGatewayID: vgw.ID})
	require.NoError(t, err)
	peerID := v.BGPPeers()[0].ID

	waitSession := func(what string, ok func(sim.BGPSession) bool) sim.BGPSession {
		t.Helper()
		for {
			select {
			case s := <-sessions.C():
				if s.VIFID == v.ID && s.PeerID == peerID && ok(s) {
					return s
				}
			case <-ctx.Done():
				require.FailNow(t, "timed out waiting for "+what, "sessions: %+v", svc.BGPSessions())
			}
		}
	}
	waitSession("established with the customer's network", func(s sim.BGPSession) bool { return s.Up() && s.Prefixes == 1 })
	t.Logf("VIF created → session established with the customer's prefix: %s", time.Since(start).Round(time.Millisecond))
	require.Eventually(t, func() bool {
		for _, s := range ctrl.Customer() {
			if s.VIFID == v.ID && s.Established() && s.Accepted == 1 {
				return true
			}
		}
		return false
	}, 30*time.Second, 50*time.Millisecond, "the customer router has the VPC's IPv4 CIDR: %+v", ctrl.Customer())
	describe := func() *sim.VIF {
		vs, err := svc.VirtualInterfaces(acct, "", v.ID)
		require.NoError(t, err)
		return vs[0]
	}
	require.Eventually(t, func() bool { return describe().State == sim.StateAvailable }, 10*time.Second, 20*time.Millisecond)
	assert.Equal(t, "up", describe().BGPStatus(describe().BGPPeers()[0]))

	_, err = svc.StartFailoverTest(ctx, acct, v.ID, nil, 0)
	require.NoError(t, err)
	waitSession("down for the failover test", func(s sim.BGPSession) bool { return !s.Up() })
	got := describe()
	assert.Equal(t, sim.StateDown, got.State, "its only session down: the VIF is down")
	assert.Equal(t, "down", got.BGPStatus(got.BGPPeers()[0]))
	_, err = svc.StopFailoverTest(ctx, acct, v.ID)
	require.NoError(t, err)
	stopped := time.Now()
	waitSession("back after the test", func(s sim.BGPSession) bool { return s.Up() && s.Prefixes == 1 })
	t.Logf("failover test stopped → session back with its prefix: %s", time.Since(stopped).Round(time.Millisecond))

	// The connection joins a LAG and its VIF moves with it: Amazon's side
	// resets the session (as AWS's routers do when the VIF moves), which
	// comes back over the LAG.
	lag, err := svc.CreateLag(ctx, acct, sim.CreateLagInput{NumberOfConnections: 1, Location: "EqDC2", Bandwidth: "10Gbps", Name: "l"})
	require.NoError(t, err)
	require.Equal(t, c.Device, lag.LAG.Device, "the LAG is on the connection's device")
	require.Eventually(t, func() bool {
		ls, err := svc.LAGs(acct, lag.LAG.ID)
		return err == nil && ls[0].LAG.State == sim.StateAvailable
	}, time.Minute, 50*time.Millisecond, "the LAG comes up")
	obs := observe.New(l.dp, observe.Config{Backend: "test", PcapDir: t.TempDir()})
	defer obs.Close()
	obs.FollowBGP(ctrl.Subscribe(0))
	associated := time.Now()
	_, err = svc.AssociateConnectionWithLag(ctx, acct, c.ID, lag.LAG.ID)
	require.NoError(t, err)
	waitSession("reset as the VIF moves to the LAG", func(s sim.BGPSession) bool { return !s.Up() })
	down := time.Since(associated)
	require.Eventually(t, func() bool {
		cs, err := svc.Connections(acct, c.ID)
		return err == nil && cs[0].State == sim.StateAvailable && cs[0].LAGID == lag.LAG.ID
	}, 2*time.Minute, 20*time.Millisecond, "the connection is a working member of the LAG")
	waitSession("back over the LAG", func(s sim.BGPSession) bool { return s.Up() && s.Prefixes == 1 })
	t.Logf("associate → session reset %s, → established with its prefix %s", down.Round(time.Millisecond), time.Since(associated).Round(time.Millisecond))

	// The interruption report has the session's milestones, in order.
	rep, err := obs.Wait(ctx, c.ID)
	require.NoError(t, err)
	require.Len(t, rep.BGP, 1, "the VIF that moved: %+v", rep)
	b := rep.BGP[0]
	assert.Equal(t, v.ID, b.VIFID)
	assert.Equal(t, c.ID, b.From)
	assert.Equal(t, lag.LAG.ID, b.To)
	assert.NotEmpty(t, b.ResetBy)
	assert.Equal(t, uint64(1), b.AmazonPrefixes, "the customer's network, before")
	assert.Equal(t, int64(1), b.CustomerPrefixes, "the VPC's IPv4 CIDR, before")
	var at []float64
	for _, name := range []string{sim.MilestoneBGPDown, sim.MilestoneBGPEstablished, sim.MilestoneRoutesRestored} {
		m, ok := rep.VIFMilestone(name, v.ID)
		require.True(t, ok, "%s in %+v (the VIF's BGP in the report: %+v; the customer's sessions now: %+v)", name, rep.Milestones, rep.BGP, ctrl.Customer())
		at = append(at, m.TMS)
	}
	assert.IsNonDecreasing(t, at, "down, established, restored")
	t.Logf("report: bgp_session_down %.1f ms, bgp_established %.1f ms, routes_restored %.1f ms", at[0], at[1], at[2])

	_, err = svc.DeleteVirtualInterface(ctx, acct, v.ID)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(svc.BGPSessions()) == 0 }, 30*time.Second, 50*time.Millisecond,
		"the deleted VIF's session is closed and forgotten: %+v", svc.BGPSessions())
}

// lab is a control plane over the userspace data plane with the BGP
// controller, for one test.
type lab struct {
	dp   *topology.DataPlane
	svc  *sim.Service
	ctrl *bgp.Controller
}

// newLab runs on the userspace data plane, or on the kernel's where the
// kernel is required to have bonding and 802.1Q (scripts/vmtest). The
// log is printed if the test fails.
func newLab(t testing.TB, ctx context.Context, customer string) *lab {
	t.Helper()
	netnstest.RequireRoot(t)
	var b [4]byte
	_, _ = rand.Read(b[:])
	var logs lockedBuffer
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
	ctrl := bgp.NewController(bgp.ControllerConfig{Source: svc, Namespaces: dp, Customer: customer, Log: log, Retry: 500 * time.Millisecond,
		LimitRestart: 2 * time.Second})
	t.Cleanup(func() { assert.NoError(t, ctrl.Close()) })
	l := &lab{dp: dp, svc: svc, ctrl: ctrl}
	// Registered last, so it runs first, before the namespaces go.
	t.Cleanup(func() {
		if !t.Failed() || l.dp == nil {
			return
		}
		// What the namespaces looked like, for the failure's reader.
		st, err := l.dp.Status(context.Background())
		t.Logf("data plane: %+v (%v)", st, err)
		for _, name := range l.namespaces() {
			for _, args := range [][]string{{"addr"}, {"neigh"}, {"route"}, {"-s", "link"}} {
				out, _ := exec.Command("ip", append([]string{"-n", name}, args...)...).CombinedOutput()
				t.Logf("ip -n %s %s:\n%s", name, strings.Join(args, " "), out)
			}
		}
	})
	return l
}

// namespaces are the lab's namespaces, by name.
func (l *lab) namespaces() []string {
	out, _ := exec.Command("ip", "netns", "list").Output()
	var names []string
	for _, line := range strings.Split(string(out), "\n") {
		name, _, _ := strings.Cut(line, " ")
		if strings.HasPrefix(name, l.dp.Prefix()+"-") {
			names = append(names, name)
		}
	}
	return names
}

// lockedBuffer is a log sink for goroutines of a test.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// bgpStatus describes a VIF as the API would: its state and its first
// peer's bgpStatus.
func (l *lab) bgpStatus(t testing.TB, vifID string) (state, status string) {
	t.Helper()
	vs, err := l.svc.VirtualInterfaces("123456789012", "", vifID)
	require.NoError(t, err)
	require.Len(t, vs, 1)
	return vs[0].State, vs[0].BGPStatus(vs[0].BGPPeers()[0])
}
