package vmcheck

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/dxsim/dxsim/lacp"
	"github.com/dxsim/dxsim/topology/netnstest"
)

// convergeWithin bounds the wait for LACP. Fast-rate LACPDUs go out every
// second, so a healthy pair converges in a few; the bound is generous because
// the VM emulates its CPU.
const convergeWithin = 90 * time.Second

// side is one end of the aggregated link: a namespace, its netlink handle and
// the bond made in it.
type side struct {
	name string
	ns   netns.NsHandle
	h    *netlink.Handle
	bond *netlink.Bond
}

// TestBondsNegotiateLACPAndCarryVLAN is the kernel path end to end: two
// 802.3ad bonds, one in each of two fresh namespaces, over two veth pairs,
// negotiate LACP until every member is in sync, collecting and distributing
// in one aggregator, and then carry a datagram over an 802.1Q VLAN on top.
func TestBondsNegotiateLACPAndCarryVLAN(t *testing.T) {
	netnstest.RequireBondingAndVLAN(t)
	a, b := newSide(t, "a"), newSide(t, "b")

	// Two veth pairs from a to b: the members of the aggregate.
	members := []string{"dxsim-m0", "dxsim-m1"}
	for _, m := range members {
		veth := &netlink.Veth{
			LinkAttrs:     netlink.LinkAttrs{Name: m},
			PeerName:      m + "p",
			PeerNamespace: netlink.NsFd(int(b.ns)),
		}
		require.NoError(t, a.h.LinkAdd(veth), "veth %s", m)
		// The peer takes the member's name on b's side, so both bonds have
		// members of the same names.
		require.NoError(t, renameLink(b.h, m+"p", m))
	}
	for _, s := range []*side{a, b} {
		for _, m := range members {
			s.enslave(t, m)
		}
		require.NoError(t, s.h.LinkSetUp(s.bond), "%s: bond up", s.name)
	}

	for _, s := range []*side{a, b} {
		for _, m := range members {
			s.waitCollectingDistributing(t, m)
		}
	}
	// Both members of each bond are in one aggregator. (The bond's own
	// IFLA_BOND_AD_INFO, with the partner's MAC, is not decoded by netlink.)
	for _, s := range []*side{a, b} {
		var aggs []uint16
		for _, m := range members {
			aggs = append(aggs, s.slave(t, m).AggregatorId)
		}
		assert.NotZero(t, aggs[0], "%s: members are in aggregators %v, want one shared aggregator", s.name, aggs)
		assert.Equal(t, aggs[0], aggs[1], "%s: members are in aggregators %v, want one shared aggregator", s.name, aggs)
	}

	const vid = 100
	addVLAN(t, a, vid, "192.0.2.1/30")
	exchangeUDP(t, a, b, addVLAN(t, b, vid, "192.0.2.2/30"))
}

func newSide(t *testing.T, name string) *side {
	t.Helper()
	ns, h := netnstest.NewNS(t)
	bond := netlink.NewLinkBond(netlink.LinkAttrs{Name: "dxsim-bond"})
	bond.Mode = netlink.BOND_MODE_802_3AD
	bond.LacpRate = netlink.BOND_LACP_RATE_FAST
	bond.Miimon = 100
	require.NoError(t, h.LinkAdd(bond), "%s: bond", name)
	return &side{name: name, ns: ns, h: h, bond: bond}
}

func renameLink(h *netlink.Handle, from, to string) error {
	l, err := h.LinkByName(from)
	if err != nil {
		return fmt.Errorf("finding %s: %w", from, err)
	}
	if err := h.LinkSetName(l, to); err != nil {
		return fmt.Errorf("renaming %s to %s: %w", from, to, err)
	}
	return nil
}

// enslave adds member to the side's bond the way the kernel requires: down,
// enslave, up.
func (s *side) enslave(t *testing.T, member string) {
	t.Helper()
	l, err := s.h.LinkByName(member)
	require.NoError(t, err, s.name)
	require.NoError(t, s.h.LinkSetDown(l), "%s: %s down", s.name, member)
	require.NoError(t, s.h.LinkSetMasterByIndex(l, s.bond.Index), "%s: enslaving %s", s.name, member)
	require.NoError(t, s.h.LinkSetUp(l), "%s: %s up", s.name, member)
}

