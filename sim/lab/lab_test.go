package lab

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDefaultLab(t *testing.T) {
	t.Parallel()
	l := Default()
	require.Equal(t, "default", l.Name, "name")
	require.Equal(t, "dxsim-default", l.Prefix, "prefix")
	s := l.Snapshot
	require.Len(t, s.LAGs, 1, "LAGs %+v, want one with minimum links 1", s.LAGs)
	require.Equal(t, 1, s.LAGs[0].MinLinks, "LAGs %+v, want one with minimum links 1", s.LAGs)
	members, standalone := 0, ""
	for _, p := range s.Ports {
		if p.LAGID == s.LAGs[0].LAGID {
			members++
		} else {
			standalone = p.ConnectionID
		}
	}
	require.Equal(t, 2, members, "ports %+v, want two LAG members and one standalone", s.Ports)
	require.Len(t, s.Ports, 3, "ports %+v, want two LAG members and one standalone", s.Ports)
	require.Len(t, s.VLANs, 1, "VIFs %+v, want one on the standalone connection %s", s.VLANs, standalone)
	require.Equal(t, standalone, s.VLANs[0].ParentID, "VIFs %+v, want one on the standalone connection", s.VLANs)
	require.Equal(t, CustomerBuiltin, l.CustomerRouter, "customer router")
	require.Len(t, l.BGP, 1, "BGP %+v, want the VIF's", l.BGP)
	assert.Equal(t, s.VLANs[0].ID, l.BGP[0].VIFID, "BGP %+v", l.BGP)
	assert.Equal(t, int64(65000), l.BGP[0].Peers[0].ASN, "BGP %+v", l.BGP)
}

func TestReadRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, json, want string
	}{
		{"unknown field", `{"name":"x","devices":[{"id":"d","location":"L","conections":[]}]}`, "unknown field"},
		{"bad name", `{"name":"X Y","devices":[{"id":"d"}]}`, "lab name"},
		{"no devices", `{"name":"x"}`, "no devices"},
		{"bad id", `{"name":"x","devices":[{"id":"d","connections":[{"id":"dxcon-1"}]}]}`, "want dxcon-"},
		{"duplicate", `{"name":"x","devices":[{"id":"d","connections":[{"id":"dxcon-aaaaaaaa"},{"id":"dxcon-aaaaaaaa"}]}]}`, "twice"},
		{"lag elsewhere", `{"name":"x","devices":[{"id":"d1","lags":[{"id":"dxlag-aaaaaaaa"}]},{"id":"d2","connections":[{"id":"dxcon-aaaaaaaa","lag":"dxlag-aaaaaaaa"}]}]}`, "not on device d2"},
		{"too many members", `{"name":"x","devices":[{"id":"d","lags":[{"id":"dxlag-aaaaaaaa","bandwidth":"100Gbps"}],"connections":[
			{"id":"dxcon-aaaaaaa1","bandwidth":"100Gbps","lag":"dxlag-aaaaaaaa"},
			{"id":"dxcon-aaaaaaa2","bandwidth":"100Gbps","lag":"dxlag-aaaaaaaa"},
			{"id":"dxcon-aaaaaaa3","bandwidth":"100Gbps","lag":"dxlag-aaaaaaaa"}]}]}`, "at most 2"},
		{"mixed bandwidth", `{"name":"x","devices":[{"id":"d","lags":[{"id":"dxlag-aaaaaaaa"}],"connections":[{"id":"dxcon-aaaaaaa1","bandwidth":"1Gbps","lag":"dxlag-aaaaaaaa"}]}]}`, "members are 10Gbps"},
		{"vif parent", `{"name":"x","devices":[{"id":"d","vifs":[{"id":"dxvif-aaaaaaaa","on":"dxcon-bbbbbbbb","vlan":5}]}]}`, "not a connection or LAG"},
		{"vlan range", `{"name":"x","devices":[{"id":"d","connections":[{"id":"dxcon-bbbbbbbb"}],"vifs":[{"id":"dxvif-aaaaaaaa","on":"dxcon-bbbbbbbb","vlan":4095}]}]}`, "outside 1-4094"},
		{"vlan reuse", `{"name":"x","devices":[{"id":"d","connections":[{"id":"dxcon-bbbbbbbb"}],"vifs":[
			{"id":"dxvif-aaaaaaa1","on":"dxcon-bbbbbbbb","vlan":5},{"id":"dxvif-aaaaaaa2","on":"dxcon-bbbbbbbb","vlan":5}]}]}`, "already"},
		{"address", `{"name":"x","devices":[{"id":"d","connections":[{"id":"dxcon-bbbbbbbb"}],"vifs":[{"id":"dxvif-aaaaaaaa","on":"dxcon-bbbbbbbb","vlan":5,"amazonAddress":"10.0.0.1"}]}]}`, "address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Read(strings.NewReader(tt.json))
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

func TestDefaultJSONRoundTrips(t *testing.T) {
	t.Parallel()
	l, err := Read(strings.NewReader(string(DefaultJSON())))
	require.NoError(t, err)
	require.Equal(t, Default().Name, l.Name, "%+v", l)
	require.Len(t, l.Snapshot.Ports, 3, "%+v", l)
}

// A lab's namespaces ("dxsim-<name>-dx-<device>") must never read as a
// serve's ("<prefix>-dx-<device>") or another lab's.
func TestNameCannotLookLikeAnotherPrefix(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"dx", "cr", "dx-a", "cr-b", "a-dx", "a-cr-b", "demo"} {
		t.Run("refuses "+name, func(t *testing.T) {
			t.Parallel()
			_, err := Read(strings.NewReader(`{"name":"` + name + `","devices":[{"id":"d","connections":[{"id":"dxcon-aaaaaaaa"}]}]}`))
			assert.ErrorContains(t, err, "lab name", "lab name %q: want a refusal naming the lab name", name)
		})
	}
	for _, name := range []string{"default", "dxa", "crab", "a-b", "x1-dxc"} {
		t.Run("accepts "+name, func(t *testing.T) {
			t.Parallel()
			l, err := Read(strings.NewReader(`{"name":"` + name + `","devices":[{"id":"d","connections":[{"id":"dxcon-aaaaaaaa"}]}]}`))
			require.NoError(t, err, "lab name %q", name)
			assert.Equal(t, "dxsim-"+name, l.Prefix, "lab %q: prefix", name)
			assert.Equal(t, l.Prefix, PrefixFor(name), "lab %q: PrefixFor", name)
		})
	}
}
