package bgp_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/dxsim/dxsim/sim/bus"
	"github.com/dxsim/dxsim/topology/bgp"
	"github.com/dxsim/dxsim/topology/netnstest"
)

var (
	amazonAddr   = netip.MustParseAddr("169.254.10.1")
	customerAddr = netip.MustParseAddr("169.254.10.2")
	vpcCIDR      = netip.MustParsePrefix("10.16.0.0/16")
	customerNet  = netip.MustParsePrefix("192.0.2.0/24")
)

// link is two namespaces joined by a veth pair, 169.254.10.1/30 on the
// Amazon side and .2 on the customer's, with a speaker in each.
type link struct {
	amazon, customer       *bgp.Speaker
	amazonSub, customerSub *bus.Sub[bgp.Event]
	amazonNL, customerNL   *netlink.Handle
	customerNS             netns.NsHandle
}

func newLink(t *testing.T) *link {
	t.Helper()
	return newLinkWith(t, true)
}

// newLinkFor is newLink for a benchmark.
func newLinkFor(b *testing.B) *link {
	b.Helper()
	return newLinkWith(b, true)
}

// addAddrs puts another pair of addresses on the link, Amazon's side and
// the customer's.
func (l *link) addAddrs(t testing.TB, amazon, customer netip.Prefix) {
	t.Helper()
	for _, side := range []struct {
		h    *netlink.Handle
		name string
		addr netip.Prefix
	}{{l.amazonNL, "vif-a", amazon}, {l.customerNL, "vif-c", customer}} {
		ln, err := side.h.LinkByName(side.name)
		require.NoError(t, err)
		a := side.addr.Addr()
		require.NoError(t, side.h.AddrAdd(ln, &netlink.Addr{IPNet: &net.IPNet{IP: a.AsSlice(), Mask: net.CIDRMask(side.addr.Bits(), a.BitLen())}}))
	}
}

// newLinkWith makes the link, with the customer's speaker or without (when
// another router takes the customer's namespace: see customerNS).
func newLinkWith(t testing.TB, customerSpeaker bool) *link {
	t.Helper()
	netnstest.RequireRoot(t)
	nsA, hA := netnstest.NewNS(t)
	nsC, hC := netnstest.NewNS(t)
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "vif-a"}, PeerName: "vif-c", PeerNamespace: netlink.NsFd(nsC)}
	require.NoError(t, hA.LinkAdd(veth))
	for _, side := range []struct {
		h    *netlink.Handle
		name string
		addr netip.Addr
	}{{hA, "vif-a", amazonAddr}, {hC, "vif-c", customerAddr}} {
		l, err := side.h.LinkByName(side.name)
		require.NoError(t, err)
		require.NoError(t, side.h.AddrAdd(l, &netlink.Addr{IPNet: &net.IPNet{IP: side.addr.AsSlice(), Mask: net.CIDRMask(30, 32)}}))
		require.NoError(t, side.h.LinkSetUp(l))
		lo, err := side.h.LinkByName("lo")
		require.NoError(t, err)
		require.NoError(t, side.h.LinkSetUp(lo))
	}
	l := &link{amazonNL: hA, customerNL: hC, customerNS: nsC}
	var err error
	l.amazon, err = bgp.Start(nsA, "amazon", nil)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, l.amazon.Close()) })
	l.amazonSub = l.amazon.Subscribe(10_000)
	t.Cleanup(l.amazonSub.Close)
	if customerSpeaker {
		l.customer, err = bgp.Start(nsC, "customer", nil)
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, l.customer.Close()) })
		l.customerSub = l.customer.Subscribe(10_000)
		t.Cleanup(l.customerSub.Close)
	}
	return l
}

func amazonRouter(key string, maxPrefixes uint32) bgp.Router {
	return bgp.Router{ID: "dxvif-test", ASN: 64512,
		Peers:    []bgp.Peer{{Local: amazonAddr, Address: customerAddr, ASN: 65000, AuthKey: key, MaxPrefixes: maxPrefixes}},
		Announce: []bgp.Route{{Prefix: vpcCIDR, Communities: []uint32{7224<<16 | 8100}}}}
}

func customerRouter(key string, amazonASN uint32, announce ...netip.Prefix) bgp.Router {
	r := bgp.Router{ID: "dxvif-test", ASN: 65000, Install: true,
		Peers: []bgp.Peer{{Local: customerAddr, Address: amazonAddr, ASN: amazonASN, AuthKey: key}}}
	for _, p := range announce {
		r.Announce = append(r.Announce, bgp.Route{Prefix: p})
	}
	return r
}

// waitFor returns the first event on sub that ok accepts, or fails after
// within.
func waitFor(t *testing.T, sub *bus.Sub[bgp.Event], within time.Duration, what string, ok func(bgp.Event) bool) bgp.Event {
	t.Helper()
	deadline := time.After(within)
	var seen []bgp.Event
	for {
		select {
		case e, open := <-sub.C():
			require.True(t, open, "events ended waiting for %s: %v", what, sub.Err())
			if ok(e) {
				return e
			}
			seen = append(seen, e)
		case <-deadline:
			require.FailNow(t, "timed out", "waiting %s for %s; the events were %+v", within, what, seen)
		}
	}
}

// up accepts an event of a session established with accepted prefixes from
// the neighbour (received may count more: a route the neighbour sends back,
// refused for the AS loop).
func up(accepted uint64) func(bgp.Event) bool {
	return func(e bgp.Event) bool { return e.Established() && e.Accepted == accepted }
}

