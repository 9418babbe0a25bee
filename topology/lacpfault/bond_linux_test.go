package lacpfault

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"

	"github.com/dxsim/dxsim/lacp"
	"github.com/dxsim/dxsim/topology/backend"
	"github.com/dxsim/dxsim/topology/kernel"
	"github.com/dxsim/dxsim/topology/netnstest"
)

// Protocol bounds, generous for an emulated VM: the first member of a Linux
// bond takes about 8 s to carry traffic, a short timeout is 3 s.
const (
	convergeWithin = 60 * time.Second
	leaveWithin    = 20 * time.Second
	returnWithin   = 60 * time.Second
	// silentFor is how long "never" is watched: longer than a first
	// member takes to converge.
	silentFor = 15 * time.Second
)

const cd = lacp.StateCollecting | lacp.StateDistributing

// bondSide is one namespace of a bond lab: an 802.3ad bond (lacp_rate
// fast) as topology/kernel makes them, its members the veths to the other.
type bondSide struct {
	ns      *backend.NS
	members []string
}

// bondLab makes two bonds over n veth pairs, enslaved but down; up brings
// them up.
func bondLab(t *testing.T, n int) (a, b *bondSide) {
	t.Helper()
	netnstest.RequireBondingAndVLAN(t)
	nsA, hA := netnstest.NewNS(t)
	nsB, hB := netnstest.NewNS(t)
	a = &bondSide{ns: &backend.NS{Name: "dx", Handle: nsA, Netlink: hA}}
	b = &bondSide{ns: &backend.NS{Name: "customer", Handle: nsB, Netlink: hB}}
	for i := range n {
		an, bn := fmt.Sprintf("dxa%d", i), fmt.Sprintf("dxb%d", i)
		require.NoError(t, hA.LinkAdd(&netlink.Veth{
			LinkAttrs: netlink.LinkAttrs{Name: an}, PeerName: bn, PeerNamespace: netlink.NsFd(int(nsB)),
		}))
		a.members, b.members = append(a.members, an), append(b.members, bn)
	}
	ctx := context.Background()
	for i, s := range []*bondSide{a, b} {
		mac := net.HardwareAddr{0x02, 0xdd, 0, 0, 0, byte(0xa0 + i)}
		require.NoError(t, kernel.Backend{}.CreateLAG(ctx, s.ns, backend.LAGConfig{Name: "bond0", MinLinks: 1, SystemMAC: mac}))
		var ms []backend.Membership
		for _, m := range s.members {
			ms = append(ms, backend.Membership{LAG: "bond0", Port: m})
		}
		_, err := kernel.Backend{}.AddMembers(ctx, s.ns, ms)
		require.NoError(t, err)
	}
	return a, b
}

func (s *bondSide) up(t *testing.T) {
	t.Helper()
	for _, m := range s.members {
		l, err := s.ns.Netlink.LinkByName(m)
		require.NoError(t, err)
		require.NoError(t, s.ns.Netlink.LinkSetUp(l))
	}
}

// member is a member's LACP state as its bond reports it (topology/kernel
// reads IFLA_BOND_SLAVE_AD_*).
func (s *bondSide) member(t *testing.T, name string) backend.MemberStatus {
	t.Helper()
	st, err := kernel.Backend{}.LAGStatus(context.Background(), s.ns, "bond0")
	require.NoError(t, err)
	for _, m := range st.Members {
		if m.Name == name {
			return m
		}
	}
	require.FailNow(t, "no member "+name)
	return backend.MemberStatus{}
}

// inLAG is a member carrying traffic both ways as both bonds see it.
func inLAG(t *testing.T, a, b *bondSide, i int) bool {
	return a.member(t, a.members[i]).Actor.Has(cd) && b.member(t, b.members[i]).Actor.Has(cd)
}

// waitFor polls cond every 100 ms and returns how long it took to hold.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > within {
			require.FailNow(t, what+": not within "+within.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	return time.Since(start)
}

