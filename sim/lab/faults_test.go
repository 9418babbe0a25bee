package lab

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
)

const faultLab = `{"name": "faults", "devices": [{"id": "EqDC2-1a2b3c4d5e6f", "location": "EqDC2",
  "lags": [{"id": "dxlag-lab00001", "minimumLinks": 1}],
  "connections": [{"id": "dxcon-lab00001", "lag": "dxlag-lab00001"}, {"id": "dxcon-lab00002"}],
  "vifs": [{"id": "dxvif-lab00001", "on": "dxcon-lab00002", "vlan": 101, "amazonAddress": "169.254.10.1/30",
            "customerAddress": "169.254.10.2/30", "asn": 65000}]}],
  "faults": [%s]}`

func readFaults(t *testing.T, faults string) (*Lab, error) {
	t.Helper()
	return Read(strings.NewReader(strings.Replace(faultLab, "%s", faults, 1)))
}

// TestLabFaults: a lab file's faults go to the snapshot (ports) and to the
// VIFs' routers (BGP), with their defaults.
func TestLabFaults(t *testing.T) {
	l, err := readFaults(t, `{"connection": "dxcon-lab00001", "side": "customer", "lacp": "silent"},
	  {"connection": "dxcon-lab00002", "side": "aws", "link": "flap", "flapDown": "2s"},
	  {"vif": "dxvif-lab00001", "side": "customer", "bgp": "too-many-prefixes"}`)
	require.NoError(t, err)
	require.Len(t, l.Snapshot.Faults, 2)
	assert.Equal(t, "dxcon-lab00001/customer/lacp", l.Snapshot.Faults[0].ID)
	assert.Equal(t, sim.Duration(sim.DefaultFlapUp), l.Snapshot.Faults[1].FlapUp)
	require.Len(t, l.BGP, 1)
	assert.Equal(t, sim.BGPSideFault{Prefixes: sim.MaxPrefixesPrivate + 1}, l.BGP[0].Peers[0].Customer)
}

// TestLabFaultErrors: each bad fault is reported, naming it.
func TestLabFaultErrors(t *testing.T) {
	_, err := readFaults(t, `{"connection": "dxcon-lab00009", "side": "customer", "lacp": "silent"},
	  {"connection": "dxcon-lab00001", "side": "customer", "lacp": "loud"},
	  {"connection": "dxcon-lab00001", "side": "aws", "lacp": "silent"},
	  {"connection": "dxcon-lab00001", "side": "aws", "lacp": "passive"},
	  {"vif": "dxvif-lab00009", "side": "aws", "bgp": "reset"}`)
	require.Error(t, err)
	for _, want := range []string{
		"faults[0]: no connection dxcon-lab00009 in the lab",
		`faults[1]: lacp fault "loud": want one of silent, wrong-key, passive, slow, flap.`,
		"faults[3]: a second lacp fault on the aws side of dxcon-lab00001",
		"faults[4]: no VIF dxvif-lab00009 with BGP",
	} {
		assert.Contains(t, err.Error(), want)
	}
	_, err = Read(strings.NewReader(`{"name": "x", "faults": [{"connection": "dxcon-lab00001", "side": "aws", "lacp": "silent", "colour": 1}], "devices": []}`))
	assert.ErrorContains(t, err, `unknown field "colour"`)
}
