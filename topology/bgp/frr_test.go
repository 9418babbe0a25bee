package bgp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
	if _, err := os.Stat(bgpd); err != nil {
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
	require.NoError(t, nsthread.Do(l.customerNS, cmd.Start))
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

func (f *frr) summary(t *testing.T) map[string]neighbor {
	t.Helper()
	out, err := exec.Command("vtysh", "--vty_socket", f.dir, "-c", "show bgp ipv4 unicast summary json").Output()
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
