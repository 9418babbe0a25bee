package userspace

import (
	"errors"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"go.uber.org/goleak"
	"golang.org/x/sys/unix"

	"github.com/dxsim/dxsim/lacp"
	"github.com/dxsim/dxsim/topology/internal/nsthread"
	"github.com/dxsim/dxsim/topology/netnstest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// waitLimit bounds every wait for the kernel or for LACP; a test that hits
// it fails. Nothing is asserted about how long anything took.
const waitLimit = 30 * time.Second

// side is one namespace with its netlink handle and Host.
type side struct {
	t    testing.TB
	name string
	ns   netns.NsHandle
	nl   *netlink.Handle
	h    *Host
}

func newSide(t testing.TB, name string, newHost func(Config) (*Host, error)) *side {
	t.Helper()
	ns, nl := netnstest.NewNS(t)
	h, err := newHost(Config{NetNS: ns, Events: 4096})
	require.NoError(t, err)
	t.Cleanup(func() {
		assert.NoError(t, h.Close(), "%s: Close", name)
	})
	return &side{t: t, name: name, ns: ns, nl: nl, h: h}
}

// connect makes a veth pair from a's port to b's.
func connect(t testing.TB, a *side, aPort string, b *side, bPort string) {
	t.Helper()
	veth := &netlink.Veth{
		LinkAttrs:     netlink.LinkAttrs{Name: aPort},
		PeerName:      bPort,
		PeerNamespace: netlink.NsFd(int(b.ns)),
	}
	require.NoError(t, a.nl.LinkAdd(veth))
	a.setUp(aPort, true)
	b.setUp(bPort, true)
}

func (s *side) setUp(name string, up bool) {
	s.t.Helper()
	l, err := s.nl.LinkByName(name)
	require.NoError(s.t, err)
	if up {
		err = s.nl.LinkSetUp(l)
	} else {
		err = s.nl.LinkSetDown(l)
	}
	require.NoError(s.t, err)
}

// join adds a port to a LAG as topology does: down, add, up.
func (s *side) join(lag, port string) {
	s.t.Helper()
	s.setUp(port, false)
	require.NoError(s.t, s.h.AddMember(lag, port))
	s.setUp(port, true)
}

// lowerUp reports whether the kernel says link has carrier.
func (s *side) lowerUp(link string) bool {
	s.t.Helper()
	l, err := s.nl.LinkByName(link)
	require.NoError(s.t, err)
	return l.Attrs().RawFlags&unix.IFF_LOWER_UP != 0
}

func (s *side) addr(link, cidr string) {
	s.t.Helper()
	l, err := s.nl.LinkByName(link)
	require.NoError(s.t, err)
	a, err := netlink.ParseAddr(cidr)
	require.NoError(s.t, err)
	require.NoError(s.t, s.nl.AddrAdd(l, a))
}

// waitFor reads s's events until ok says yes.
func (s *side) waitFor(what string, ok func(Event) bool) Event {
	s.t.Helper()
	timeout := time.After(waitLimit)
	for {
		select {
		case e := <-s.h.Events():
			s.t.Logf("%s: %s", s.name, e)
			if ok(e) {
				return e
			}
		case <-timeout:
			require.FailNow(s.t, "no event: "+what, "%s: status %+v", s.name, s.h.LAGs())
		}
	}
}

// waitUsable waits until every named member of lag collects and
// distributes, and its partner, as last heard, says so too.
func (s *side) waitUsable(lag string, members ...string) {
	s.t.Helper()
	usable := func() bool {
		st, err := s.h.LAGStatus(lag)
		require.NoError(s.t, err)
		n := 0
		for _, m := range st.Members {
			for _, want := range members {
				if m.Name == want && m.CollectingDistributing() && m.Partner.Has(inUse) {
					n++
				}
			}
		}
		return n == len(members)
	}
	if usable() {
		return
	}
	s.waitFor(fmt.Sprintf("%s: %v collecting and distributing both ways", lag, members), func(Event) bool { return usable() })
}

const inUse = lacp.StateSynchronization | lacp.StateCollecting | lacp.StateDistributing

// udpAcross sends datagrams from one side's address to the other's until one
// arrives: ARP has to cross the LAG first.
func udpAcross(t *testing.T, from *side, src string, to *side, dst string) {
	t.Helper()
	require.True(t, udpCrosses(t, from, src, to, dst, waitLimit), "no datagram crossed from %s to %s", src, dst)
}

// udpNotAcross sends datagrams from one side's address to the other's for
// half a second: none may arrive.
func udpNotAcross(t *testing.T, from *side, src string, to *side, dst string) {
	t.Helper()
	require.False(t, udpCrosses(t, from, src, to, dst, 500*time.Millisecond), "a datagram crossed from %s to %s", src, dst)
}

// udpCrosses sends datagrams from one side's address to the other's until
// one arrives (true; it must be one of them, from src) or limit has passed.
// A send may fail while the destination is not resolved.
func udpCrosses(t *testing.T, from *side, src string, to *side, dst string, limit time.Duration) bool {
	t.Helper()
	rx := listenUDP(t, to, dst)
	defer rx.Close()
	tx := listenUDP(t, from, src)
	defer tx.Close()
	payload := []byte("dxsim " + src + " -> " + dst)
	dstAddr := &net.UDPAddr{IP: net.ParseIP(dst), Port: 7777}
	buf := make([]byte, 1500)
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); {
		_, _ = tx.WriteToUDP(payload, dstAddr)
		_ = rx.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		n, from, err := rx.ReadFromUDP(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			continue
		}
		require.NoError(t, err)
		require.Equal(t, payload, buf[:n], "received from %v", from)
		require.True(t, from.IP.Equal(net.ParseIP(src)), "received %q from %v, want from %s", buf[:n], from, src)
		return true
	}
	return false
}

