package bgp_test

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/topology/bgp"
)

// TestReportLearned: Amazon's side with Report tells the routes it has
// accepted from the customer, with their communities and AS-path lengths
// (a prepended path counts its prepends); a withdrawn prefix leaves the
// set, each set told differs from the last, and the set empties the moment
// the session goes down.
func TestReportLearned(t *testing.T) {
	t.Parallel()
	l := newLink(t)
	ctx := context.Background()
	high := uint32(7224<<16 | 7300)
	prepended := netip.MustParsePrefix("198.51.100.0/24")
	amazon := amazonRouter("k", 100)
	amazon.Report = true
	require.NoError(t, l.amazon.Set(ctx, amazon))
	cust := customerRouter("k", 64512)
	cust.Announce = []bgp.Route{{Prefix: customerNet, Communities: []uint32{high}}, {Prefix: prepended, Prepend: 2}}
	require.NoError(t, l.customer.Set(ctx, cust))

	var told [][]bgp.Path
	routes := func(want []bgp.Path) func(bgp.Event) bool {
		return func(e bgp.Event) bool {
			if e.HasRoutes {
				told = append(told, e.Routes)
			}
			return e.HasRoutes && assert.ObjectsAreEqual(want, e.Routes)
		}
	}
	both := []bgp.Path{
		{Prefix: customerNet, NextHop: customerAddr, Communities: []uint32{high}, ASPathLen: 1},
		{Prefix: prepended, NextHop: customerAddr, ASPathLen: 3},
	}
	e := waitFor(t, l.amazonSub, 30*time.Second, "the customer's two routes", routes(both))
	assert.True(t, e.Established())

	// One withdrawn: the set told is the other alone.
	cust.Announce = cust.Announce[:1]
	require.NoError(t, l.customer.Set(ctx, cust))
	waitFor(t, l.amazonSub, 30*time.Second, "the prepended route withdrawn", routes(both[:1]))
	for i := 1; i < len(told); i++ {
		assert.NotEqual(t, told[i-1], told[i], "a set told again unchanged: %+v", told)
	}

	// Held down (a failover test): the set empties with the session.
	down := amazon
	down.Peers = []bgp.Peer{amazon.Peers[0]}
	down.Peers[0].Down = true
	require.NoError(t, l.amazon.Set(ctx, down))
	e = waitFor(t, l.amazonSub, 30*time.Second, "no routes once down", func(e bgp.Event) bool { return e.HasRoutes && len(e.Routes) == 0 })
	assert.False(t, e.Established(), "emptied as the session leaves Established: %+v", e)
	require.NoError(t, l.amazon.Set(ctx, amazon))
	waitFor(t, l.amazonSub, 30*time.Second, "the route again once back", routes(both[:1]))
}

// BenchmarkReport50x100 is Amazon's side of 50 VIFs in one speaker, with
// Report, each learning 100 prefixes from its customer: the time from the
// routers set to every VIF's 100 routes told, how many sets were told, and
// the Amazon speaker's memory. One run is one link:
//
//	go test -run XXX -bench Report50x100 -benchtime 1x ./topology/bgp/
func BenchmarkReport50x100(b *testing.B) {
	for b.Loop() {
		report50x100(b)
	}
}

func report50x100(b *testing.B) {
	const vifs, prefixes = 50, 100
	l := newLinkFor(b)
	ctx := context.Background()
	var announce []bgp.Route
	for i := range prefixes {
		announce = append(announce, bgp.Route{Prefix: netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 18, byte(i), 0}), 24),
			Communities: []uint32{7224<<16 | 7300}})
	}
	// Each VIF a /30 of its own on the link: 169.254.(100+i).1 and .2.
	addrs := func(i int) (amazon, customer netip.Addr) {
		return netip.AddrFrom4([4]byte{169, 254, byte(100 + i), 1}), netip.AddrFrom4([4]byte{169, 254, byte(100 + i), 2})
	}
	for i := range vifs {
		a, c := addrs(i)
		l.addAddrs(b, netip.PrefixFrom(a, 30), netip.PrefixFrom(c, 30))
	}
	start := time.Now()
	for i := range vifs {
		a, c := addrs(i)
		id := fmt.Sprint("dxvif-", i)
		require.NoError(b, l.amazon.Set(ctx, bgp.Router{ID: id, ASN: 64512, Report: true,
			Peers: []bgp.Peer{{Local: a, Address: c, ASN: 65000, MaxPrefixes: prefixes}}}))
		require.NoError(b, l.customer.Set(ctx, bgp.Router{ID: id, ASN: 65000,
			Peers: []bgp.Peer{{Local: c, Address: a, ASN: 64512, Passive: true}}, Announce: announce}))
	}
	full, told := map[string]bool{}, 0
	deadline := time.After(2 * time.Minute)
	for len(full) < vifs {
		select {
		case e := <-l.amazonSub.C():
			if e.HasRoutes {
				told++
				full[e.Router] = len(e.Routes) == prefixes
				if !full[e.Router] {
					delete(full, e.Router)
				}
			}
		case <-deadline:
			b.Fatalf("after %s: %d of %d VIFs with their %d routes", time.Since(start), len(full), vifs, prefixes)
		}
	}
	b.ReportMetric(time.Since(start).Seconds(), "s-to-all-told")
	b.ReportMetric(float64(told), "sets-told")
	b.ReportMetric(rssMB(b, l.amazon.PID()), "MB-amazon-speaker")
}
