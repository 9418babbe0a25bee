package userspace

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/dxsim/dxsim/lacp"
	"github.com/dxsim/dxsim/lacp/capture/afpacket"
	"github.com/dxsim/dxsim/topology/netnstest"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"go.uber.org/goleak"
	"golang.org/x/sys/unix"
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
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := h.Close(); err != nil {
			t.Errorf("%s: Close: %v", name, err)
		}
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
	if err := a.nl.LinkAdd(veth); err != nil {
		t.Fatal(err)
	}
	a.setUp(aPort, true)
	b.setUp(bPort, true)
}

func (s *side) setUp(name string, up bool) {
	s.t.Helper()
	l, err := s.nl.LinkByName(name)
	if err != nil {
		s.t.Fatal(err)
	}
	if up {
		err = s.nl.LinkSetUp(l)
	} else {
		err = s.nl.LinkSetDown(l)
	}
	if err != nil {
		s.t.Fatal(err)
	}
}

// join adds a port to a LAG as topology does: down, add, up.
func (s *side) join(lag, port string) {
	s.t.Helper()
	s.setUp(port, false)
	if err := s.h.AddMember(lag, port); err != nil {
		s.t.Fatal(err)
	}
	s.setUp(port, true)
}

// lowerUp reports whether the kernel says link has carrier.
func (s *side) lowerUp(link string) bool {
	s.t.Helper()
	l, err := s.nl.LinkByName(link)
	if err != nil {
		s.t.Fatal(err)
	}
	return l.Attrs().RawFlags&unix.IFF_LOWER_UP != 0
}

func (s *side) addr(link, cidr string) {
	s.t.Helper()
	l, err := s.nl.LinkByName(link)
	if err != nil {
		s.t.Fatal(err)
	}
	a, err := netlink.ParseAddr(cidr)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := s.nl.AddrAdd(l, a); err != nil {
		s.t.Fatal(err)
	}
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
			s.t.Fatalf("%s: no event: %s; status %+v", s.name, what, s.h.LAGs())
		}
	}
}

// waitUsable waits until every named member of lag collects and
// distributes, and its partner, as last heard, says so too.
func (s *side) waitUsable(lag string, members ...string) {
	s.t.Helper()
	usable := func() bool {
		st, err := s.h.LAGStatus(lag)
		if err != nil {
			s.t.Fatal(err)
		}
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
	rx := listenUDP(t, to, dst)
	defer rx.Close()
	tx := listenUDP(t, from, src)
	defer tx.Close()
	payload := []byte("dxsim " + src + " -> " + dst)
	dstAddr := &net.UDPAddr{IP: net.ParseIP(dst), Port: 7777}
	deadline := time.Now().Add(waitLimit)
	buf := make([]byte, 1500)
	for time.Now().Before(deadline) {
		if _, err := tx.WriteToUDP(payload, dstAddr); err != nil {
			t.Fatalf("send %s -> %s: %v", src, dst, err)
		}
		_ = rx.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		n, from, err := rx.ReadFromUDP(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf[:n], payload) || !from.IP.Equal(net.ParseIP(src)) {
			t.Fatalf("received %q from %v, want %q from %s", buf[:n], from, payload, src)
		}
		return
	}
	t.Fatalf("no datagram crossed from %s to %s", src, dst)
}

func listenUDP(t *testing.T, s *side, ip string) *net.UDPConn {
	t.Helper()
	var c *net.UDPConn
	err := afpacket.InNamespace(s.ns, func() error {
		var err error
		c, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP(ip), Port: 7777})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
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
		if err := s.h.CreateLAG(LAGConfig{Name: "dxlag-t", MinLinks: 1, Static: true}); err != nil {
			t.Fatal(err)
		}
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
			if err := s.h.CreateVLAN(v); err != nil {
				t.Fatal(err)
			}
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
	for _, s := range []*side{aws, cust} {
		if err := s.h.MoveVLAN(VLANConfig{Name: "dxvif-p", Parent: "dxlag-t", VID: 202}); err != nil {
			t.Fatal(err)
		}
		if got := s.h.VLANs(); len(got) != 2 || got[1].Parent != "dxlag-t" {
			t.Fatalf("%s: VLANs after the move: %+v", s.name, got)
		}
	}
	aws.join("dxlag-t", "dxcon-p")
	cust.join("dxlag-t", "cust-p")
	udpAcross(t, aws, "10.9.2.1", cust, "10.9.2.2")
	udpAcross(t, cust, "10.9.1.2", aws, "10.9.1.1")

	// Min links above the members takes the carrier away, and back.
	if err := aws.h.SetMinLinks("dxlag-t", 4); err != nil {
		t.Fatal(err)
	}
	aws.waitFor("carrier off at min links 4", func(e Event) bool { return e.Kind == EventCarrier && !e.Up })
	if st, _ := aws.h.LAGStatus("dxlag-t"); st.Up || st.MinLinks != 4 || len(st.Members) != 3 {
		t.Errorf("status at min links 4: %+v", st)
	}
	if err := aws.h.SetMinLinks("dxlag-t", 1); err != nil {
		t.Fatal(err)
	}
	aws.waitFor("carrier on at min links 1", func(e Event) bool { return e.Kind == EventCarrier && e.Up })
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
		if err := s.nl.LinkAdd(veth); err != nil {
			t.Fatal(err)
		}
	}
	mac, _ := net.ParseMAC("02:dd:00:00:00:07")
	for round := range 3 {
		if err := s.h.CreateLAG(LAGConfig{Name: "dxlag-r", SystemMAC: mac}); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, n)
		for i := range n {
			go func() { done <- s.h.AddMember("dxlag-r", fmt.Sprintf("dxcon-r%d", i)) }()
		}
		if err := s.h.DeleteLAG("dxlag-r"); err != nil {
			t.Fatal(err)
		}
		for range n {
			<-done // joined, or refused because the LAG went: either is fine
		}
		if got := s.h.LAGs(); len(got) != 0 {
			t.Fatalf("round %d: LAGs after delete: %+v", round, got)
		}
	}
	// No port is left marked as a member of a LAG that is gone.
	if err := s.h.CreateLAG(LAGConfig{Name: "dxlag-s", SystemMAC: mac}); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := s.h.AddMember("dxlag-s", fmt.Sprintf("dxcon-r%d", i)); err != nil {
			t.Errorf("joining a fresh LAG after the races: %v", err)
		}
	}
}
