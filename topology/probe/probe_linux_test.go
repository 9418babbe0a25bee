package probe

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"

	"github.com/dxsim/dxsim/topology/netnstest"
)

// TestProbeAcrossABounce runs the probe over a veth pair between two fresh
// namespaces, takes the link down and up, and checks that the outage it
// reports is the bounce: frames lost while down, none after.
func TestProbeAcrossABounce(t *testing.T) {
	netnstest.RequireRoot(t)
	crNS, cr := netnstest.NewNS(t)
	dxNS, dx := netnstest.NewNS(t)
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "pcr"}, PeerName: "pdx", PeerNamespace: netlink.NsFd(int(dxNS))}
	require.NoError(t, cr.LinkAdd(veth))
	for _, x := range []struct {
		h    *netlink.Handle
		name string
	}{{cr, "pcr"}, {dx, "pdx"}} {
		l, err := x.h.LinkByName(x.name)
		require.NoError(t, err)
		require.NoError(t, x.h.LinkSetUp(l))
	}
	p, err := Start(Config{SendNS: crNS, Port: "pcr", RecvNS: dxNS, Accept: []string{"pdx"}})
	require.NoError(t, err)
	defer p.Stop()
	waitFor(t, p, time.Time{})
	l, _ := dx.LinkByName("pdx")
	require.NoError(t, dx.LinkSetDown(l))
	// Let frames be lost: wait until enough were sent while the link was down.
	for from := p.Sent(); p.Sent() < from+50; {
		time.Sleep(5 * time.Millisecond)
	}
	up := time.Now()
	require.NoError(t, dx.LinkSetUp(l))
	waitFor(t, p, up)
	r := p.Stop()
	assert.GreaterOrEqual(t, r.Outage.Lost, 50, "outage frames, want at least the 50 sent while down: %+v", r.Outage)
	assert.False(t, r.Restored().Before(up), "restored at %v, before the link came up at %v", r.Restored(), up)
	assert.GreaterOrEqual(t, r.Lost, r.Outage.Lost, "lost in all, fewer than the outage's")
	require.NotZero(t, r.Received, "arrivals: %+v", r.Arrivals)
	assert.Equal(t, "pdx", r.Arrivals[0].Port, "first arrival's port: %+v", r.Arrivals)
}

// TestProbeAcceptsOnlyNamedPorts checks that frames arriving on an interface
// not accepted are ignored, not counted.
func TestProbeAcceptsOnlyNamedPorts(t *testing.T) {
	netnstest.RequireRoot(t)
	crNS, cr := netnstest.NewNS(t)
	dxNS, dx := netnstest.NewNS(t)
	require.NoError(t, cr.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "pcr"}, PeerName: "pdx", PeerNamespace: netlink.NsFd(int(dxNS))}))
	if err := dx.LinkAdd(&netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Name: "other"}}); err != nil {
		// No dummy driver: a second veth pair will do.
		require.NoError(t, dx.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "other"}, PeerName: "other2"}))
	}
	for _, x := range []struct {
		h    *netlink.Handle
		name string
	}{{cr, "pcr"}, {dx, "pdx"}} {
		l, _ := x.h.LinkByName(x.name)
		require.NoError(t, x.h.LinkSetUp(l))
	}
	p, err := Start(Config{SendNS: crNS, Port: "pcr", RecvNS: dxNS, Accept: []string{"other"}})
	require.NoError(t, err)
	for p.Sent() < 30 {
		time.Sleep(5 * time.Millisecond)
	}
	r := p.Stop()
	assert.Zero(t, r.Received, "received: want none counted")
	assert.NotZero(t, r.Ignored, "ignored: want some")
}

// waitFor waits until a frame that arrived after t has been counted.
func waitFor(t *testing.T, p *Probe, after time.Time) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if a, ok := p.Last(); ok && a.At.After(after) {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	require.FailNow(t, "no probe frame counted", "after %v", after)
}

// TestProbeRetire checks that frames on a retired port stop counting from
// the given time, including those counted already.
func TestProbeRetire(t *testing.T) {
	netnstest.RequireRoot(t)
	crNS, cr := netnstest.NewNS(t)
	dxNS, dx := netnstest.NewNS(t)
	require.NoError(t, cr.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "pcr"}, PeerName: "pdx", PeerNamespace: netlink.NsFd(int(dxNS))}))
	for _, x := range []struct {
		h    *netlink.Handle
		name string
	}{{cr, "pcr"}, {dx, "pdx"}} {
		l, _ := x.h.LinkByName(x.name)
		require.NoError(t, x.h.LinkSetUp(l))
	}
	p, err := Start(Config{SendNS: crNS, Port: "pcr", RecvNS: dxNS, Accept: []string{"pdx"}})
	require.NoError(t, err)
	waitFor(t, p, time.Time{})
	cut := time.Now()
	waitFor(t, p, cut)
	p.Retire("pdx", cut)
	r := p.Stop()
	assert.NotZero(t, r.Received, "received")
	assert.NotZero(t, r.Ignored, "ignored")
	for _, a := range r.Arrivals {
		require.False(t, a.At.After(cut), "frame %d arrived at %v, after the port was retired at %v", a.Seq, a.At, cut)
	}
	assert.True(t, r.Outage.FirstAfter.At.IsZero(), "the retired port's frames should end in an open outage: %+v", r.Outage)
	assert.NotZero(t, r.Outage.Lost, "the retired port's frames should end in an open outage: %+v", r.Outage)
}