func TestBondSilentMemberLeavesAndReturns(t *testing.T) {
	a, b := bondLab(t, 1)
	a.up(t)
	b.up(t)
	took := waitFor(t, convergeWithin, "converging", func() bool { return inLAG(t, a, b, 0) })
	t.Logf("converged after %.1f s", took.Seconds())

	require.NoError(t, Set(a.ns.Handle, "dxa0", Fault{Silent: true}))
	t.Cleanup(func() { _ = Clear(a.ns.Handle, "dxa0") })
	left := waitFor(t, leaveWithin, "the partner timing the silent member out", func() bool {
		return !b.member(t, "dxb0").Actor.Has(cd)
	})
	seen := waitFor(t, leaveWithin, "the silent side hearing it", func() bool {
		return !a.member(t, "dxa0").Partner.Has(cd)
	})
	t.Logf("Silent: partner left collecting/distributing after %.1f s (state %s), the silent side saw it %.1f s later",
		left.Seconds(), b.member(t, "dxb0").Actor, seen.Seconds())
	assert.GreaterOrEqual(t, left, 2*time.Second, "a short timeout is 3 s; the member cannot leave at once")
	c, err := Stats(a.ns.Handle, "dxa0")
	require.NoError(t, err)
	assert.NotZero(t, c.DroppedEgress)
	assert.Zero(t, c.DroppedIngress)

	require.NoError(t, Clear(a.ns.Handle, "dxa0"))
	back := waitFor(t, returnWithin, "returning after Clear", func() bool { return inLAG(t, a, b, 0) })
	t.Logf("Silent cleared: back in the LAG both ways after %.1f s", back.Seconds())
}

func TestBondKeyKeepsAMemberOutOfTheLAG(t *testing.T) {
	a, b := bondLab(t, 2)
	a.up(t)
	b.up(t)
	took := waitFor(t, convergeWithin, "converging", func() bool { return inLAG(t, a, b, 0) && inLAG(t, a, b, 1) })
	t.Logf("two members converged after %.1f s", took.Seconds())

	require.NoError(t, Set(a.ns.Handle, "dxa1", Fault{Key: 0x0bad}))
	t.Cleanup(func() { _ = Clear(a.ns.Handle, "dxa1") })
	left := waitFor(t, leaveWithin, "the partner taking the member with another key out", func() bool {
		return !b.member(t, "dxb1").Actor.Has(cd)
	})
	t.Logf("Key: the partner took the member out after %.1f s", left.Seconds())
	// It stays out, and the other member stays in, for longer than a
	// member takes to join.
	for end := time.Now().Add(8 * time.Second); time.Now().Before(end); time.Sleep(250 * time.Millisecond) {
		require.False(t, b.member(t, "dxb1").Actor.Has(cd), "the member with another key rejoined")
		require.True(t, inLAG(t, a, b, 0), "the other member left")
	}
	pa, pb := a.member(t, "dxa1"), b.member(t, "dxb1")
	t.Logf("Key: faulted member: local actor %s partner %s; remote actor %s partner %s (key %d)",
		pa.Actor, pa.Partner, pb.Actor, pb.Partner, 0x0bad)
	c, err := Stats(a.ns.Handle, "dxa1")
	require.NoError(t, err)
	assert.NotZero(t, c.ActorKeyRewritten)
	assert.NotZero(t, c.PartnerKeyRewritten, "the partner's echo of the key was given back")
	assert.NotZero(t, c.LocalKey)
	t.Logf("Key: the bond's own key %d", c.LocalKey)

	require.NoError(t, Clear(a.ns.Handle, "dxa1"))
	back := waitFor(t, returnWithin, "returning after Clear", func() bool { return inLAG(t, a, b, 1) })
	t.Logf("Key cleared: back in the LAG after %.1f s", back.Seconds())
	assert.True(t, inLAG(t, a, b, 0))
}