func (s *side) slave(t *testing.T, member string) *netlink.BondSlave {
	t.Helper()
	l, err := s.h.LinkByName(member)
	require.NoError(t, err, s.name)
	slave, ok := l.Attrs().Slave.(*netlink.BondSlave)
	require.True(t, ok, "%s: %s is not a bond slave (%T)", s.name, member, l.Attrs().Slave)
	return slave
}

// waitCollectingDistributing polls the member's 802.3ad actor state, as the
// kernel reports it per slave, until it is in sync, collecting and
// distributing.
func (s *side) waitCollectingDistributing(t *testing.T, member string) {
	t.Helper()
	want := lacp.StateSynchronization | lacp.StateCollecting | lacp.StateDistributing
	deadline := time.Now().Add(convergeWithin)
	var last lacp.State
	for {
		slave := s.slave(t, member)
		last = lacp.State(slave.AdActorOperPortState)
		if last.Has(want) {
			t.Logf("%s: %s actor state %s, partner state %s", s.name, member, last, lacp.State(slave.AdPartnerOperPortState))
			return
		}
		if time.Now().After(deadline) {
			require.FailNow(t, fmt.Sprintf("%s: %s never reached %s", s.name, member, want), "actor state %s", last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// addVLAN puts an 802.1Q VLAN on the side's bond, with addr, and returns the
// address.
func addVLAN(t *testing.T, s *side, vid int, addr string) net.IP {
	t.Helper()
	vlan := &netlink.Vlan{
		LinkAttrs: netlink.LinkAttrs{Name: fmt.Sprintf("dxsim-bond.%d", vid), ParentIndex: s.bond.Index},
		VlanId:    vid,
	}
	require.NoError(t, s.h.LinkAdd(vlan), "%s: vlan", s.name)
	a, err := netlink.ParseAddr(addr)
	require.NoError(t, err)
	require.NoError(t, s.h.AddrAdd(vlan, a), "%s: address %s", s.name, addr)
	require.NoError(t, s.h.LinkSetUp(vlan), "%s: vlan up", s.name)
	return a.IP
}

// exchangeUDP sends datagrams from a to b's VLAN address until one arrives:
// the first may wait on neighbour resolution over the new link.
func exchangeUDP(t *testing.T, a, b *side, to net.IP) {
	t.Helper()
	var rx, tx net.PacketConn
	require.NoError(t, inNS(b.ns, func() (err error) {
		rx, err = net.ListenPacket("udp4", net.JoinHostPort(to.String(), "0"))
		return err
	}), "b: listen")
	defer rx.Close()
	require.NoError(t, inNS(a.ns, func() (err error) {
		tx, err = net.ListenPacket("udp4", ":0")
		return err
	}), "a: socket")
	defer tx.Close()

	msg := []byte("dxsim vlan over 802.3ad")
	buf := make([]byte, 64)
	deadline := time.Now().Add(convergeWithin)
	for time.Now().Before(deadline) {
		_, err := tx.WriteTo(msg, rx.LocalAddr())
		require.NoError(t, err, "a: send")
		_ = rx.SetReadDeadline(time.Now().Add(time.Second))
		n, from, err := rx.ReadFrom(buf)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			continue
		}
		require.NoError(t, err, "b: receive")
		require.Equal(t, msg, buf[:n], "b: received")
		t.Logf("b: received %d bytes from %s over the VLAN", n, from)
		return
	}
	require.FailNow(t, fmt.Sprintf("no datagram reached %s over the VLAN", to))
}

// inNS runs f on a thread in ns. Sockets f opens stay in ns.
func inNS(ns netns.NsHandle, f func() error) error {
	runtime.LockOSThread()
	orig, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("current namespace: %w", err)
	}
	defer orig.Close()
	if err := netns.Set(ns); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("entering namespace: %w", err)
	}
	ferr := f()
	if err := netns.Set(orig); err != nil {
		// The thread stays locked, and so is discarded when this goroutine
		// ends, rather than serve others in the wrong namespace.
		return fmt.Errorf("restoring namespace: %w", err)
	}
	runtime.UnlockOSThread()
	return ferr
}
