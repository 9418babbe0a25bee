package topology

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"

	"github.com/dxsim/dxsim/lacp"
	"github.com/dxsim/dxsim/sim"
)

// TestResyncReportsWhatChangedUnheard feeds a namespace's link watch a
// resync after a lost watch: what changed is reported once, what did not is
// not, and what vanished is gone; another namespace is untouched. No root.
func TestResyncReportsWhatChangedUnheard(t *testing.T) {
	t.Parallel()
	d := &DataPlane{ev: newEventSink(time.Now)}
	d.control = d.ev.bus.Subscribe(0)
	defer d.control.Close()
	a := nsLinks{d: d, ns: "ns-a", side: sim.SideAWS}
	b := nsLinks{d: d, ns: "ns-b", side: sim.SideAWS}
	up := uint32(unix.IFF_UP | unix.IFF_LOWER_UP)
	for _, l := range []netlink.Link{veth("dxcon-down", up), veth("dxcon-gone", up), veth("dxcon-same", up), tap("dxlag-x", up)} {
		a.Update(netlink.LinkUpdate{Header: unix.NlMsghdr{Type: unix.RTM_NEWLINK}, IfInfomsg: flagsOf(l), Link: l})
	}
	b.Update(netlink.LinkUpdate{Header: unix.NlMsghdr{Type: unix.RTM_NEWLINK}, IfInfomsg: flagsOf(veth("dxcon-b", up)), Link: veth("dxcon-b", up)})
	require.Equal(t, "lag dxlag-x up; link dxcon-b up; link dxcon-down up; link dxcon-gone up; link dxcon-same up", drain(d), "before the resync")

	a.Resync([]netlink.Link{
		&netlink.Device{LinkAttrs: netlink.LinkAttrs{Name: "lo", RawFlags: up}},
		veth("dxcon-down", unix.IFF_UP), // no carrier
		veth("dxcon-same", up),
		tap("dxlag-x", unix.IFF_UP),
		veth("dxcon-new", up),
	})
	assert.Equal(t, "lag dxlag-x down; link dxcon-down down; link dxcon-gone down; link dxcon-new up", drain(d), "resync reported")
	// The same list again changes nothing.
	a.Resync([]netlink.Link{veth("dxcon-down", 0), veth("dxcon-same", up), tap("dxlag-x", 0), veth("dxcon-new", up)})
	assert.Empty(t, drain(d), "a second resync reported")
	// A vanished link is forgotten: made again, it is reported afresh.
	a.Resync([]netlink.Link{veth("dxcon-gone", up)})
	assert.Contains(t, drain(d), "link dxcon-gone up", "a vanished link's return")
}

func veth(name string, flags uint32) netlink.Link {
	return &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: name, RawFlags: flags}}
}

func tap(name string, flags uint32) netlink.Link {
	return &netlink.Tuntap{LinkAttrs: netlink.LinkAttrs{Name: name, RawFlags: flags}}
}

func flagsOf(l netlink.Link) (m nl.IfInfomsg) {
	m.Flags = l.Attrs().RawFlags
	return m
}

// drain returns the events delivered so far as "kind name up|down", sorted.
func drain(d *DataPlane) string {
	var out []string
	for {
		select {
		case e := <-d.control.C():
			kind, name := "link", e.ConnectionID
			if e.Kind == sim.EventLAG {
				kind, name = "lag", e.LAGID
			}
			state := "down"
			if e.Up {
				state = "up"
			}
			out = append(out, fmt.Sprintf("%s %s %s", kind, name, state))
		case <-time.After(100 * time.Millisecond): // quiet: all delivered
			sort.Strings(out)
			return strings.Join(out, "; ")
		}
	}
}

// TestLinkEventsSurviveOverflow overflows the data plane's link watch (a
// tiny receive buffer, a burst of veths in the AWS namespace), then takes a
// port's customer end down: the AWS end's lost carrier must still be
// reported.
func TestLinkEventsSurviveOverflow(t *testing.T) {
	d := openTestPrefix(t, testPrefix(), "userspace", nil, func(o *Options) { o.linkBuffer = 1 })
	ev := record(t, d)
	p := sim.PortSpec{ConnectionID: "dxcon-aaaa0001", DeviceID: "EqDC2-dev1"}
	require.NoError(t, d.CreatePort(context.Background(), p))
	ev.wait(t, "aws link up", func(e sim.Event) bool {
		return e.Kind == sim.EventLink && e.Side == sim.SideAWS && e.ConnectionID == p.ConnectionID && e.Up
	})
	aws := handleIn(t, d.names.ns(roleDevice, p.DeviceID))
	for i := range 150 {
		v := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: fmt.Sprintf("burst-a%d", i)}, PeerName: fmt.Sprintf("burst-b%d", i)}
		require.NoError(t, aws.LinkAdd(v))
		require.NoError(t, aws.LinkSetUp(v))
	}
	deadline := time.Now().Add(60 * time.Second)
	for d.LinkResyncs() == 0 {
		require.False(t, time.Now().After(deadline), "the burst never overflowed the link watch")
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("%d resyncs", d.LinkResyncs())
	st, err := d.Status(context.Background())
	if assert.NoError(t, err, "status") {
		assert.NotZero(t, st.LinkResyncs, "status reports no link resyncs, want some")
	}

	n := len(ev.snapshot())
	cust := handleIn(t, d.names.ns(roleRouter, p.DeviceID))
	l, err := cust.LinkByName(p.ConnectionID)
	require.NoError(t, err)
	require.NoError(t, cust.LinkSetDown(l))
	ev.waitAfter(t, n, "aws link down after the overflow", func(e sim.Event) bool {
		return e.Kind == sim.EventLink && e.Side == sim.SideAWS && e.ConnectionID == p.ConnectionID && !e.Up
	})
}

// TestMemberReportedAfreshAfterItsLinkBounced: a bond member whose link
// went down and came back within one poll reports the same LACP state as
// before; it is reported again all the same, or the control plane, which
// saw the link go down, would keep the member down. No root.
func TestMemberReportedAfreshAfterItsLinkBounced(t *testing.T) {
	t.Parallel()
	s := newEventSink(time.Now)
	sub := s.bus.Subscribe(0)
	defer sub.Close()
	k := linkKey{ns: "ns-a", name: "dxcon-a"}
	port := sim.Event{Kind: sim.EventLink, Side: sim.SideAWS, ConnectionID: "dxcon-a"}
	member := sim.Event{Kind: sim.EventLACP, Side: sim.SideAWS, ConnectionID: "dxcon-a", LAGID: "dxlag-a"}
	usable := lacp.StateActivity | lacp.StateTimeout | lacp.StateAggregation | lacp.StateSynchronization | lacp.StateCollecting | lacp.StateDistributing
	// count counts the events delivered until none comes for 100 ms.
	count := func() (n int) {
		for {
			select {
			case <-sub.C():
				n++
			case <-time.After(100 * time.Millisecond):
				return n
			}
		}
	}
	s.link(k, port, true, false)
	s.member(k, member, usable)
	require.Equal(t, 2, count(), "link up and the member's state")
	s.member(k, member, usable)
	assert.Zero(t, count(), "the same state polled again is no change")
	s.link(k, port, false, false)
	require.Equal(t, 1, count(), "the link down")
	s.member(k, member, usable)
	assert.Zero(t, count(), "the bond's state, not yet changed while the link is down, is no news")
	s.link(k, port, true, false)
	require.Equal(t, 1, count(), "the link up")
	s.member(k, member, usable)
	assert.Equal(t, 1, count(), "the member's state after its link bounced, unchanged on the bond, is not reported again")
}
