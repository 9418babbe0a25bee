package bgp_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology/bgp"
	"github.com/dxsim/dxsim/topology/observe"
)

// TestFRRAssociate: the customer's own FRR (DescribeRouterConfiguration's
// configuration) on a VIF whose connection is associated with a LAG: the
// VIF moves with it, Amazon's side resets the session, FRR gets it back
// over the LAG with the VPC's prefix, and the interruption report has the
// session's milestones in order, with the customer's prefixes unknown (not
// dxsim's router).
//
// It runs alone, as TestControllerRunsTheVIFsBGP does.
func TestFRRAssociate(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	l := newLab(t, ctx, bgp.CustomerNone)
	const acct = "123456789012"
	c, v, f := l.frrOnVIF(t, ctx, false)
	amazon := netip.MustParsePrefix(v.AmazonAddress).Addr().String()
	established := func() bool {
		n := f.summary(t)[amazon]
		return n.State == "Established" && n.PfxRcd == 1
	}
	require.Eventually(t, established, time.Minute, 100*time.Millisecond, "FRR established with the VPC's prefix: %v", f.summary(t))
	// Amazon's side has what FRR advertises (nothing: the configuration
	// announces no network) once its session is up.
	require.Eventually(t, func() bool { _, s := l.bgpStatus(t, v.ID); return s == "up" }, 30*time.Second, 50*time.Millisecond)

	lag, err := l.svc.CreateLag(ctx, acct, sim.CreateLagInput{NumberOfConnections: 1, Location: "EqDC2", Bandwidth: "10Gbps", Name: "l"})
	require.NoError(t, err)
	require.Equal(t, c.Device, lag.LAG.Device, "the LAG is on the connection's device")
	require.Eventually(t, func() bool {
		ls, err := l.svc.LAGs(acct, lag.LAG.ID)
		return err == nil && ls[0].LAG.State == sim.StateAvailable
	}, time.Minute, 50*time.Millisecond, "the LAG comes up")
	obs := observe.New(l.dp, observe.Config{Backend: "test", PcapDir: t.TempDir()})
	defer obs.Close()
	obs.FollowBGP(l.ctrl.Subscribe(0))
	_, err = l.svc.AssociateConnectionWithLag(ctx, acct, c.ID, lag.LAG.ID)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		cs, err := l.svc.Connections(acct, c.ID)
		return err == nil && cs[0].State == sim.StateAvailable && cs[0].LAGID == lag.LAG.ID
	}, 2*time.Minute, 20*time.Millisecond, "the connection is a working member of the LAG")
	require.Eventually(t, established, 2*time.Minute, 100*time.Millisecond, "FRR's session back over the LAG: %v", f.summary(t))

	rep, err := obs.Wait(ctx, c.ID)
	require.NoError(t, err)
	require.Len(t, rep.BGP, 1, "the VIF that moved: %+v", rep)
	b := rep.BGP[0]
	assert.Equal(t, v.ID, b.VIFID)
	assert.Equal(t, lag.LAG.ID, b.To)
	assert.Equal(t, int64(-1), b.CustomerPrefixes, "the customer's router is not dxsim's")
	var at []float64
	for _, name := range []string{sim.MilestoneBGPDown, sim.MilestoneBGPEstablished, sim.MilestoneRoutesRestored} {
		m, ok := rep.VIFMilestone(name, v.ID)
		require.True(t, ok, "%s in %+v", name, rep.Milestones)
		at = append(at, m.TMS)
	}
	assert.IsNonDecreasing(t, at, "down, established, restored")
	t.Logf("report: bgp_session_down %.1f ms, bgp_established %.1f ms, routes_restored %.1f ms", at[0], at[1], at[2])
}
