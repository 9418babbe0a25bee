package lab

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
)

// oneVIF is a lab file of one device, one connection and one VIF whose
// fields (after "vlan": 5) are vif, with the lab's own fields top.
func oneVIF(top, vif string) string {
	return `{"name":"x",` + top + `"devices":[{"id":"d","connections":[{"id":"dxcon-bbbbbbbb"}],"vifs":[{"id":"dxvif-aaaaaaaa","on":"dxcon-bbbbbbbb","vlan":5` +
		vif + `}]}]}`
}

const addrs = `,"amazonAddress":"169.254.1.1/30","customerAddress":"169.254.1.2/30"`

func TestVIFBGP(t *testing.T) {
	t.Parallel()
	l, err := Read(strings.NewReader(oneVIF("", addrs+`,"asn":65001,"announce":["10.1.0.0/16","10.2.0.0/16"]`)))
	require.NoError(t, err)
	assert.Equal(t, CustomerBuiltin, l.CustomerRouter)
	assert.Equal(t, TimersLinux, l.LACPTimers, "the default LACP timers")
	want := sim.BGPRouter{VIFID: "dxvif-aaaaaaaa", Type: sim.VIFPrivate, Device: "d", ParentID: "dxcon-bbbbbbbb", VLAN: 5, AmazonASN: 64512,
		Peers: []sim.BGPSessionSpec{{PeerID: "dxpeer-aaaaaaaa", Family: sim.FamilyIPv4, AmazonAddress: "169.254.1.1/30",
			CustomerAddress: "169.254.1.2/30", ASN: 65001, AuthKey: AuthKey("x", "dxvif-aaaaaaaa"), MaxPrefixes: sim.MaxPrefixesPrivate}},
		Announce: []sim.AmazonPrefix{{Prefix: "10.1.0.0/16"}, {Prefix: "10.2.0.0/16"}}}
	assert.Equal(t, []sim.BGPRouter{want}, l.BGP)
	assert.True(t, sim.ValidID(sim.PrefixBGPPeer, l.BGP[0].Peers[0].PeerID), "peer ID %q is not shaped as AWS's", l.BGP[0].Peers[0].PeerID)

	l, err = Read(strings.NewReader(oneVIF(`"customerRouter":"none",`, addrs+`,"asn":4200000001,"amazonAsn":4200000000,"authKey":"sekrit!","type":"public"`)))
	require.NoError(t, err)
	assert.Equal(t, CustomerNone, l.CustomerRouter)
	require.Len(t, l.BGP, 1)
	assert.Equal(t, int64(4200000000), l.BGP[0].AmazonASN)
	assert.Equal(t, "public", l.BGP[0].Type)
	assert.Equal(t, sim.MaxPrefixesPublic, l.BGP[0].Peers[0].MaxPrefixes, "a public VIF's prefix limit")
	assert.Equal(t, "sekrit!", l.BGP[0].Peers[0].AuthKey)
	assert.Empty(t, l.BGP[0].Announce)

	l, err = Read(strings.NewReader(oneVIF("", addrs)))
	require.NoError(t, err)
	assert.Empty(t, l.BGP, "a VIF without an ASN has no BGP")

	l, err = Read(strings.NewReader(oneVIF(`"lacpTimers":"802.1ax",`, addrs)))
	require.NoError(t, err)
	assert.Equal(t, Timers8021AX, l.LACPTimers)
}

func TestAuthKeyDerived(t *testing.T) {
	t.Parallel()
	k := AuthKey("lab", "dxvif-aaaaaaaa")
	assert.Equal(t, k, AuthKey("lab", "dxvif-aaaaaaaa"), "not the same every run")
	assert.Regexp(t, `^0x[A-Za-z0-9]{24}$`, k, "not shaped as AWS's")
	assert.NoError(t, sim.CheckAuthKey(k))
	assert.NotEqual(t, k, AuthKey("lab", "dxvif-aaaaaaab"), "another VIF")
	assert.NotEqual(t, k, AuthKey("lab2", "dxvif-aaaaaaaa"), "another lab")
}

func TestVIFBGPRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, top, vif, want string
	}{
		{"customer router", `"customerRouter":"frr",`, addrs, `customerRouter "frr": want builtin or none`},
		{"LACP timers", `"lacpTimers":"bsd",`, addrs, `lacpTimers "bsd": want linux or 802.1ax`},
		{"asn zero is none, so amazonAsn alone", "", addrs + `,"amazonAsn":64512`, "dxvif-aaaaaaaa: amazonAsn without asn"},
		{"announce without asn", "", addrs + `,"announce":["10.0.0.0/8"]`, "dxvif-aaaaaaaa: announce without asn"},
		{"type without asn", "", addrs + `,"type":"public"`, "dxvif-aaaaaaaa: type without asn"},
		{"authKey without asn", "", addrs + `,"authKey":"abcdefg"`, "dxvif-aaaaaaaa: authKey without asn"},
		{"negative asn", "", addrs + `,"asn":-1`, "dxvif-aaaaaaaa: asn -1: want 1-4294967294"},
		{"asn too large", "", addrs + `,"asn":4294967295`, "asn 4294967295: want 1-4294967294"},
		{"public amazonAsn", "", addrs + `,"asn":65000,"amazonAsn":7224`, "dxvif-aaaaaaaa: amazonAsn 7224: want a private ASN"},
		{"internal BGP", "", addrs + `,"asn":64512`, "asn and amazonAsn are both 64512"},
		{"short authKey", "", addrs + `,"asn":65000,"authKey":"abc"`, "dxvif-aaaaaaaa: authKey: want 6-80"},
		{"authKey with a space", "", addrs + `,"asn":65000,"authKey":"abc def"`, "authKey: want 6-80 printable ASCII characters without spaces"},
		{"type", "", addrs + `,"asn":65000,"type":"hosted"`, `dxvif-aaaaaaaa: type "hosted": want private, public or transit`},
		{"no addresses", "", `,"asn":65000`, "dxvif-aaaaaaaa: asn is set but amazonAddress is not"},
		{"no customer address", "", `,"amazonAddress":"169.254.1.1/30","asn":65000`, "dxvif-aaaaaaaa: asn is set but customerAddress is not"},
		{"IPv6", "", `,"amazonAddress":"2001:db8::1/126","customerAddress":"2001:db8::2/126","asn":65000`, "runs over IPv4"},
		{"same address", "", `,"amazonAddress":"169.254.1.1/30","customerAddress":"169.254.1.1/30","asn":65000`, "both 169.254.1.1"},
		{"two subnets", "", `,"amazonAddress":"169.254.1.1/30","customerAddress":"169.254.2.2/30","asn":65000`, "not on one subnet"},
		{"unparsable announce", "", addrs + `,"asn":65000,"announce":["10.0.0.0/33"]`, `dxvif-aaaaaaaa: announce "10.0.0.0/33"`},
		{"IPv6 announce", "", addrs + `,"asn":65000,"announce":["2001:db8::/32"]`, "announce 2001:db8::/32: not IPv4"},
		{"host bits", "", addrs + `,"asn":65000,"announce":["10.0.0.1/16"]`, "announce 10.0.0.1/16 has host bits set (10.0.0.0/16?)"},
		{"announce twice", "", addrs + `,"asn":65000,"announce":["10.0.0.0/16","10.0.0.0/16"]`, "announce 10.0.0.0/16 appears twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Read(strings.NewReader(oneVIF(tt.top, tt.vif)))
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

func TestTwoSessionsOneAmazonAddress(t *testing.T) {
	t.Parallel()
	_, err := Read(strings.NewReader(`{"name":"x","devices":[{"id":"d","connections":[{"id":"dxcon-bbbbbbbb"}],"vifs":[
		{"id":"dxvif-aaaaaaa1","on":"dxcon-bbbbbbbb","vlan":5` + addrs + `,"asn":65000},
		{"id":"dxvif-aaaaaaa2","on":"dxcon-bbbbbbbb","vlan":6` + addrs + `,"asn":65000}]}]}`))
	assert.ErrorContains(t, err, "dxvif-aaaaaaa2: amazonAddress 169.254.1.1 is dxvif-aaaaaaa1's already on device d")
}
