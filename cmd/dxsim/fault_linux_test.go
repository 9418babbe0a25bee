package main

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	dx "github.com/aws/aws-sdk-go-v2/service/directconnect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/dxapi"
)

// faultLab is a serve (userspace data plane) with a LAG of two connections
// and minimum links 2, both members available.
type faultLab struct {
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
	s := startServed(t, serveCfg(t.TempDir(), prefix, cat))
	l := &faultLab{s: s, api: dxClient(s.addr, "any", "thing"), faults: dxapi.NewClient("http://" + s.addr)}
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