func TestBondPassiveOnOneSideConverges(t *testing.T) {
	a, b := bondLab(t, 1)
	require.NoError(t, Set(a.ns.Handle, "dxa0", Fault{Passive: true}))
	t.Cleanup(func() { _ = Clear(a.ns.Handle, "dxa0") })
	a.up(t)
	b.up(t)
	took := waitFor(t, convergeWithin, "converging with one passive end", func() bool { return inLAG(t, a, b, 0) })
	t.Logf("one passive end: converged after %.1f s", took.Seconds())
	// The partner hears a passive port; the bond itself hears its own
	// Activity echoed as it sent it.
	assert.False(t, b.member(t, "dxb0").Partner.Has(lacp.StateActivity), "the partner sees LACP_Activity FALSE")
	assert.True(t, a.member(t, "dxa0").Actor.Has(lacp.StateActivity))
	c, err := Stats(a.ns.Handle, "dxa0")
	require.NoError(t, err)
	assert.NotZero(t, c.ActivityCleared)
	t.Logf("one passive end: %+v", c)
}

func TestBondPassiveOnBothSidesNeverConverges(t *testing.T) {
	a, b := bondLab(t, 1)
	for _, s := range []*bondSide{a, b} {
		require.NoError(t, Set(s.ns.Handle, s.members[0], Fault{Passive: true}))
	}
	t.Cleanup(func() {
		_ = Clear(a.ns.Handle, "dxa0")
		_ = Clear(b.ns.Handle, "dxb0")
	})
	a.up(t)
	b.up(t)
	for end := time.Now().Add(silentFor); time.Now().Before(end); time.Sleep(250 * time.Millisecond) {
		for _, s := range []*bondSide{a, b} {
			m := s.member(t, s.members[0])
			require.False(t, m.Actor.Has(cd), "%s collecting/distributing with two passive ends: %s", m.Name, m.Actor)
		}
	}
	for _, s := range []*bondSide{a, b} {
		c, err := Stats(s.ns.Handle, s.members[0])
		require.NoError(t, err)
		assert.NotZero(t, c.DroppedEgress, s.members[0])
		assert.Zero(t, c.IngressPDUs, "%s heard an LACPDU", s.members[0])
		t.Logf("%s: %d LACPDUs held back, actor %s", s.members[0], c.DroppedEgress, s.member(t, s.members[0]).Actor)
	}
}

// Flap with a down phase longer than the short timeout: the member leaves
// and rejoins, again and again.
func TestBondFlapLeavesAndRejoins(t *testing.T) {
	a, b := bondLab(t, 1)
	a.up(t)
	b.up(t)
	took := waitFor(t, convergeWithin, "converging", func() bool { return inLAG(t, a, b, 0) })
	t.Logf("converged after %.1f s", took.Seconds())

	const up, down = 4 * time.Second, 5 * time.Second
	require.NoError(t, Set(a.ns.Handle, "dxa0", Fault{FlapUp: up, FlapDown: down}))
	t.Cleanup(func() { _ = Clear(a.ns.Handle, "dxa0") })
	start := time.Now()
	var changes []string
	in := true
	for time.Since(start) < 3*(up+down)+2*time.Second {
		now := b.member(t, "dxb0").Actor.Has(cd)
		if now != in {
			in = now
			changes = append(changes, fmt.Sprintf("%s at %.1f s", map[bool]string{true: "rejoined", false: "left"}[now], time.Since(start).Seconds()))
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("Flap %v/%v: %v", up, down, changes)
	assert.GreaterOrEqual(t, len(changes), 4, "left and rejoined at least twice")
	require.NoError(t, Clear(a.ns.Handle, "dxa0"))
	back := waitFor(t, returnWithin, "in the LAG after Clear", func() bool { return inLAG(t, a, b, 0) })
	t.Logf("Flap cleared: in the LAG after %.1f s", back.Seconds())
}
