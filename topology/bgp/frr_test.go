package bgp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netns"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology/bgp"
	"github.com/dxsim/dxsim/topology/internal/nsthread"
	"github.com/dxsim/dxsim/topology/netnstest"
)

const bgpd = "/usr/lib/frr/bgpd"

// frr is FRR's bgpd alone in a namespace (no zebra), as a customer runs it.
type frr struct {
	dir string
}

// startFRR runs bgpd with conf in the customer's namespace of l.
func startFRR(t *testing.T, l *link, conf string) *frr {
	t.Helper()
	return startFRRIn(t, l.customerNS, conf)
}

// startFRRIn runs bgpd with conf in ns.
func startFRRIn(t *testing.T, ns netns.NsHandle, conf string) *frr {
	t.Helper()
	if _, err := os.Stat(bgpd); err != nil {
		if os.Getenv(netnstest.RequireKernelEnv) == "1" {
			// scripts/vmtest's VM has no FRR: these run in the host's
			// test run, where scripts/test installs it.
			t.Skip("no FRR in the test VM; scripts/test runs this on the host")
		}
		netnstest.Skip(t, "needs FRR's bgpd (Debian: apt-get install frr)")
	}
	dir := t.TempDir()
	require.NoError(t, os.Chmod(dir, 0o755))
	cfg := filepath.Join(dir, "bgpd.conf")
	require.NoError(t, os.WriteFile(cfg, []byte(conf), 0o644))
	cmd := exec.Command(bgpd, "-Z", "-S", "-n", "-P", "0", "-u", "root", "-g", "root",
		"-f", cfg, "-i", filepath.Join(dir, "bgpd.pid"), "--vty_socket", dir)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, nsthread.Do(ns, cmd.Start))
	t.Cleanup(func() {
		if t.Failed() {
			n, _ := exec.Command("vtysh", "--vty_socket", dir, "-c", "show bgp neighbors").CombinedOutput()
			t.Logf("bgpd's neighbours:\n%s", n)
		}
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("bgpd said:\n%s", out.String())
		}
	})
	return &frr{dir: dir}
}

// neighbor is what `show bgp summary json` says of one neighbour.
type neighbor struct {
	State  string `json:"state"`
	PfxRcd int    `json:"pfxRcd"`
}

// vtysh runs configuration commands on the running bgpd.
func (f *frr) vtysh(t *testing.T, cmds ...string) {
	t.Helper()
	args := []string{"--vty_socket", f.dir, "-c", "configure terminal"}
	for _, c := range cmds {
		args = append(args, "-c", c)
	}
	out, err := exec.Command("vtysh", args...).CombinedOutput()
	require.NoError(t, err, "vtysh %v: %s", cmds, out)
}

func (f *frr) summary(t *testing.T) map[string]neighbor {
	t.Helper()
	return f.summaryOf(t, "ipv4")
}

// summaryOf is one address family's neighbours (ipv4 or ipv6).
func (f *frr) summaryOf(t *testing.T, family string) map[string]neighbor {
	t.Helper()
	out, err := exec.Command("vtysh", "--vty_socket", f.dir, "-c", "show bgp "+family+" unicast summary json").Output()
	if err != nil {
		return nil // bgpd still starting
	}
	var s struct {
		Peers map[string]neighbor `json:"peers"`
	}
	if json.Unmarshal(out, &s) != nil {
		return nil
	}
	return s.Peers
}

func frrConf(key string, amazonASN uint32) string {
	return fmt.Sprintf(`frr defaults traditional
hostname customer
!
router bgp 65000
 bgp router-id %[1]s
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor %[2]s remote-as %[3]d
 neighbor %[2]s password %[4]s
 neighbor %[2]s timers connect 2
 address-family ipv4 unicast
  network %[5]s
 exit-address-family
!
`, customerAddr, amazonAddr, amazonASN, key, customerNet)
}

