package sim

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const acct = "123456789012"

// fixture: two LAGs on device A (10G and 100G), one on device B, and
// connections of every kind.
func fixture() *State {
	st := NewState()
	lag := func(id, bw, dev string, min int) {
		st.LAGs[id] = &LAG{ID: id, Owner: acct, State: StateAvailable, Location: "EqDC2", Bandwidth: bw, Device: dev, MinimumLinks: min}
	}
	conn := func(id string, kind ConnectionKind, bw, dev, lagID string) {
		st.Connections[id] = &Connection{ID: id, Kind: kind, Owner: acct, State: StateAvailable, Location: "EqDC2", Bandwidth: bw, Device: dev, LAGID: lagID}
	}
	lag("dxlag-aaaaaaaa", "10Gbps", "devA", 0)
	lag("dxlag-bbbbbbbb", "100Gbps", "devA", 0)
	lag("dxlag-cccccccc", "10Gbps", "devA", 2)
	conn("dxcon-free0001", KindDedicated, "10Gbps", "devA", "")
	conn("dxcon-free0002", KindDedicated, "1Gbps", "devA", "")
	conn("dxcon-free0003", KindDedicated, "10Gbps", "devB", "")
	conn("dxcon-free0004", KindDedicated, "100Gbps", "devA", "")
	conn("dxcon-inter001", KindInterconnect, "10Gbps", "devA", "")
	conn("dxcon-hosted01", KindHosted, "10Gbps", "devA", "")
	st.Connections["dxcon-hosted01"].ParentID = "dxcon-inter001"
	conn("dxcon-c1member", KindDedicated, "10Gbps", "devA", "dxlag-cccccccc")
	conn("dxcon-c2member", KindDedicated, "10Gbps", "devA", "dxlag-cccccccc")
	conn("dxcon-b1member", KindDedicated, "100Gbps", "devA", "dxlag-bbbbbbbb")
	conn("dxcon-b2member", KindDedicated, "100Gbps", "devA", "dxlag-bbbbbbbb")
	conn("dxcon-a1member", KindDedicated, "10Gbps", "devA", "dxlag-aaaaaaaa")
	conn("dxcon-transit1", KindDedicated, "10Gbps", "devA", "")
	st.Connections["dxcon-transit1"].Transitioning = true
	conn("dxcon-deleting", KindDedicated, "10Gbps", "devA", "")
	st.Connections["dxcon-deleting"].State = StateDeleting
	st.Connections["dxcon-other001"] = &Connection{ID: "dxcon-other001", Kind: KindDedicated, Owner: "999999999999", State: StateAvailable, Location: "EqDC2", Bandwidth: "10Gbps", Device: "devA"}
	return st
}

type ruleCase struct {
	name     string
	mutate   func(st *State)
	conn     string
	lag      string
	wantRule string   // "" for success
	wantIn   []string // fragments the message must contain
}

func runRuleCases(t *testing.T, cases []ruleCase, check func(st *State, conn, lag string) error) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := fixture()
			if tc.mutate != nil {
				tc.mutate(st)
			}
			err := check(st, tc.conn, tc.lag)
			require.Equal(t, tc.wantRule, RuleOf(err), "rule (err %v)", err)
			for _, frag := range tc.wantIn {
				assert.Contains(t, err.Error(), frag)
			}
		})
	}
}

