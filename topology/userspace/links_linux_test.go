package userspace

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/dxsim/dxsim/topology/netnstest"
)

// TestLinkChangesReachLAGAfterOverflow overflows the Host's link watch (a
// tiny receive buffer, a burst of veths in its namespace) and then takes a
// member and a VLAN's parent port down and up again: the member's status and
// the VLAN's carrier must follow, as they cannot if the watch died with the
// overflow.
func TestLinkChangesReachLAGAfterOverflow(t *testing.T) {
	netnstest.RequireRoot(t)
	aws := newSide(t, "aws", func(c Config) (*Host, error) {
		c.linkBuffer = 1
		return New(c)
	})
	cust := newSide(t, "customer", New)
	connect(t, aws, "dxcon-m", cust, "cust-m")
	connect(t, aws, "dxcon-p", cust, "cust-p")
	require.NoError(t, aws.h.CreateLAG(LAGConfig{Name: "dxlag-t", MinLinks: 1, Static: true}))
	aws.join("dxlag-t", "dxcon-m")
	require.NoError(t, aws.h.CreateVLAN(VLANConfig{Name: "dxvif-p", Parent: "dxcon-p", VID: 202}))
	waitUntil(t, "member up", func() bool { return memberUp(t, aws, "dxlag-t", "dxcon-m") })
	waitUntil(t, "VLAN carrier", func() bool { return aws.lowerUp("dxvif-p") })

	for i := range 200 {
		v := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: fmt.Sprintf("burst-a%d", i)}, PeerName: fmt.Sprintf("burst-b%d", i)}
		require.NoError(t, aws.nl.LinkAdd(v))
		aws.setUp(v.Name, true)
	}
	waitUntil(t, "a resync after the burst", func() bool { return aws.h.LinkResyncs() > 0 })
	t.Logf("%d resyncs", aws.h.LinkResyncs())

	for _, up := range []bool{false, true} {
		aws.setUp("dxcon-m", up)
		aws.setUp("dxcon-p", up)
		waitUntil(t, fmt.Sprintf("member seen up=%v", up), func() bool { return memberUp(t, aws, "dxlag-t", "dxcon-m") == up })
		waitUntil(t, fmt.Sprintf("VLAN carrier %v", up), func() bool { return aws.lowerUp("dxvif-p") == up })
	}
}

func memberUp(t *testing.T, s *side, lag, member string) bool {
	t.Helper()
	st, err := s.h.LAGStatus(lag)
	require.NoError(t, err)
	for _, m := range st.Members {
		if m.Name == member {
			return m.Up
		}
	}
	require.FailNow(t, fmt.Sprintf("%s is not a member of %s", member, lag), "%+v", st)
	return false
}

// waitUntil polls cond until it holds or waitLimit passes.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			require.FailNow(t, "never came true", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestDeletedTAPsDoNotSpin deletes a LAG's TAP and a VLAN's by hand: their
// files then fail every read until closed, and the readers must wait between
// tries, not spin a CPU each until something repairs the LAG and VLAN.
func TestDeletedTAPsDoNotSpin(t *testing.T) {
	netnstest.RequireRoot(t)
	aws := newSide(t, "aws", New)
	cust := newSide(t, "customer", New)
	connect(t, aws, "dxcon-m", cust, "cust-m")
	connect(t, aws, "dxcon-p", cust, "cust-p")
	require.NoError(t, aws.h.CreateLAG(LAGConfig{Name: "dxlag-t", MinLinks: 1, Static: true}))
	aws.join("dxlag-t", "dxcon-m")
	require.NoError(t, aws.h.CreateVLAN(VLANConfig{Name: "dxvif-p", Parent: "dxcon-p", VID: 202}))
	for _, name := range []string{"dxlag-t", "dxvif-p"} {
		l, err := aws.nl.LinkByName(name)
		require.NoError(t, err)
		require.NoError(t, aws.nl.LinkDel(l))
	}
	// Two spinning readers burn two CPU-seconds a second; waiting ones
	// next to nothing. Half a CPU-second leaves room for a loaded host.
	before := cpuTime(t)
	time.Sleep(time.Second)
	used := cpuTime(t) - before
	assert.Less(t, used, 500*time.Millisecond, "CPU used in a second with two TAPs deleted")
}

// cpuTime is the CPU time this process has used.
func cpuTime(t *testing.T) time.Duration {
	t.Helper()
	var ru unix.Rusage
	require.NoError(t, unix.Getrusage(unix.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestLinkMonitorLooksOnItsTicks: with LinkMonitor set, a LAG sees its
// members' links only when it looks, as a Linux bond's miimon does. A link
// down and up again between two looks (here 3 s apart, half a second from
// the nearest) is never seen; one held down is seen at the next look.
func TestLinkMonitorLooksOnItsTicks(t *testing.T) {
	netnstest.RequireRoot(t)
	aws := newSide(t, "aws", New)
	cust := newSide(t, "customer", New)
	connect(t, aws, "dxcon-h", cust, "cust-h")
	connect(t, aws, "dxcon-s", cust, "cust-s")
	// The 3 s monitor looks at born + k·3s, born within [t0, t1].
	const period = 3 * time.Second
	t0 := time.Now()
	require.NoError(t, aws.h.CreateLAG(LAGConfig{Name: "dxlag-h", MinLinks: 1, Static: true, LinkMonitor: period}))
	t1 := time.Now()
	require.NoError(t, aws.h.CreateLAG(LAGConfig{Name: "dxlag-s", MinLinks: 1, Static: true, LinkMonitor: 200 * time.Millisecond}))
	aws.join("dxlag-h", "dxcon-h")
	aws.join("dxlag-s", "dxcon-s")
	waitUntil(t, "the 200 ms monitor's member up", func() bool { return memberUp(t, aws, "dxlag-s", "dxcon-s") })
	waitUntil(t, "the 3 s monitor's member up", func() bool { return memberUp(t, aws, "dxlag-h", "dxcon-h") })

	// Down for half a second a second after one look and so a second and a
	// half before the next, and up again: unseen.
	k := time.Since(t0)/period + 1
	time.Sleep(time.Until(t0.Add(k*period + time.Second)))
	require.Less(t, t1.Sub(t0), 200*time.Millisecond, "CreateLAG took too long to know when the LAG looks")
	aws.setUp("dxcon-h", false)
	for range 10 {
		time.Sleep(50 * time.Millisecond)
		require.True(t, memberUp(t, aws, "dxlag-h", "dxcon-h"), "a link down between two looks was seen")
	}
	aws.setUp("dxcon-h", true)

	// The 200 ms monitor: held down, seen at its next look.
	down := time.Now()
	aws.setUp("dxcon-s", false)
	waitUntil(t, "the held-down member seen down", func() bool { return !memberUp(t, aws, "dxlag-s", "dxcon-s") })
	took := time.Since(down)
	t.Logf("seen down after %v", took)
	assert.Less(t, took, time.Second, "a monitor of 200 ms took %v to see a link down", took)
	aws.setUp("dxcon-s", true)
	waitUntil(t, "the member seen up again", func() bool { return memberUp(t, aws, "dxlag-s", "dxcon-s") })
}