// neighbours lists the interface's neighbour entries but permanent ones.
func (s *side) neighbours(index int) []string {
	s.t.Helper()
	ns, err := s.nl.NeighList(index, netlink.FAMILY_ALL)
	require.NoError(s.t, err)
	var out []string
	for _, n := range ns {
		if n.State&(netlink.NUD_PERMANENT|netlink.NUD_NOARP) == 0 {
			out = append(out, n.String())
		}
	}
	return out
}

func listenUDP(t *testing.T, s *side, ip string) *net.UDPConn {
	t.Helper()
	var c *net.UDPConn
	err := nsthread.Do(s.ns, func() error {
		var err error
		c, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP(ip), Port: 7777})
		return err
	})
	require.NoError(t, err)
	return c
}

func TestStaticLAGCarriesTrafficAndVLANs(t *testing.T) {
	netnstest.RequireRoot(t)
	aws := newSide(t, "aws", New)
	cust := newSide(t, "customer", New)
	for i := range 2 {
		connect(t, aws, fmt.Sprintf("dxcon-a%d", i), cust, fmt.Sprintf("cust-a%d", i))
	}
	connect(t, aws, "dxcon-p", cust, "cust-p")

	for _, s := range []*side{aws, cust} {
		require.NoError(t, s.h.CreateLAG(LAGConfig{Name: "dxlag-t", MinLinks: 1, Static: true}))
	}
	for i := range 2 {
		aws.join("dxlag-t", fmt.Sprintf("dxcon-a%d", i))
		cust.join("dxlag-t", fmt.Sprintf("cust-a%d", i))
	}
	for _, s := range []*side{aws, cust} {
		s.waitFor("LAG carrier", func(e Event) bool { return e.Kind == EventCarrier && e.Up })
	}
	aws.addr("dxlag-t", "10.9.0.1/24")
	cust.addr("dxlag-t", "10.9.0.2/24")
	udpAcross(t, aws, "10.9.0.1", cust, "10.9.0.2")
	udpAcross(t, cust, "10.9.0.2", aws, "10.9.0.1")

	// A VIF on the LAG and one on the standalone port.
	for _, s := range []*side{aws, cust} {
		port := "dxcon-p"
		if s == cust {
			port = "cust-p"
		}
		for _, v := range []VLANConfig{{Name: "dxvif-l", Parent: "dxlag-t", VID: 101}, {Name: "dxvif-p", Parent: port, VID: 202}} {
			require.NoError(t, s.h.CreateVLAN(v))
		}
	}
	aws.addr("dxvif-l", "10.9.1.1/24")
	cust.addr("dxvif-l", "10.9.1.2/24")
	aws.addr("dxvif-p", "10.9.2.1/24")
	cust.addr("dxvif-p", "10.9.2.2/24")
	udpAcross(t, aws, "10.9.1.1", cust, "10.9.1.2")
	udpAcross(t, cust, "10.9.2.2", aws, "10.9.2.1")

	// The port's VIF follows its connection into the LAG: same TAP, same
	// addresses, new parent; the port's trunk is closed with its last VLAN.
	// It forgets its neighbours, as the new VLAN device the kernel makes
	// for such a move knows none.
	vifP, err := aws.nl.LinkByName("dxvif-p")
	require.NoError(t, err)
	require.NoError(t, aws.nl.NeighAdd(&netlink.Neigh{LinkIndex: vifP.Attrs().Index, Family: netlink.FAMILY_V4,
		State: netlink.NUD_STALE, IP: net.ParseIP("10.9.2.9"), HardwareAddr: vifP.Attrs().HardwareAddr}))
	require.NotEmpty(t, aws.neighbours(vifP.Attrs().Index))
	for _, s := range []*side{aws, cust} {
		require.NoError(t, s.h.MoveVLAN(VLANConfig{Name: "dxvif-p", Parent: "dxlag-t", VID: 202}))
		got := s.h.VLANs()
		require.Len(t, got, 2, "%s: VLANs after the move", s.name)
		require.Equal(t, "dxlag-t", got[1].Parent, "%s: VLANs after the move: %+v", s.name, got)
	}
	assert.Empty(t, aws.neighbours(vifP.Attrs().Index), "the moved VLAN kept its neighbours")
	aws.join("dxlag-t", "dxcon-p")
	cust.join("dxlag-t", "cust-p")
	udpAcross(t, aws, "10.9.2.1", cust, "10.9.2.2")
	udpAcross(t, cust, "10.9.1.2", aws, "10.9.1.1")

	// Min links above the members takes the carrier away, and back.
	index := map[string]int{}
	for _, name := range []string{"dxlag-t", "dxvif-l", "dxvif-p"} {
		l, err := aws.nl.LinkByName(name)
		require.NoError(t, err)
		index[name] = l.Attrs().Index
	}
	require.NoError(t, aws.h.SetMinLinks("dxlag-t", 4))
	aws.waitFor("carrier off at min links 4", func(e Event) bool { return e.Kind == EventCarrier && !e.Up })
	st, _ := aws.h.LAGStatus("dxlag-t")
	assert.False(t, st.Up, "status at min links 4: %+v", st)
	assert.Equal(t, 4, st.MinLinks, "status at min links 4: %+v", st)
	assert.Len(t, st.Members, 3, "status at min links 4: %+v", st)
	// As on a bond: the neighbours forgotten, nothing sent, no carrier.
	// The kernel's own queue for a TAP stops and its neighbours go only
	// at its link watch's next run, up to a second later, or when asked
	// for the interface (some kernels synchronise then): so the
	// neighbours are listed by a dump, before anything asks.
	for _, name := range []string{"dxlag-t", "dxvif-l", "dxvif-p"} {
		assert.Empty(t, aws.neighbours(index[name]), "%s keeps its neighbours without carrier", name)
	}
	udpNotAcross(t, aws, "10.9.1.1", cust, "10.9.1.2")
	for _, name := range []string{"dxlag-t", "dxvif-l", "dxvif-p"} {
		assert.False(t, aws.lowerUp(name), "%s has carrier at min links 4", name)
	}
	require.NoError(t, aws.h.SetMinLinks("dxlag-t", 1))
	aws.waitFor("carrier on at min links 1", func(e Event) bool { return e.Kind == EventCarrier && e.Up })
	for _, name := range []string{"dxlag-t", "dxvif-l", "dxvif-p"} {
		assert.True(t, aws.lowerUp(name), "%s has no carrier at min links 1", name)
	}
}