// TestFRRCustomer: FRR's bgpd as the customer's router against dxsim's
// Amazon side: up with MD5, prefixes both ways; held down and back (the
// failover test's effect); a wrong key keeps it down.
func TestFRRCustomer(t *testing.T) {
	t.Parallel()
	l := newLinkWith(t, false)
	ctx := context.Background()
	require.NoError(t, l.amazon.Set(ctx, amazonRouter("0xsecret", 100)))
	f := startFRR(t, l, frrConf("0xsecret", 64512))
	start := time.Now()
	waitFor(t, l.amazonSub, 60*time.Second, "Amazon's side up with FRR's prefix", up(1))
	t.Logf("FRR established in %s", time.Since(start).Round(time.Millisecond))
	require.Eventually(t, func() bool {
		n := f.summary(t)[amazonAddr.String()]
		return n.State == "Established" && n.PfxRcd == 1
	}, 10*time.Second, 100*time.Millisecond, "FRR has the VPC's prefix from Amazon: %v", f.summary(t))

	down := amazonRouter("0xsecret", 100)
	down.Peers[0].Down = true
	require.NoError(t, l.amazon.Set(ctx, down))
	require.Eventually(t, func() bool { return f.summary(t)[amazonAddr.String()].State != "Established" }, 10*time.Second, 50*time.Millisecond,
		"FRR sees the session down")
	require.NoError(t, l.amazon.Set(ctx, amazonRouter("0xsecret", 100)))
	waitFor(t, l.amazonSub, 60*time.Second, "back up after the hold", up(1))

	require.NoError(t, l.amazon.Set(ctx, amazonRouter("0xwrong", 100)))
	waitFor(t, l.amazonSub, 30*time.Second, "down with another key", func(e bgp.Event) bool { return !e.Established() })
	staysDown(t, l.amazonSub, 6*time.Second, "Amazon's key differs from FRR's")
	assert.NotEqual(t, "Established", f.summary(t)[amazonAddr.String()].State)
}

// TestFRRWithRouterConfiguration: with --customer-router none, the user's
// FRR runs DescribeRouterConfiguration's FRRouting-FRR-8 configuration as
// is in the customer router's namespace, and gets its session with MD5 and
// the VPC's prefix; the API says up. Then, changed at run time: more than
// 100 prefixes put the session down, and so does a wrong key; the API
// says down each time, and the VIF reads down.
//
// It runs alone, as TestControllerRunsTheVIFsBGP does.
func TestFRRWithRouterConfiguration(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	l := newLab(t, ctx, bgp.CustomerNone)
	const acct = "123456789012"
	_, v, f := l.frrOnVIF(t, ctx, false)
	amazon := netip.MustParsePrefix(v.AmazonAddress).Addr().String()

	require.Eventually(t, func() bool {
		n := f.summary(t)[amazon]
		return n.State == "Established" && n.PfxRcd == 1
	}, time.Minute, 100*time.Millisecond, "FRR established with the VPC's prefix: %v", f.summary(t))
	require.Eventually(t, func() bool { st, s := l.bgpStatus(t, v.ID); return st == sim.StateAvailable && s == "up" }, 30*time.Second, 50*time.Millisecond)

	// 101 networks: Amazon's side shuts the session for the prefix limit.
	cmds := []string{"router bgp 65000", "no bgp network import-check", "address-family ipv4 unicast"}
	for i := range 101 {
		cmds = append(cmds, fmt.Sprintf("network 198.18.%d.0/24", i))
	}
	f.vtysh(t, cmds...)
	require.Eventually(t, func() bool { st, s := l.bgpStatus(t, v.ID); return st == sim.StateDown && s == "down" }, time.Minute, 50*time.Millisecond,
		"101 prefixes: the API says down (sessions: %+v)", l.svc.BGPSessions())
	sessions := l.svc.BGPSessions()
	require.Len(t, sessions, 1)
	t.Logf("after 101 prefixes: %+v", sessions[0])

	// Back to 100: the session returns.
	f.vtysh(t, "router bgp 65000", "address-family ipv4 unicast", "no network 198.18.100.0/24")
	require.Eventually(t, func() bool {
		ss := l.svc.BGPSessions()
		return len(ss) == 1 && ss[0].Up() && ss[0].Prefixes == 100
	}, 2*time.Minute, 100*time.Millisecond, "100 prefixes: up again (sessions: %+v)", l.svc.BGPSessions())

	// A wrong key: down, and the API says so.
	f.vtysh(t, "router bgp 65000", "neighbor "+amazon+" password 0xnotthekey")
	require.Eventually(t, func() bool { _, s := l.bgpStatus(t, v.ID); return s == "down" }, time.Minute, 50*time.Millisecond,
		"a wrong key: the API says down (sessions: %+v)", l.svc.BGPSessions())
}

