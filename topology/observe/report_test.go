package observe

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/lacp"
	"github.com/dxsim/dxsim/lacp/verify"
	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology/probe"
)

var t0 = time.Unix(1_700_000_000, 0)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

// associateInputs is an association as the links would tell it: the port
// down at 2 ms, enslaved at 3, up at 4, the DX side collecting at 2,504.
func associateInputs(restoredMS int) inputs {
	usable := lacp.StateSynchronization | lacp.StateCollecting | lacp.StateDistributing
	port := &verify.Port{Name: "dxcon-aaaaaaaa", Usable: at(2510), Events: []verify.Event{
		{Time: at(-500), Side: verify.SideLocal, Kind: verify.EventFirstPDU}, // an earlier session: ignored
		{Time: at(5), Side: verify.SideLocal, Kind: verify.EventFirstPDU},
		{Time: at(6), Side: verify.SideRemote, Kind: verify.EventFirstPDU},
		{Time: at(2004), Side: verify.SideLocal, Kind: verify.EventSync},
		{Time: at(2006), Side: verify.SideRemote, Kind: verify.EventSync},
		{Time: at(2504), Side: verify.SideLocal, Kind: verify.EventCollecting, State: usable},
		{Time: at(2504), Side: verify.SideLocal, Kind: verify.EventDistributing, State: usable},
		{Time: at(2510), Side: verify.SideRemote, Kind: verify.EventCollecting, State: usable},
		{Time: at(2510), Side: verify.SideRemote, Kind: verify.EventDistributing, State: usable},
		{Time: at(2510), Side: verify.SideBoth, Kind: verify.EventUsable},
	}}
	res := &probe.Result{Rate: 1000, Sent: 5000, Received: 5000 - (restoredMS - 2), Lost: restoredMS - 2, Outage: probe.Outage{
		Lost:       restoredMS - 2,
		LastBefore: probe.Arrival{Seq: 1, At: at(1)},
		FirstAfter: probe.Arrival{Seq: uint64(restoredMS), At: at(restoredMS)},
	}}
	return inputs{
		op: sim.OpAssociate, conn: "dxcon-aaaaaaaa", lag: "dxlag-bbbbbbbb", backend: "userspace",
		requested: t0, called: at(1),
		steps: sim.StepTimes{Down: at(2), Changed: at(3), Up: at(4)},
		links: []sim.Event{
			{Time: at(2), Kind: sim.EventLink, Side: sim.SideAWS, Up: false},
			{Time: at(3), Kind: sim.EventLink, Side: sim.SideCustomer, Up: false},
			{Time: at(5), Kind: sim.EventLink, Side: sim.SideAWS, Up: true},
			{Time: at(6), Kind: sim.EventLink, Side: sim.SideCustomer, Up: true},
		},
		lacp: port, probe: res, pcap: "/tmp/x.pcapng",
	}
}

func TestBuildAssociate(t *testing.T) {
	t.Parallel()
	r := build(associateInputs(2505))
	want := []struct {
		name string
		ms   float64
	}{
		{sim.MilestoneRequested, 0}, {sim.MilestoneCalled, 1}, {sim.MilestoneDXPortDown, 2}, {sim.MilestoneEnslaved, 3}, {sim.MilestoneCustomerDown, 3},
		{sim.MilestoneDXPortUp, 4}, {sim.MilestoneFirstPDUDX, 5}, {sim.MilestoneCustomerUp, 6}, {sim.MilestoneFirstPDUCustomer, 6},
		{sim.MilestoneSyncDX, 2004}, {sim.MilestoneSyncCustomer, 2006}, {sim.MilestoneCollDistDX, 2504},
		{sim.MilestoneProbeRestored, 2505}, {sim.MilestoneCollDistCustomer, 2510}, {sim.MilestoneLACPConverged, 2510},
	}
	require.Len(t, r.Milestones, len(want), "milestones: %+v", r.Milestones)
	for i, w := range want {
		m := r.Milestones[i]
		assert.Equal(t, w.name, m.Name, "milestone %d", i)
		assert.Equal(t, w.ms, m.TMS, "milestone %d (%s) in ms", i, m.Name)
	}
	check := func(name string, got *float64, want float64) {
		t.Helper()
		if assert.NotNil(t, got, name) {
			assert.Equal(t, want, *got, name)
		}
	}
	check("interruption_ms", r.InterruptionMS, 2502) // customer carrier lost at 3 to restored at 2,505
	check("lacp_converged_ms", r.LACPConvergedMS, 2507)
	check("probe_outage_ms", r.ProbeOutageMS, 2503) // 2,503 frames lost at 1,000 a second
	check("lacp_outage_ms", r.LACPOutageMS, 2502)
	check("overhead_ms", r.OverheadMS, 4)
	check("dataplane_ms", r.DataPlaneMS, 2)
	assert.True(t, r.Agree, "agree")
	assert.Equal(t, 2503, r.ProbesLost, "probes lost")
	assert.Equal(t, "/tmp/x.pcapng", r.Pcap, "pcap")
}