func TestCheckAssociate(t *testing.T) {
	t.Parallel()
	cases := []ruleCase{
		{name: "ok", conn: "dxcon-free0001", lag: "dxlag-aaaaaaaa"},
		{name: "interconnect joins", conn: "dxcon-inter001", lag: "dxlag-aaaaaaaa"},
		{name: "unknown connection", conn: "dxcon-nothere1", lag: "dxlag-aaaaaaaa", wantRule: RuleNotFound, wantIn: []string{"Could not find Connection with ID dxcon-nothere1"}},
		{name: "another account's connection", conn: "dxcon-other001", lag: "dxlag-aaaaaaaa", wantRule: RuleNotFound, wantIn: []string{"Could not find Connection with ID dxcon-other001"}},
		{name: "unknown lag", conn: "dxcon-free0001", lag: "dxlag-nothere1", wantRule: RuleNotFound, wantIn: []string{"Could not find Lag with ID dxlag-nothere1"}},
		{name: "hosted connection", conn: "dxcon-hosted01", lag: "dxlag-aaaaaaaa", wantRule: RuleHostedNotInLAG, wantIn: []string{"dxcon-hosted01", "dxlag-aaaaaaaa", "hosted"}},
		{name: "bandwidth mismatch", conn: "dxcon-free0002", lag: "dxlag-aaaaaaaa", wantRule: RuleBandwidthMismatch, wantIn: []string{"dxcon-free0002", "1Gbps", "10Gbps", "dxlag-aaaaaaaa"}},
		{name: "different device", conn: "dxcon-free0003", lag: "dxlag-aaaaaaaa", wantRule: RuleDifferentDevice, wantIn: []string{"dxcon-free0003", "devB", "devA", "dxlag-aaaaaaaa"}},
		{name: "different location", conn: "dxcon-free0001", lag: "dxlag-aaaaaaaa", mutate: func(st *State) {
			st.Connections["dxcon-free0001"].Location = "CSVA1"
		}, wantRule: RuleDifferentDevice, wantIn: []string{"CSVA1", "EqDC2"}},
		{name: "100G LAG holds two", conn: "dxcon-free0004", lag: "dxlag-bbbbbbbb", wantRule: RuleLAGFull, wantIn: []string{"dxlag-bbbbbbbb", "at most 2"}},
		{name: "10G LAG holds four", conn: "dxcon-free0001", lag: "dxlag-aaaaaaaa", mutate: func(st *State) {
			for _, id := range []string{"dxcon-x1", "dxcon-x2", "dxcon-x3"} {
				st.Connections[id] = &Connection{ID: id, Kind: KindDedicated, Owner: acct, State: StateAvailable, Location: "EqDC2", Bandwidth: "10Gbps", Device: "devA", LAGID: "dxlag-aaaaaaaa"}
			}
		}, wantRule: RuleLAGFull, wantIn: []string{"has 4 connections", "at most 4"}},
		{name: "10G LAG takes a fourth", conn: "dxcon-free0001", lag: "dxlag-aaaaaaaa", mutate: func(st *State) {
			for _, id := range []string{"dxcon-x1", "dxcon-x2"} {
				st.Connections[id] = &Connection{ID: id, Kind: KindDedicated, Owner: acct, State: StateAvailable, Location: "EqDC2", Bandwidth: "10Gbps", Device: "devA", LAGID: "dxlag-aaaaaaaa"}
			}
		}},
		{name: "member mid-association", conn: "dxcon-transit1", lag: "dxlag-aaaaaaaa", mutate: func(st *State) {
			st.Connections["dxcon-transit1"].LAGID = "dxlag-cccccccc"
		}, wantRule: RuleTransitioning, wantIn: []string{"Connection dxcon-transit1 is in a transitioning state."}},
		// As AWS: a connection a disassociate has just made standalone may
		// be associated at once.
		{name: "just disassociated", conn: "dxcon-transit1", lag: "dxlag-aaaaaaaa"},
		{name: "deleting", conn: "dxcon-deleting", lag: "dxlag-aaaaaaaa", wantRule: RuleState, wantIn: []string{"dxcon-deleting", "deleting"}},
		{name: "already a member", conn: "dxcon-a1member", lag: "dxlag-aaaaaaaa", wantRule: RuleInvalidArgument, wantIn: []string{"already associated"}},
		{name: "re-associate from another LAG", conn: "dxcon-c1member", lag: "dxlag-aaaaaaaa", mutate: func(st *State) {
			st.LAGs["dxlag-cccccccc"].MinimumLinks = 1
		}},
		{name: "re-associate below old LAG's minimum links", conn: "dxcon-c1member", lag: "dxlag-aaaaaaaa", wantRule: RuleMinimumLinks, wantIn: []string{"dxcon-c1member", "dxlag-cccccccc", "minimumLinks of 2"}},
	}
	runRuleCases(t, cases, func(st *State, conn, lag string) error {
		_, _, err := CheckAssociate(st, acct, conn, lag)
		return err
	})
}

