package userspace

import (
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/dxsim/dxsim/lacp"
	"github.com/dxsim/dxsim/topology/netnstest"
)

// checkpoints keeps the last checkpoint a Host handed over.
type checkpoints struct {
	mu   sync.Mutex
	last HostCheckpoint
	n    int
}

func (c *checkpoints) set(cp HostCheckpoint) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last, c.n = cp, c.n+1
}

func (c *checkpoints) get() HostCheckpoint {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}

// persisting returns a Host maker whose Hosts hand their checkpoints to cps.
func persisting(cps *checkpoints) func(Config) (*Host, error) {
	return func(c Config) (*Host, error) {
		c.OnCheckpoint = cps.set
		return New(c)
	}
}

// TestResumeAdoptsTAPs is a restart of the process that runs a userspace
// LAG with a VLAN on it: both sides' Hosts detach (their TAPs stay, with
// their addresses), new Hosts resume from the checkpoints and carry on at
// once, without the 2 s a negotiation takes; then deleting the LAG and the
// VLAN removes the persistent TAPs.
func TestResumeAdoptsTAPs(t *testing.T) {
	netnstest.RequireRoot(t)
	var awsCP, custCP checkpoints
	aws := newSide(t, "aws", persisting(&awsCP))
	cust := newSide(t, "customer", persisting(&custCP))
	ports := [][2]string{{"dxcon-r1", "cust-r1"}, {"dxcon-r2", "cust-r2"}}
	for _, p := range ports {
		connect(t, aws, p[0], cust, p[1])
	}
	awsMAC, _ := net.ParseMAC("02:dd:00:00:00:02")
	custMAC, _ := net.ParseMAC("02:cc:00:00:00:02")
	require.NoError(t, aws.h.CreateLAG(LAGConfig{Name: "dxlag-r", MinLinks: 2, SystemMAC: awsMAC}))
	require.NoError(t, cust.h.CreateLAG(LAGConfig{Name: "dxlag-r", MinLinks: 1, SystemMAC: custMAC}))
	// A member with sysctls of its own, which its leaving puts back even
	// when another process quieted it.
	const arp = "/proc/sys/net/ipv4/conf/dxcon-r1/arp_ignore"
	aws.setSysctl(arp, "2")
	for _, p := range ports {
		aws.join("dxlag-r", p[0])
		cust.join("dxlag-r", p[1])
	}
	aws.waitUsable("dxlag-r", ports[0][0], ports[1][0])
	cust.waitUsable("dxlag-r", ports[0][1], ports[1][1])
	for _, s := range []*side{aws, cust} {
		require.NoError(t, s.h.CreateVLAN(VLANConfig{Name: "dxvif-r", Parent: "dxlag-r", VID: 311}))
	}
	aws.addr("dxvif-r", "10.9.1.1/24")
	cust.addr("dxvif-r", "10.9.1.2/24")
	udpAcross(t, aws, "10.9.1.1", cust, "10.9.1.2")
	index := map[string]int{}
	for _, name := range []string{"dxlag-r", "dxvif-r"} {
		l, err := aws.nl.LinkByName(name)
		require.NoError(t, err)
		index[name] = l.Attrs().Index
	}

	// The process stops.
	require.NoError(t, aws.h.Detach())
	require.NoError(t, cust.h.Detach())
	for _, name := range []string{"dxlag-r", "dxvif-r"} {
		l, err := aws.nl.LinkByName(name)
		require.NoError(t, err, "%s stays after Detach", name)
		assert.Equal(t, index[name], l.Attrs().Index, "%s is the same interface", name)
		assert.Zero(t, l.Attrs().RawFlags&unix.IFF_LOWER_UP, "%s has no carrier while nobody runs it", name)
	}
	addrs, err := aws.nl.AddrList(mustLink(t, aws, "dxvif-r"), netlink.FAMILY_V4)
	require.NoError(t, err)
	require.Len(t, addrs, 1, "the VLAN keeps its address")
	for _, cp := range []HostCheckpoint{awsCP.get(), custCP.get()} {
		require.Len(t, cp.LAGs, 1)
		require.NotNil(t, cp.LAGs[0].Engine, "the final checkpoint has the LACP state")
		require.Len(t, cp.LAGs[0].Members, 2)
		require.Equal(t, []VLANConfig{{Name: "dxvif-r", Parent: "dxlag-r", VID: 311}}, cp.VLANs)
	}

	// The next process resumes.
	time.Sleep(200 * time.Millisecond)
	var awsCP2, custCP2 checkpoints
	aws2 := &side{t: t, name: "aws (resumed)", ns: aws.ns, nl: aws.nl}
	cust2 := &side{t: t, name: "customer (resumed)", ns: cust.ns, nl: cust.nl}
	for _, s := range []struct {
		side *side
		cps  *checkpoints
		from HostCheckpoint
	}{{aws2, &awsCP2, awsCP.get()}, {cust2, &custCP2, custCP.get()}} {
		h, err := persisting(s.cps)(Config{NetNS: s.side.ns, Events: 4096})
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, h.Close()) })
		s.side.h = h
		r, err := h.Resume(s.from)
		require.NoError(t, err)
		assert.Equal(t, ResumeReport{LAGs: 1, VLANs: 1, Members: 2, Resumed: 1}, r, "%s", s.side.name)
	}
	resumed := time.Now()
	// The members rejoined one by one, the LAG keeping its carrier:
	// losing it for that moment would forget its TAP's neighbours.
	for _, s := range []*side{aws2, cust2} {
		for drained := false; !drained; {
			select {
			case e := <-s.h.Events():
				assert.False(t, e.Kind == EventCarrier && !e.Up, "%s: the resume took the LAG's carrier away: %s", s.name, e)
			default:
				drained = true
			}
		}
	}
	aws2.waitUsable("dxlag-r", ports[0][0], ports[1][0])
	cust2.waitUsable("dxlag-r", ports[0][1], ports[1][1])
	took := time.Since(resumed)
	t.Logf("both sides collecting and distributing %v after the resume", took.Round(time.Microsecond))
	assert.Less(t, took, time.Second, "the resumed LAG renegotiated")
	for _, name := range []string{"dxlag-r", "dxvif-r"} {
		l := mustLink(t, aws2, name)
		assert.Equal(t, index[name], l.Attrs().Index, "%s adopted, not made again", name)
		assert.NotZero(t, l.Attrs().RawFlags&unix.IFF_LOWER_UP, "%s has carrier again", name)
	}
	udpAcross(t, cust2, "10.9.1.2", aws2, "10.9.1.1")
	st, err := aws2.h.LAGStatus("dxlag-r")
	require.NoError(t, err)
	for _, m := range st.Members {
		assert.True(t, m.Actor.Has(lacp.StateSynchronization|lacp.StateCollecting|lacp.StateDistributing), "%s: %s", m.Name, m.Actor)
	}

	require.NoError(t, aws2.h.RemoveMember("dxlag-r", "dxcon-r1"))
	assert.Equal(t, "2", aws2.sysctl(arp), "the resumed member left without its own arp_ignore back")

	// Deleting removes the persistent TAPs.
	require.NoError(t, aws2.h.DeleteVLAN("dxvif-r"))
	require.NoError(t, aws2.h.DeleteLAG("dxlag-r"))
	for _, name := range []string{"dxlag-r", "dxvif-r"} {
		_, err := aws2.nl.LinkByName(name)
		assert.Error(t, err, "%s deleted, yet still there", name)
	}
	// Close removes them too (the customer side: teardown).
	require.NoError(t, cust2.h.Close())
	for _, name := range []string{"dxlag-r", "dxvif-r"} {
		_, err := cust2.nl.LinkByName(name)
		assert.Error(t, err, "%s closed, yet still there", name)
	}
}

func mustLink(t *testing.T, s *side, name string) netlink.Link {
	t.Helper()
	l, err := s.nl.LinkByName(name)
	require.NoError(t, err)
	return l
}