// TestDeleteLAGWhileAddingMembers races member additions against the LAG's
// deletion: every call returns, and no socket or goroutine is left behind
// (TestMain checks for leaked goroutines).
func TestDeleteLAGWhileAddingMembers(t *testing.T) {
	netnstest.RequireRoot(t)
	s := newSide(t, "aws", New)
	const n = 6
	for i := range n {
		veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: fmt.Sprintf("dxcon-r%d", i)}, PeerName: fmt.Sprintf("cust-r%d", i)}
		require.NoError(t, s.nl.LinkAdd(veth))
	}
	mac, _ := net.ParseMAC("02:dd:00:00:00:07")
	for round := range 3 {
		require.NoError(t, s.h.CreateLAG(LAGConfig{Name: "dxlag-r", SystemMAC: mac}))
		done := make(chan error, n)
		for i := range n {
			go func() { done <- s.h.AddMember("dxlag-r", fmt.Sprintf("dxcon-r%d", i)) }()
		}
		require.NoError(t, s.h.DeleteLAG("dxlag-r"))
		for range n {
			<-done // joined, or refused because the LAG went: either is fine
		}
		require.Empty(t, s.h.LAGs(), "round %d: LAGs after delete", round)
	}
	// No port is left marked as a member of a LAG that is gone.
	require.NoError(t, s.h.CreateLAG(LAGConfig{Name: "dxlag-s", SystemMAC: mac}))
	for i := range n {
		assert.NoError(t, s.h.AddMember("dxlag-s", fmt.Sprintf("dxcon-r%d", i)), "joining a fresh LAG after the races")
	}
}
