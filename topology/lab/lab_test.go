package lab

import (
	"strings"
	"testing"
)

func TestDefaultLab(t *testing.T) {
	l := Default()
	if l.Name != "default" || l.Prefix != "dxsim-default" {
		t.Fatalf("name %q prefix %q", l.Name, l.Prefix)
	}
	s := l.Snapshot
	if len(s.LAGs) != 1 || s.LAGs[0].MinLinks != 1 {
		t.Fatalf("LAGs %+v, want one with minimum links 1", s.LAGs)
	}
	members, standalone := 0, ""
	for _, p := range s.Ports {
		if p.LAGID == s.LAGs[0].LAGID {
			members++
		} else {
			standalone = p.ConnectionID
		}
	}
	if members != 2 || len(s.Ports) != 3 {
		t.Fatalf("ports %+v, want two LAG members and one standalone", s.Ports)
	}
	if len(s.VLANs) != 1 || s.VLANs[0].ParentID != standalone {
		t.Fatalf("VIFs %+v, want one on the standalone connection %s", s.VLANs, standalone)
	}
}

func TestReadRejects(t *testing.T) {
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
		_, err := Read(strings.NewReader(tt.json))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

func TestDefaultJSONRoundTrips(t *testing.T) {
	l, err := Read(strings.NewReader(string(DefaultJSON())))
	if err != nil {
		t.Fatal(err)
	}
	if l.Name != Default().Name || len(l.Snapshot.Ports) != 3 {
		t.Fatalf("%+v", l)
	}
}

// A lab's namespaces ("dxsim-<name>-dx-<device>") must never read as a
// serve's ("<prefix>-dx-<device>") or another lab's.
func TestNameCannotLookLikeAnotherPrefix(t *testing.T) {
	for _, name := range []string{"dx", "cr", "dx-a", "cr-b", "a-dx", "a-cr-b", "demo"} {
		_, err := Read(strings.NewReader(`{"name":"` + name + `","devices":[{"id":"d","connections":[{"id":"dxcon-aaaaaaaa"}]}]}`))
		if err == nil || !strings.Contains(err.Error(), "lab name") {
			t.Errorf("lab name %q: err %v, want a refusal naming the lab name", name, err)
		}
	}
	for _, name := range []string{"default", "dxa", "crab", "a-b", "x1-dxc"} {
		l, err := Read(strings.NewReader(`{"name":"` + name + `","devices":[{"id":"d","connections":[{"id":"dxcon-aaaaaaaa"}]}]}`))
		if err != nil {
			t.Errorf("lab name %q: %v", name, err)
			continue
		}
		if l.Prefix != "dxsim-"+name || PrefixFor(name) != l.Prefix {
			t.Errorf("lab %q: prefix %q", name, l.Prefix)
		}
	}
}