func TestCheckDisassociate(t *testing.T) {
	t.Parallel()
	cases := []ruleCase{
		{name: "ok", conn: "dxcon-a1member", lag: "dxlag-aaaaaaaa"},
		{name: "last member despite minimum links", conn: "dxcon-a1member", lag: "dxlag-aaaaaaaa", mutate: func(st *State) {
			st.LAGs["dxlag-aaaaaaaa"].MinimumLinks = 1
		}},
		{name: "below minimum links", conn: "dxcon-c1member", lag: "dxlag-cccccccc", wantRule: RuleMinimumLinks, wantIn: []string{"dxcon-c1member", "dxlag-cccccccc", "1 connections", "minimumLinks of 2"}},
		{name: "not a member", conn: "dxcon-free0001", lag: "dxlag-aaaaaaaa", wantRule: RuleNotMember, wantIn: []string{"dxcon-free0001", "dxlag-aaaaaaaa"}},
		{name: "member of another LAG", conn: "dxcon-c1member", lag: "dxlag-aaaaaaaa", wantRule: RuleNotMember},
		{name: "transitioning", conn: "dxcon-a1member", lag: "dxlag-aaaaaaaa", mutate: func(st *State) {
			st.Connections["dxcon-a1member"].Transitioning = true
		}, wantRule: RuleTransitioning, wantIn: []string{"Connection dxcon-a1member is in a transitioning state."}},
		{name: "unknown lag", conn: "dxcon-a1member", lag: "dxlag-zzzzzzzz", wantRule: RuleNotFound, wantIn: []string{"Could not find Lag with ID dxlag-zzzzzzzz"}},
		{name: "unknown connection", conn: "dxcon-zzzzzzzz", lag: "dxlag-aaaaaaaa", wantRule: RuleNotFound, wantIn: []string{"Could not find Connection with ID dxcon-zzzzzzzz"}},
	}
	runRuleCases(t, cases, func(st *State, conn, lag string) error {
		_, _, err := CheckDisassociate(st, acct, conn, lag)
		return err
	})
}

func TestCheckDeleteLag(t *testing.T) {
	t.Parallel()
	cases := []ruleCase{
		{name: "ok with members", lag: "dxlag-cccccccc"},
		{name: "has a VIF", lag: "dxlag-aaaaaaaa", mutate: func(st *State) {
			st.VIFs["dxvif-v1"] = &VIF{ID: "dxvif-v1", Owner: acct, ConnectionID: "dxlag-aaaaaaaa", State: StateAvailable}
		}, wantRule: RuleLAGInUse, wantIn: []string{"dxlag-aaaaaaaa", "dxvif-v1"}},
		{name: "has a hosted connection", lag: "dxlag-aaaaaaaa", mutate: func(st *State) {
			st.Connections["dxcon-hosted01"].ParentID = "dxlag-aaaaaaaa"
		}, wantRule: RuleLAGInUse, wantIn: []string{"dxlag-aaaaaaaa", "dxcon-hosted01"}},
		{name: "member transitioning", lag: "dxlag-aaaaaaaa", mutate: func(st *State) {
			st.Connections["dxcon-a1member"].Transitioning = true
		}, wantRule: RuleTransitioning},
		{name: "unknown", lag: "dxlag-zzzzzzzz", wantRule: RuleNotFound, wantIn: []string{"Could not find Lag with ID dxlag-zzzzzzzz"}},
	}
	runRuleCases(t, cases, func(st *State, _, lag string) error {
		_, err := CheckDeleteLag(st, acct, lag)
		return err
	})
}

func TestCheckMinimumLinksSetting(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		lag  string
		n    int
		want string
	}{
		{"dxlag-cccccccc", 2, ""},
		{"dxlag-cccccccc", 0, ""},
		{"dxlag-cccccccc", 3, RuleMinimumLinks},
		{"dxlag-cccccccc", -1, RuleMinimumLinks},
	} {
		t.Run(fmt.Sprintf("%s minimumLinks %d", tc.lag, tc.n), func(t *testing.T) {
			t.Parallel()
			st := fixture()
			err := CheckMinimumLinksSetting(st, st.LAGs[tc.lag], tc.n)
			assert.Equal(t, tc.want, RuleOf(err), "minimumLinks %d on %s: rule (%v)", tc.n, tc.lag, err)
		})
	}
}

func TestMaxMembers(t *testing.T) {
	t.Parallel()
	for bw, want := range map[string]int{"1Gbps": 4, "10Gbps": 4, "100Gbps": 2, "400Gbps": 2} {
		t.Run(bw, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, want, MaxMembers(bw), "MaxMembers(%s)", bw)
		})
	}
}

func TestCheckPortSpeed(t *testing.T) {
	t.Parallel()
	cat := DefaultCatalogue()
	for _, tc := range []struct{ loc, bw, want string }{
		{"EqDC2", "10Gbps", ""},
		{"EqDC2", "400Gbps", ""},
		{"EqDC2", "25Gbps", RuleInvalidArgument},
		{"Nowhere", "10Gbps", RuleInvalidArgument},
		{"EqFA5", "10Gbps", RuleInvalidArgument}, // Frankfurt, from the us-east-1 endpoint
	} {
		t.Run(tc.loc+" "+tc.bw, func(t *testing.T) {
			t.Parallel()
			_, err := CheckPortSpeed(cat, "us-east-1", tc.loc, tc.bw)
			assert.Equal(t, tc.want, RuleOf(err), "%s %s: rule (%v)", tc.loc, tc.bw, err)
		})
	}
}