func TestBuildDisagrees(t *testing.T) {
	t.Parallel()
	// The probe restored 30 ms after the DX side said it collects.
	r := build(associateInputs(2535))
	assert.False(t, r.Agree, "agree with probe outage %v and LACP outage %v", deref(r.ProbeOutageMS), deref(r.LACPOutageMS))
}

func TestBuildPartial(t *testing.T) {
	t.Parallel()
	in := associateInputs(2505)
	in.probe, in.lacp, in.steps.Up = nil, nil, time.Time{}
	in.err = errors.New("boom")
	r := build(in)
	assert.Nil(t, r.InterruptionMS, "partial report claims too much: %+v", r)
	assert.Nil(t, r.ProbeOutageMS, "partial report claims too much: %+v", r)
	assert.Nil(t, r.LACPOutageMS, "partial report claims too much: %+v", r)
	assert.False(t, r.Agree, "partial report claims too much: %+v", r)
	assert.Equal(t, "boom", r.Err, "partial report claims too much: %+v", r)
	_, ok := r.Milestone(sim.MilestoneDXPortUp)
	assert.False(t, ok, "port up without a time")
}

func TestBuildDisassociate(t *testing.T) {
	t.Parallel()
	in := associateInputs(2505)
	in.op, in.lacp = sim.OpDisassociate, nil
	in.probe.Outage.Lost, in.probe.Outage.FirstAfter.At = 5, at(7)
	r := build(in)
	_, ok := r.Milestone(sim.MilestoneReleased)
	assert.True(t, ok, "no released milestone")
	assert.Nil(t, r.LACPConvergedMS, "LACP convergence on disassociate")
	// Down at 2, customer up at 6; 5 frames lost.
	require.NotNil(t, r.LACPOutageMS, "lacp outage")
	assert.Equal(t, 4.0, *r.LACPOutageMS, "lacp outage")
	assert.True(t, r.Agree, "lacp outage %v probe %v agree", deref(r.LACPOutageMS), deref(r.ProbeOutageMS))
}

