package sim

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoadCatalogue(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(t *testing.T, name, body string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		return p
	}
	good := write(t, "good.json", `{"locations":[{"locationCode":"LAB1","locationName":"Lab","region":"us-east-1",
		"availablePortSpeeds":["1Gbps","10Gbps"],"availableMacSecPortSpeeds":["10Gbps"],"availableProviders":["Lab"],
		"devices":["LAB1-aaaa","LAB1-bbbb"]}]}`)
	cat, err := LoadCatalogue(good)
	require.NoError(t, err)
	l, ok := cat.Location("LAB1")
	assert.True(t, ok, "loaded %+v", cat)
	assert.Len(t, l.Devices, 2, "loaded %+v", cat)
	assert.Len(t, cat.InRegion("us-east-1"), 1, "loaded %+v", cat)
	for name, body := range map[string]string{
		"one-device.json": `{"locations":[{"locationCode":"X","region":"r","availablePortSpeeds":["1Gbps"],"devices":["d"]}]}`,
		"bad-speed.json":  `{"locations":[{"locationCode":"X","region":"r","availablePortSpeeds":["3Gbps"],"devices":["d","e"]}]}`,
		"twice.json":      `{"locations":[{"locationCode":"X","region":"r","availablePortSpeeds":["1Gbps"],"devices":["d","e"]},{"locationCode":"X","region":"r","availablePortSpeeds":["1Gbps"],"devices":["d","e"]}]}`,
		"not-json.json":   `locations: []`,
		"vpc-cidr.json": `{"locations":[{"locationCode":"X","region":"r","availablePortSpeeds":["1Gbps"],"devices":["d","e"]}],
			"virtualGateways":[{"virtualGatewayId":"vgw-1","region":"r","virtualGatewayState":"available","vpcCidrs":["10.0.0.1/16"]}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := LoadCatalogue(write(t, name, body))
			assert.Error(t, err, "%s accepted", name)
		})
	}
	withVPC := write(t, "vpc.json", `{"locations":[{"locationCode":"X","region":"r","availablePortSpeeds":["1Gbps"],"devices":["d","e"]}],
		"virtualGateways":[{"virtualGatewayId":"vgw-1","region":"r","virtualGatewayState":"available","vpcCidrs":["10.9.0.0/16","2600:1f18::/56"]}]}`)
	cat, err = LoadCatalogue(withVPC)
	require.NoError(t, err)
	g, ok := cat.VirtualGateway("vgw-1")
	require.True(t, ok)
	assert.Equal(t, []string{"10.9.0.0/16", "2600:1f18::/56"}, g.VPCCIDRs)
	_, err = LoadCatalogue(filepath.Join(dir, "missing.json"))
	assert.Error(t, err, "a missing file accepted")
}
