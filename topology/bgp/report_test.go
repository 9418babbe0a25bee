package bgp_test

import (
	"context"
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
