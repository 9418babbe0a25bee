package sim

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func goodVIF() CreateVIFInput {
	return CreateVIFInput{Type: VIFPrivate, ConnectionID: "dxcon-aaaaaaaa", Name: "v", VLAN: 101, ASN: 65000,
		AmazonAddress: "169.254.0.1/30", CustomerAddress: "169.254.0.2/30", VirtualGatewayID: "vgw-1"}
}

func TestCheckVIFInput(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		edit  func(*CreateVIFInput)
		inMsg string // "" means accepted
	}{
		{"valid", func(*CreateVIFInput) {}, ""},
		{"addresses omitted", func(in *CreateVIFInput) { in.AmazonAddress, in.CustomerAddress = "", "" }, ""},
		{"slash 31", func(in *CreateVIFInput) { in.AmazonAddress, in.CustomerAddress = "10.0.0.0/31", "10.0.0.1/31" }, ""},
		{"ipv6", func(in *CreateVIFInput) {
			in.AddressFamily, in.AmazonAddress, in.CustomerAddress = "ipv6", "2001:db8::1/125", "2001:db8::2/125"
		}, ""},
		{"asn long max", func(in *CreateVIFInput) { in.ASN = 4294967294 }, ""},
		{"mtu 9001", func(in *CreateVIFInput) { in.MTU = 9001 }, ""},
		{"transit mtu 8500", func(in *CreateVIFInput) { in.Type, in.MTU = VIFTransit, 8500 }, ""},
		{"auth key 6", func(in *CreateVIFInput) { in.AuthKey = "abcdef" }, ""},
		{"bad type", func(in *CreateVIFInput) { in.Type = "hybrid" }, "type"},
		{"empty name", func(in *CreateVIFInput) { in.Name = "" }, "virtualInterfaceName"},
		{"long name", func(in *CreateVIFInput) { in.Name = strings.Repeat("a", 101) }, "virtualInterfaceName"},
		{"vlan 0", func(in *CreateVIFInput) { in.VLAN = 0 }, "VLAN 0"},
		{"vlan 4095", func(in *CreateVIFInput) { in.VLAN = 4095 }, "VLAN 4095"},
		{"asn negative", func(in *CreateVIFInput) { in.ASN = -5 }, "asn -5"},
		{"asn zero", func(in *CreateVIFInput) { in.ASN = 0 }, "asn 0"},
		{"asn too big", func(in *CreateVIFInput) { in.ASN = 4294967295 }, "asn 4294967295"},
		{"mtu 1", func(in *CreateVIFInput) { in.MTU = 1 }, "mtu 1"},
		{"mtu 70000", func(in *CreateVIFInput) { in.MTU = 70000 }, "mtu 70000"},
		{"private mtu 8500", func(in *CreateVIFInput) { in.MTU = 8500 }, "mtu 8500"},
		{"transit mtu 9001", func(in *CreateVIFInput) { in.Type, in.MTU = VIFTransit, 9001 }, "mtu 9001"},
		{"public mtu 9001", func(in *CreateVIFInput) { in.Type, in.MTU = VIFPublic, 9001 }, "mtu 9001"},
		{"auth key short", func(in *CreateVIFInput) { in.AuthKey = "abc" }, "authKey"},
		{"auth key 100 KB", func(in *CreateVIFInput) { in.AuthKey = strings.Repeat("k", 100<<10) }, "authKey"},
		{"auth key space", func(in *CreateVIFInput) { in.AuthKey = "abc def" }, "authKey"},
		{"bad CIDR", func(in *CreateVIFInput) { in.AmazonAddress = "999.1.1.1/99" }, "amazonAddress"},
		{"no prefix length", func(in *CreateVIFInput) { in.CustomerAddress = "169.254.0.2" }, "customerAddress"},
		{"only one address", func(in *CreateVIFInput) { in.CustomerAddress = "" }, "both"},
		{"ipv4 family with ipv6", func(in *CreateVIFInput) {
			in.AmazonAddress, in.CustomerAddress = "2001:db8::1/125", "2001:db8::2/125"
		}, "ipv4"},
		{"v4 and v6", func(in *CreateVIFInput) { in.CustomerAddress = "2001:db8::2/125" }, "customerAddress"},
		{"ipv6 family with ipv4", func(in *CreateVIFInput) { in.AddressFamily = "ipv6" }, "ipv6"},
		{"bad family", func(in *CreateVIFInput) { in.AddressFamily = "ipx" }, "addressFamily"},
		{"same address", func(in *CreateVIFInput) { in.CustomerAddress = in.AmazonAddress }, "differ"},
		{"different subnets", func(in *CreateVIFInput) { in.CustomerAddress = "169.254.9.2/30" }, "one subnet"},
		{"different lengths", func(in *CreateVIFInput) { in.CustomerAddress = "169.254.0.2/29" }, "one subnet"},
		{"slash 32", func(in *CreateVIFInput) { in.AmazonAddress, in.CustomerAddress = "10.0.0.1/32", "10.0.0.2/32" }, "/32"},
		{"network address", func(in *CreateVIFInput) { in.AmazonAddress = "169.254.0.0/30" }, "network"},
		{"broadcast address", func(in *CreateVIFInput) { in.CustomerAddress = "169.254.0.3/30" }, "broadcast"},
		{"bad route filter", func(in *CreateVIFInput) { in.RouteFilterPrefixes = []string{"203.0.113.0/24", "nope"} }, "nope"},
		{"long ipv6 route filter", func(in *CreateVIFInput) { in.RouteFilterPrefixes = []string{"2001:db8::/96"} }, "/64"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := goodVIF()
			tc.edit(&in)
			err := CheckVIFInput(in)
			if tc.inMsg == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, RuleInvalidArgument, RuleOf(err))
			assert.Equal(t, CodeClient, err.(*Error).Code)
			assert.Contains(t, err.Error(), tc.inMsg)
		})
	}
}

