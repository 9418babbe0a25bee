package bgp_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology/bgp"
)

// BenchmarkSessions200 brings up the BGP of 200 private VIFs on one device
// (four connections of 50), with the builtin customer router: the time from
// the first VIF created to every session established with the customer's
// prefix on Amazon's side and the VPC's on the customer's, and the memory of
// the speakers (resident set of each process). One run is one lab:
//
//	go test -run XXX -bench Sessions200 -benchtime 1x ./topology/bgp/
func BenchmarkSessions200(b *testing.B) {
	for b.Loop() {
		sessions200(b)
	}
}

func sessions200(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	l := newLab(b, ctx, bgp.CustomerBuiltin)
	const acct, n = "123456789012", 200
	var conns []string
	for i := range n / 50 {
		c, err := l.svc.CreateConnection(ctx, acct, sim.CreateConnectionInput{Location: "EqDC2", Bandwidth: "10Gbps", Name: fmt.Sprint("c", i)})
		require.NoError(b, err)
		conns = append(conns, c.ID)
	}
	vgw := sim.DefaultCatalogue().VirtualGatewaysIn("us-east-1")[0]
	start := time.Now()
	for i := range n {
		_, err := l.svc.CreateVirtualInterface(ctx, acct, sim.CreateVIFInput{Type: sim.VIFPrivate, ConnectionID: conns[i/50], Name: fmt.Sprint("v", i),
			VLAN: 100 + i, ASN: 65000, VirtualGatewayID: vgw.ID})
		require.NoError(b, err)
	}
	created := time.Since(start)
	for {
		up := 0
		for _, s := range l.svc.BGPSessions() {
			if s.Up() && s.Prefixes == 1 {
				up++
			}
		}
		cust := 0
		for _, s := range l.ctrl.Customer() {
			if s.Established() && s.Accepted == 1 {
				cust++
			}
		}
		if up == n && cust == n {
			break
		}
		if ctx.Err() != nil {
			var notUp []string
			for _, s := range l.svc.BGPSessions() {
				if !s.Up() || s.Prefixes != 1 {
					notUp = append(notUp, fmt.Sprintf("amazon %s %s %s %d %q", s.VIFID, s.PeerID, s.State, s.Prefixes, s.Reason))
				}
			}
			for _, s := range l.ctrl.Customer() {
				if !s.Established() || s.Accepted != 1 {
					notUp = append(notUp, fmt.Sprintf("customer %s %s %d %q", s.VIFID, s.State, s.Accepted, s.Reason))
				}
			}
			b.Fatalf("after %s: %d of %d sessions up on Amazon's side, %d on the customer's; not up: %s", time.Since(start), up, n, cust,
				strings.Join(notUp, "; "))
		}
		time.Sleep(20 * time.Millisecond)
	}
	all := time.Since(start)
	b.ReportMetric(created.Seconds(), "s-to-create")
	b.ReportMetric(all.Seconds(), "s-to-all-established")
	for name, pid := range l.ctrl.SpeakerPIDs() {
		side := "amazon"
		if strings.Contains(name, "-cr-") {
			side = "customer"
		}
		b.ReportMetric(rssMB(b, pid), "MB-"+side+"-speaker")
	}
}

// rssMB is a process's resident set, in MB.
func rssMB(b *testing.B, pid int) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	require.NoError(b, err)
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			require.NoError(b, err)
			return kb / 1024
		}
	}
	b.Fatalf("no VmRSS for %d", pid)
	return 0
}