func deref(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

// TestBuildBondState checks that a kernel bond's own actor state, when read,
// times the LACP milestones rather than the LACPDUs, which a bond sends only
// every third tick.
func TestBuildBondState(t *testing.T) {
	t.Parallel()
	in := associateInputs(2505)
	const (
		sync = lacp.StateSynchronization
		cd   = lacp.StateCollecting | lacp.StateDistributing
	)
	in.actor = []actorSample{
		{Time: at(-100), Side: sim.SideAWS, State: sync | cd}, // before the port went down: ignored
		{Time: at(5), Side: sim.SideAWS, State: 0},
		{Time: at(2004), Side: sim.SideAWS, State: sync},
		{Time: at(2005), Side: sim.SideCustomer, State: sync},
		{Time: at(2104), Side: sim.SideAWS, State: sync | cd},
		{Time: at(2105), Side: sim.SideCustomer, State: sync | cd},
	}
	r := build(in)
	require.Equal(t, "actor state", r.LACPSource, "LACP source")
	for name, want := range map[string]float64{
		sim.MilestoneSyncDX: 2004, sim.MilestoneSyncCustomer: 2005, sim.MilestoneCollDistDX: 2104,
		sim.MilestoneCollDistCustomer: 2105, sim.MilestoneLACPConverged: 2105,
	} {
		m, ok := r.Milestone(name)
		if assert.True(t, ok, "no %s milestone", name) {
			assert.Equal(t, want, m.TMS, name)
		}
	}
	// Down at 2, DX collecting at 2,104.
	require.NotNil(t, r.LACPOutageMS, "LACP outage")
	assert.Equal(t, 2102.0, *r.LACPOutageMS, "LACP outage")
}

// TestBuildLateSender: the probe's sender was not run from 2,460 ms to
// 2,510 ms and sent its backlog at once when it ran again, after the link
// had come back at 2,504; the backlog from 2,460 on was delivered, so only
// 2,458 frames count as lost, 46 ms short of the link's outage. The send
// times either side of the outage show the lateness, and the probe agrees
// with the link within it; without it, it would not.
func TestBuildLateSender(t *testing.T) {
	t.Parallel()
	in := associateInputs(2460)
	in.probe.Outage.LastBefore.Sent = at(1)
	in.probe.Outage.FirstAfter.Sent = at(2510)
	r := build(in)
	require.Equal(t, 2458.0, deref(r.ProbeOutageMS), "probe outage")
	require.Equal(t, 50.0, r.ProbeLatenessMS, "probe lateness")
	require.True(t, r.Agree, "probe %v (+%v late) and LACP %v: want agreement within the sender's lateness",
		deref(r.ProbeOutageMS), r.ProbeLatenessMS, deref(r.LACPOutageMS))

	// The same count from a sender that kept time is a real disagreement.
	in = associateInputs(2460)
	in.probe.Outage.LastBefore.Sent = at(1)
	in.probe.Outage.FirstAfter.Sent = at(2460)
	r = build(in)
	assert.Zero(t, r.ProbeLatenessMS, "punctual sender: lateness")
	assert.False(t, r.Agree, "punctual sender: agreement")
}

// TestBuildRouted: the routed probe's longest outage is its section of the
// report and two milestones of the VIF it follows.
func TestBuildRouted(t *testing.T) {
	in := associateInputs(2510)
	in.routed = &RoutedTarget{VIFID: "dxvif-aaaaaaaa", From: netip.MustParseAddr("100.64.5.1"), To: netip.MustParseAddr("10.16.0.1")}
	r := build(in)
	require.NotNil(t, r.Routed, "while it runs")
	assert.Nil(t, r.Routed.OutageMS)
	in.routedRes = &probe.Result{Rate: 1000, Sent: 9000, Lost: 6000, Outage: probe.Outage{Lost: 6000,
		LastBefore: probe.Arrival{Seq: 9, At: at(1)}, FirstAfter: probe.Arrival{Seq: 6010, At: at(6200)}}}
	r = build(in)
	require.NotNil(t, r.Routed.OutageMS)
	assert.InDelta(t, 6000.0, *r.Routed.OutageMS, 0.01, "6,000 lost at 1,000/s")
	assert.Equal(t, 6000, r.Routed.Lost)
	assert.Equal(t, "10.16.0.1", r.Routed.To)
	lost, ok := r.VIFMilestone(sim.MilestoneRoutedLost, "dxvif-aaaaaaaa")
	require.True(t, ok, "%+v", r.Milestones)
	back, ok := r.VIFMilestone(sim.MilestoneRoutedRestored, "dxvif-aaaaaaaa")
	require.True(t, ok)
	assert.InDelta(t, 1.0, lost.TMS, 0.01)
	assert.InDelta(t, 6200.0, back.TMS, 0.01)
}