// stays checks that no event on sub within d says the session is up.
func staysDown(t *testing.T, sub *bus.Sub[bgp.Event], d time.Duration, why string) {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case e := <-sub.C():
			require.False(t, e.Established(), "%s: the session came up: %+v", why, e)
		case <-deadline:
			return
		}
	}
}

func customerRoutes(t *testing.T, l *link) map[string]string {
	t.Helper()
	routes, err := l.customerNL.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Protocol: 186}, netlink.RT_FILTER_PROTOCOL)
	require.NoError(t, err)
	out := map[string]string{}
	for _, r := range routes {
		out[r.Dst.String()] = r.Gw.String()
	}
	return out
}

// TestSessionWithMD5: the Amazon side and the customer's come up with MD5,
// each learns the other's prefix, the customer installs Amazon's route, and
// deleting the customer's router takes its routes away.
func TestSessionWithMD5(t *testing.T) {
	t.Parallel()
	l := newLink(t)
	ctx := context.Background()
	require.NoError(t, l.amazon.Set(ctx, amazonRouter("0xsecret", 100)))
	require.NoError(t, l.customer.Set(ctx, customerRouter("0xsecret", 64512, customerNet)))
	a := waitFor(t, l.amazonSub, 30*time.Second, "Amazon's side up with the customer's prefix", up(1))
	assert.Equal(t, customerAddr, a.Peer)
	assert.Equal(t, "dxvif-test", a.Router)
	waitFor(t, l.customerSub, 30*time.Second, "the customer's side up with the VPC's prefix", up(1))
	require.Eventually(t, func() bool { return customerRoutes(t, l)[vpcCIDR.String()] == amazonAddr.String() }, 5*time.Second, 20*time.Millisecond,
		"the customer router's table has the VPC's route via Amazon: %v", customerRoutes(t, l))

	// Amazon's side held down (as a failover test does): the customer's
	// session drops, and comes back when released.
	down := amazonRouter("0xsecret", 100)
	down.Peers[0].Down = true
	require.NoError(t, l.amazon.Set(ctx, down))
	waitFor(t, l.customerSub, 30*time.Second, "the customer's session down", func(e bgp.Event) bool { return !e.Established() })
	staysDown(t, l.customerSub, 4*time.Second, "held down")
	require.NoError(t, l.amazon.Set(ctx, amazonRouter("0xsecret", 100)))
	waitFor(t, l.customerSub, 30*time.Second, "the customer's session back", up(1))

	require.NoError(t, l.customer.Delete(ctx, "dxvif-test"))
	assert.Empty(t, customerRoutes(t, l), "the customer's router deleted: its routes are gone")
	waitFor(t, l.amazonSub, 30*time.Second, "Amazon's side sees the session go", func(e bgp.Event) bool { return !e.Established() })
}

// TestWrongKeyOrASNStaysDown: a customer with another MD5 key, or that
// expects another Amazon ASN, never gets a session.
func TestWrongKeyOrASNStaysDown(t *testing.T) {
	t.Parallel()
	for name, cust := range map[string]bgp.Router{
		"wrong key": customerRouter("0xother", 64512, customerNet),
		"wrong ASN": customerRouter("0xsecret", 64999, customerNet),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			l := newLink(t)
			ctx := context.Background()
			require.NoError(t, l.amazon.Set(ctx, amazonRouter("0xsecret", 100)))
			require.NoError(t, l.customer.Set(ctx, cust))
			staysDown(t, l.amazonSub, 8*time.Second, name)
			// And the right settings then bring it up: the refusal was the
			// setting, not the link.
			require.NoError(t, l.customer.Set(ctx, customerRouter("0xsecret", 64512, customerNet)))
			waitFor(t, l.amazonSub, 30*time.Second, "up once the customer is right", up(1))
		})
	}
}

// TestPrefixLimit: more than the limit (100 on a private VIF) from the
// customer shuts the session; 100 is fine.
func TestPrefixLimit(t *testing.T) {
	t.Parallel()
	l := newLink(t)
	ctx := context.Background()
	var many []netip.Prefix
	for i := range 101 {
		many = append(many, netip.MustParsePrefix(fmt.Sprintf("198.18.%d.0/24", i)))
	}
	amazon := amazonRouter("k", 100)
	amazon.Peers[0].LimitRestart = 3
	require.NoError(t, l.amazon.Set(ctx, amazon))
	require.NoError(t, l.customer.Set(ctx, customerRouter("k", 64512, many[:100]...)))
	waitFor(t, l.amazonSub, 30*time.Second, "up with 100 prefixes", up(100))
	require.NoError(t, l.customer.Set(ctx, customerRouter("k", 64512, many...)))
	e := waitFor(t, l.amazonSub, 30*time.Second, "shut for the 101st prefix", func(e bgp.Event) bool { return !e.Established() })
	t.Logf("after the 101st prefix: %+v", e)
	assert.True(t, e.PrefixLimit, "shut for the prefix limit: %+v", e)
	// Tried again after 3 s, and shut again while there are 101.
	staysDown(t, l.amazonSub, 5*time.Second, "101 prefixes")
	// Back to 100: the next try stays up.
	require.NoError(t, l.customer.Set(ctx, customerRouter("k", 64512, many[:100]...)))
	waitFor(t, l.amazonSub, 30*time.Second, "up again with 100 prefixes", up(100))
}
