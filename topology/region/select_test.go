package region

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology"
)

var customer = netip.MustParsePrefix("100.64.5.0/24")

func twoVIFs() sim.Routing {
	return sim.Routing{Region: "us-east-1",
		Networks: []sim.AmazonNetwork{{ID: "vgw-a", CIDRs: []string{"10.16.0.0/16"}}, {ID: "vgw-b", CIDRs: []string{"10.17.0.0/16"}}},
		VIFs: []sim.RoutedVIF{
			{VIFID: "dxvif-00000001", Device: "d1", Networks: []string{"vgw-a"}, Reach: []string{"10.16.0.0/16"}},
			{VIFID: "dxvif-00000002", Device: "d2", Networks: []string{"vgw-a"}, Reach: []string{"10.16.0.0/16"}},
		}}
}

func path(vif string, pathLen int, communities ...uint32) Path {
	return Path{VIFID: vif, Prefix: customer, NextHop: netip.MustParseAddr("169.254.0.2"), ASPathLen: pathLen, Communities: communities}
}

// TestPlanChoosesAsAWSDoes: the customer's local-preference communities
// first, then the shorter AS path, then (dxsim's tie-break) the lower VIF
// ID; a VIF that does not reach an address space never carries it.
func TestPlanChoosesAsAWSDoes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		paths []Path
		want  string
	}{
		{"tie: the lower VIF ID", []Path{path("dxvif-00000002", 1), path("dxvif-00000001", 1)}, "dxvif-00000001"},
		{"the shorter AS path", []Path{path("dxvif-00000001", 3), path("dxvif-00000002", 1)}, "dxvif-00000002"},
		{"high beats a shorter path", []Path{path("dxvif-00000001", 1), path("dxvif-00000002", 4, CommunityHigh)}, "dxvif-00000002"},
		{"low loses to untagged", []Path{path("dxvif-00000001", 1, CommunityLow), path("dxvif-00000002", 2)}, "dxvif-00000002"},
		{"untagged ties medium: the path decides", []Path{path("dxvif-00000001", 2, CommunityMedium), path("dxvif-00000002", 1)}, "dxvif-00000002"},
		{"the only one left", []Path{path("dxvif-00000002", 5, CommunityLow)}, "dxvif-00000002"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec, err := Plan(twoVIFs(), tc.paths)
			require.NoError(t, err)
			require.Len(t, spec.Returns, 1, "%+v", spec.Returns)
			r := spec.Returns[0]
			assert.Equal(t, tc.want, r.VIFID)
			assert.Equal(t, "vgw-a", r.Network)
			assert.Equal(t, map[string]string{"dxvif-00000001": "d1", "dxvif-00000002": "d2"}[tc.want], r.Device)
		})
	}
}

func TestPlanKeepsSpacesApart(t *testing.T) {
	rt := twoVIFs()
	rt.VIFs[1].Networks, rt.VIFs[1].Reach = []string{"vgw-b"}, []string{"10.17.0.0/16"}
	spec, err := Plan(rt, []Path{path("dxvif-00000001", 1), path("dxvif-00000002", 1, CommunityHigh)})
	require.NoError(t, err)
	assert.Equal(t, []topology.ReturnRoute{
		{Network: "vgw-a", Prefix: customer, VIFID: "dxvif-00000001", Device: "d1", NextHop: netip.MustParseAddr("169.254.0.2")},
		{Network: "vgw-b", Prefix: customer, VIFID: "dxvif-00000002", Device: "d2", NextHop: netip.MustParseAddr("169.254.0.2")},
	}, spec.Returns, "each space goes back by its own VIF, whatever the other's preference")
	assert.Len(t, spec.Networks, 2)
	assert.Equal(t, []netip.Prefix{netip.MustParsePrefix("10.17.0.0/16")}, spec.VIFs[1].Reach)

	_, err = Plan(sim.Routing{Networks: []sim.AmazonNetwork{{ID: "vgw-x", CIDRs: []string{"not a cidr"}}}}, nil)
	assert.Error(t, err, "a CIDR that does not parse")
}