// TestFRRDualStack: a VIF with an IPv4 and an IPv6 peer; FRR runs
// DescribeRouterConfiguration's configuration as is and gets both
// sessions, each with the VPC's CIDR of its family, and the API says both
// peers are up.
func TestFRRDualStack(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	l := newLab(t, ctx, bgp.CustomerNone)
	const acct = "123456789012"
	_, v, f := l.frrOnVIF(t, ctx, true)
	for _, p := range v.BGPPeers() {
		amazon := netip.MustParsePrefix(p.AmazonAddress).Addr().String()
		require.Eventually(t, func() bool {
			n := f.summaryOf(t, p.AddressFamily)[amazon]
			return n.State == "Established" && n.PfxRcd == 1
		}, time.Minute, 100*time.Millisecond, "FRR's %s session established with the VPC's CIDR: %v", p.AddressFamily, f.summaryOf(t, p.AddressFamily))
	}
	require.Eventually(t, func() bool {
		vs, err := l.svc.VirtualInterfaces(acct, "", v.ID)
		require.NoError(t, err)
		for _, p := range vs[0].BGPPeers() {
			if vs[0].BGPStatus(p) != "up" {
				return false
			}
		}
		return true
	}, 30*time.Second, 50*time.Millisecond, "the API says both peers are up (sessions: %+v)", l.svc.BGPSessions())
}

// frrOnVIF makes a connection with a private VIF (with an IPv6 peer too
// when dual) and runs FRR in its customer router's namespace with
// DescribeRouterConfiguration's FRRouting-FRR-8 configuration, as is.
func (l *lab) frrOnVIF(t *testing.T, ctx context.Context, dual bool) (*sim.Connection, *sim.VIF, *frr) {
	t.Helper()
	const acct = "123456789012"
	c, err := l.svc.CreateConnection(ctx, acct, sim.CreateConnectionInput{Location: "EqDC2", Bandwidth: "10Gbps", Name: "c"})
	require.NoError(t, err)
	v, err := l.svc.CreateVirtualInterface(ctx, acct, sim.CreateVIFInput{Type: sim.VIFPrivate, ConnectionID: c.ID, Name: "p", VLAN: 101, ASN: 65000,
		VirtualGatewayID: sim.DefaultCatalogue().VirtualGatewaysIn("us-east-1")[0].ID})
	require.NoError(t, err)
	if dual {
		v, err = l.svc.CreateBGPPeer(ctx, acct, v.ID, sim.NewBGPPeerInput{ASN: 65000, AddressFamily: sim.FamilyIPv6})
		require.NoError(t, err)
	}
	rc, err := l.svc.RouterConfiguration(acct, v.ID, sim.RouterFRR8)
	require.NoError(t, err)
	_, custNS := l.dp.Namespaces(c.Device)
	ns, err := netns.GetFromName(custNS)
	require.NoError(t, err)
	defer ns.Close()
	return c, v, startFRRIn(t, ns, rc.Config)
}