func TestCheckQuotas(t *testing.T) {
	t.Parallel()
	st := fixture()
	q := Quotas{LAGsPerRegion: 3, VIFsPerLAG: 1, TagsPerResource: 2}
	for _, l := range st.LAGs {
		l.Region = "us-east-1"
	}
	err := CheckLAGQuota(st, acct, "us-east-1", q)
	assert.Equal(t, RuleQuota, RuleOf(err), "4th LAG: %v", err)
	assert.NoError(t, CheckLAGQuota(st, acct, "us-west-2", q), "other region")
	assert.NoError(t, CheckVIFQuota(st, "dxlag-aaaaaaaa", q), "first VIF")
	st.VIFs["dxvif-v1"] = &VIF{ID: "dxvif-v1", ConnectionID: "dxlag-aaaaaaaa", State: StateAvailable}
	err = CheckVIFQuota(st, "dxlag-aaaaaaaa", q)
	assert.Equal(t, RuleQuota, RuleOf(err), "second VIF: %v", err)
	assert.NoError(t, CheckVIFQuota(st, "dxcon-free0001", q), "VIF quota applies to LAGs only")
}

func TestCheckVLAN(t *testing.T) {
	t.Parallel()
	st := fixture()
	st.VIFs["dxvif-v1"] = &VIF{ID: "dxvif-v1", ConnectionID: "dxcon-free0001", VLAN: 101, State: StateAvailable}
	st.Connections["dxcon-hosted01"].VLAN = 200
	for _, tc := range []struct {
		parent string
		vlan   int
		except string
		want   string
	}{
		{"dxcon-free0001", 102, "", ""},
		{"dxcon-free0001", 101, "", RuleInUse},
		{"dxcon-free0001", 101, "dxvif-v1", ""},
		{"dxcon-inter001", 200, "", RuleInUse},
		{"dxcon-free0001", 0, "", RuleInvalidArgument},
		{"dxcon-free0001", 4095, "", RuleInvalidArgument},
	} {
		t.Run(fmt.Sprintf("VLAN %d on %s except %q", tc.vlan, tc.parent, tc.except), func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, RuleOf(CheckVLAN(st, tc.parent, tc.vlan, tc.except)), "VLAN %d on %s: rule", tc.vlan, tc.parent)
		})
	}
}

func TestCheckMACsec(t *testing.T) {
	t.Parallel()
	key := strings.Repeat("0123456789abcdef", 4)
	for _, tc := range []struct {
		name, ckn, cak string
		want           string
	}{
		{"ok", key, key, ""},
		{"short ckn", key[:63], key, RuleMACsec},
		{"non-hex cak", key, strings.Repeat("g", 64), RuleMACsec},
	} {
		t.Run("key "+tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, RuleOf(CheckMACsecKey(tc.ckn, tc.cak)), "%s: rule", tc.name)
		})
	}
	for _, tc := range []struct {
		bw      string
		capable bool
		want    string
	}{
		{"10Gbps", true, ""}, {"100Gbps", true, ""}, {"400Gbps", true, ""},
		{"1Gbps", true, RuleMACsec}, {"10Gbps", false, RuleMACsec},
	} {
		t.Run(fmt.Sprintf("port %s capable %v", tc.bw, tc.capable), func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, RuleOf(CheckMACsecCapable("dxcon-x", tc.bw, tc.capable)), "MACsec on %s (capable %v): rule", tc.bw, tc.capable)
		})
	}
	for mode, want := range map[string]string{"no_encrypt": "", "should_encrypt": "", "must_encrypt": "", "always": RuleMACsec} {
		t.Run("mode "+mode, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, want, RuleOf(CheckEncryptionMode(mode)), "encryptionMode %q: rule", mode)
		})
	}
}