func TestCheckTagLimits(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		tag  Tag
		ok   bool
	}{
		{"plain", Tag{Key: "env", Value: "lab"}, true},
		{"unicode and symbols", Tag{Key: "Größe 1_.:/=+-@", Value: ""}, true},
		{"key 128", Tag{Key: strings.Repeat("k", 128)}, true},
		{"key 129", Tag{Key: strings.Repeat("k", 129)}, false},
		{"key 10 KB", Tag{Key: strings.Repeat("k", 10<<10)}, false},
		{"value 256", Tag{Key: "k", Value: strings.Repeat("v", 256)}, true},
		{"value 257", Tag{Key: "k", Value: strings.Repeat("v", 257)}, false},
		{"key with star", Tag{Key: "a*b"}, false},
		{"value with newline", Tag{Key: "k", Value: "a\nb"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := CheckTags(nil, []Tag{tc.tag}, DefaultQuotas())
			if tc.ok {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, RuleTags, RuleOf(err))
		})
	}
}

func TestCheckAssociateVLANs(t *testing.T) {
	t.Parallel()
	newState := func() *State {
		st := NewState()
		st.LAGs["dxlag-1"] = &LAG{ID: "dxlag-1"}
		st.Connections["dxcon-m"] = &Connection{ID: "dxcon-m", Kind: KindDedicated, LAGID: "dxlag-1", State: StateAvailable}
		st.Connections["dxcon-c"] = &Connection{ID: "dxcon-c", Kind: KindDedicated, State: StateAvailable}
		st.VIFs["dxvif-lag"] = &VIF{ID: "dxvif-lag", ConnectionID: "dxlag-1", VLAN: 101, State: StateAvailable}
		st.Connections["dxcon-hlag"] = &Connection{ID: "dxcon-hlag", Kind: KindHosted, ParentID: "dxlag-1", VLAN: 201, State: StateAvailable}
		return st
	}
	cases := []struct {
		name  string
		add   func(*State)
		inMsg string
	}{
		{"nothing to move", func(*State) {}, ""},
		{"free VLANs", func(st *State) {
			st.VIFs["dxvif-c"] = &VIF{ID: "dxvif-c", ConnectionID: "dxcon-c", VLAN: 102}
			st.Connections["dxcon-hc"] = &Connection{ID: "dxcon-hc", Kind: KindHosted, ParentID: "dxcon-c", VLAN: 202}
		}, ""},
		{"deleted VIF on LAG frees its VLAN", func(st *State) {
			st.VIFs["dxvif-lag"].State = StateDeleted
			st.VIFs["dxvif-c"] = &VIF{ID: "dxvif-c", ConnectionID: "dxcon-c", VLAN: 101}
		}, ""},
		{"VIF clashes with LAG VIF", func(st *State) {
			st.VIFs["dxvif-c"] = &VIF{ID: "dxvif-c", ConnectionID: "dxcon-c", VLAN: 101}
		}, "VLAN 101 is already in use on Lag dxlag-1 by dxvif-lag"},
		{"VIF clashes with LAG hosted connection", func(st *State) {
			st.VIFs["dxvif-c"] = &VIF{ID: "dxvif-c", ConnectionID: "dxcon-c", VLAN: 201}
		}, "VLAN 201 is already in use on Lag dxlag-1 by dxcon-hlag"},
		{"hosted clashes with LAG VIF", func(st *State) {
			st.Connections["dxcon-hc"] = &Connection{ID: "dxcon-hc", Kind: KindHosted, ParentID: "dxcon-c", VLAN: 101}
		}, "VLAN 101 is already in use on Lag dxlag-1 by dxvif-lag"},
		{"clash with VIF left on a member", func(st *State) {
			st.VIFs["dxvif-m"] = &VIF{ID: "dxvif-m", ConnectionID: "dxcon-m", VLAN: 300}
			st.VIFs["dxvif-c"] = &VIF{ID: "dxvif-c", ConnectionID: "dxcon-c", VLAN: 300}
		}, "VLAN 300 is already in use on Lag dxlag-1 by dxvif-m"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := newState()
			tc.add(st)
			err := CheckAssociateVLANs(st, st.Connections["dxcon-c"], st.LAGs["dxlag-1"])
			if tc.inMsg == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, RuleInUse, RuleOf(err))
			assert.Contains(t, err.Error(), tc.inMsg)
		})
	}
	t.Run("member moving between LAGs moves nothing", func(t *testing.T) {
		t.Parallel()
		st := newState()
		c := &Connection{ID: "dxcon-x", Kind: KindDedicated, LAGID: "dxlag-2"}
		st.VIFs["dxvif-x"] = &VIF{ID: "dxvif-x", ConnectionID: "dxcon-x", VLAN: 101}
		require.NoError(t, CheckAssociateVLANs(st, c, st.LAGs["dxlag-1"]))
	})
}

func TestCheckName(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in string
		ok       bool
	}{
		{"plain", "my-lag", true},
		{"max", strings.Repeat("n", MaxName), true},
		{"empty", "", false},
		{"too long", strings.Repeat("n", MaxName+1), false},
		{"control", "a\x00b", false},
		{"bad utf8", "a\xffb", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := CheckName("lagName", tc.in, MaxName)
			if tc.ok {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "lagName")
			}
		})
	}
}
