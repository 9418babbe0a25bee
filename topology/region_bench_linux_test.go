package topology

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology/netnstest"
)

// BenchmarkSetRegion50x100: the Region's routing for 50 VIFs on one device,
// each with 100 customer prefixes, into one VPC: 5,000 return routes in the
// Region and on the device, 50 VIF tables. It reports the first SetRegion
// (everything programmed), one with nothing to change (the repair), and one
// that moves every prefix's return path to another VIF (a failover).
func BenchmarkSetRegion50x100(b *testing.B) {
	const vifs, prefixes = 50, 100
	for range b.N {
		b.StopTimer()
		d := openBench(b)
		ctx := context.Background()
		snap := sim.Snapshot{Ports: []sim.PortSpec{{ConnectionID: "dxcon-bench0001", DeviceID: "dev1"}}}
		spec := RegionSpec{Name: "us-east-1", Networks: []RegionNetwork{{ID: "vgw-1", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.16.0.0/16")}}}}
		for i := range vifs {
			id := fmt.Sprintf("dxvif-bench%04d", i)
			snap.VLANs = append(snap.VLANs, sim.VLANSpec{ID: id, ParentID: "dxcon-bench0001", VLAN: 101 + i,
				AmazonAddress: fmt.Sprintf("169.254.%d.1/30", i), CustomerAddress: fmt.Sprintf("169.254.%d.2/30", i)})
			spec.VIFs = append(spec.VIFs, RoutedVIF{VIFID: id, Device: "dev1", Reach: []netip.Prefix{netip.MustParsePrefix("10.16.0.0/16")}})
		}
		_, err := d.Reconcile(ctx, snap)
		require.NoError(b, err)
		returns := func(vif int) []ReturnRoute {
			var out []ReturnRoute
			for i := range vifs {
				for j := range prefixes {
					p := netip.PrefixFrom(netip.AddrFrom4([4]byte{100, 64 + byte(i/4), byte(i%4*64 + j/4), 0}), 24)
					out = append(out, ReturnRoute{Network: "vgw-1", Prefix: p, VIFID: fmt.Sprintf("dxvif-bench%04d", (i+vif)%vifs), Device: "dev1",
						NextHop: netip.MustParseAddr(fmt.Sprintf("169.254.%d.2", (i+vif)%vifs))})
				}
			}
			return out
		}
		spec.Returns = returns(0)
		b.StartTimer()
		start := time.Now()
		require.NoError(b, d.SetRegion(ctx, spec))
		first := time.Since(start)
		start = time.Now()
		require.NoError(b, d.SetRegion(ctx, spec))
		again := time.Since(start)
		spec.Returns = returns(1)
		start = time.Now()
		require.NoError(b, d.SetRegion(ctx, spec))
		moved := time.Since(start)
		b.StopTimer()
		b.ReportMetric(float64(first.Milliseconds()), "first-ms")
		b.ReportMetric(float64(again.Milliseconds()), "unchanged-ms")
		b.ReportMetric(float64(moved.Milliseconds()), "all-moved-ms")
		require.NoError(b, d.Teardown(ctx))
		d.Close()
	}
}

// openBench opens a userspace data plane with a prefix of its own.
func openBench(b *testing.B) *DataPlane {
	b.Helper()
	netnstest.RequireRoot(b)
	d, err := open(context.Background(), Options{Backend: "userspace", Prefix: testPrefix(),
		Logger: slog.New(slog.DiscardHandler), PollInterval: 50 * time.Millisecond}, ProbeFeatures)
	require.NoError(b, err)
	return d
}