func TestCheckTags(t *testing.T) {
	t.Parallel()
	q := Quotas{TagsPerResource: 2}
	got, err := CheckTags([]Tag{{Key: "a", Value: "1"}}, []Tag{{Key: "a", Value: "2"}, {Key: "b"}}, q)
	require.NoError(t, err, "merge")
	require.Len(t, got, 2, "merge: %v", got)
	require.Equal(t, "2", got[0].Value, "merge: %v", got)
	_, err = CheckTags(nil, []Tag{{Key: "a"}, {Key: "a"}}, q)
	if assert.Error(t, err, "duplicate keys") {
		assert.Equal(t, CodeDuplicateTags, err.(*Error).Code, "duplicate keys: %v", err)
	}
	_, err = CheckTags([]Tag{{Key: "a"}, {Key: "b"}}, []Tag{{Key: "c"}}, q)
	if assert.Error(t, err, "too many") {
		assert.Equal(t, CodeTooManyTags, err.(*Error).Code, "too many: %v", err)
	}
}

func TestIDs(t *testing.T) {
	t.Parallel()
	id, err := newID(PrefixConnection, defaultRand)
	require.NoError(t, err, "newID")
	require.True(t, ValidID(PrefixConnection, id), "newID = %q", id)
	for _, bad := range []string{"dxcon-ABCDEFGH", "dxcon-abc", "dxlag-abcdefgh", "dxcon-abcdefgh1"} {
		t.Run(bad, func(t *testing.T) {
			t.Parallel()
			assert.False(t, ValidID(PrefixConnection, bad), "ValidID(%q)", bad)
		})
	}
	arn := ARN("us-east-1", acct, "dxlag-abcd1234")
	assert.Equal(t, "arn:aws:directconnect:us-east-1:123456789012:dxlag/dxlag-abcd1234", arn, "ARN")
	r, a, i, err := ParseARN(arn)
	if assert.NoError(t, err, "ParseARN") {
		assert.Equal(t, "us-east-1", r, "ParseARN region")
		assert.Equal(t, acct, a, "ParseARN account")
		assert.Equal(t, "dxlag-abcd1234", i, "ParseARN ID")
	}
	_, _, _, err = ParseARN("arn:aws:ec2:us-east-1:1:vpc/vpc-1")
	assert.Error(t, err, "ParseARN accepted an EC2 ARN")
}

func TestCatalogue(t *testing.T) {
	t.Parallel()
	cat := DefaultCatalogue()
	require.NoError(t, cat.Validate())
	for _, l := range cat.Locations {
		assert.GreaterOrEqual(t, len(l.Devices), 2, "%s has %d devices", l.Code, len(l.Devices))
	}
	bad := &Catalogue{Locations: []Location{{Code: "X", Region: "r", PortSpeeds: []string{"10Gbps"}, Devices: []string{"d1"}}}}
	assert.Error(t, bad.Validate(), "one-device location accepted")
}

// TestEncryptionDown: with must_encrypt, a member without a key to encrypt
// with carries no traffic; the LAG's mode and keys govern its members.
func TestEncryptionDown(t *testing.T) {
	t.Parallel()
	key := []MACsecKey{{SecretARN: "arn", CKN: "c", State: "associated"}}
	for _, tc := range []struct {
		name      string
		lagMode   string
		lagKeys   []MACsecKey
		ownMode   string
		ownKeys   []MACsecKey
		member    bool
		wantDown  bool
		wantState string
	}{
		{"standalone must_encrypt without key", "", nil, EncryptMust, nil, false, true, StateDown},
		{"standalone must_encrypt with key", "", nil, EncryptMust, key, false, false, StateAvailable},
		{"standalone should_encrypt without key", "", nil, EncryptShould, nil, false, false, StateAvailable},
		{"member of must_encrypt LAG without key", EncryptMust, nil, EncryptMust, key, true, true, StateDown},
		{"member of must_encrypt LAG with key", EncryptMust, key, EncryptMust, nil, true, false, StateAvailable},
		{"member of no_encrypt LAG", EncryptNo, nil, EncryptMust, nil, true, false, StateAvailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := fixture()
			lag := st.LAGs["dxlag-aaaaaaaa"]
			lag.Encryption, lag.MACsecKeys = tc.lagMode, tc.lagKeys
			c := st.Connections["dxcon-a1member"]
			if !tc.member {
				c = st.Connections["dxcon-free0001"]
			}
			c.Encryption, c.MACsecKeys = tc.ownMode, tc.ownKeys
			got := st.Present(c)
			assert.Equal(t, tc.wantDown, got.EncryptionDown, "encryption down")
			assert.Equal(t, tc.wantState, got.State, "state")
			if tc.member {
				wantOps := 1
				if tc.wantDown {
					wantOps = 0
				}
				assert.Equal(t, wantOps, st.Operational(lag.ID), "operational members")
			}
		})
	}
}
