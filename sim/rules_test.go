package sim

import (
	"strings"
	"testing"
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
			st := fixture()
			if tc.mutate != nil {
				tc.mutate(st)
			}
			err := check(st, tc.conn, tc.lag)
			if got := RuleOf(err); got != tc.wantRule {
				t.Fatalf("rule = %q (err %v), want %q", got, err, tc.wantRule)
			}
			for _, frag := range tc.wantIn {
				if !strings.Contains(err.Error(), frag) {
					t.Errorf("message %q lacks %q", err.Error(), frag)
				}
			}
		})
	}
}

func TestCheckAssociate(t *testing.T) {
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
		{name: "transitioning", conn: "dxcon-transit1", lag: "dxlag-aaaaaaaa", wantRule: RuleTransitioning, wantIn: []string{"Connection dxcon-transit1 is in a transitioning state."}},
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
		st := fixture()
		err := CheckMinimumLinksSetting(st, st.LAGs[tc.lag], tc.n)
		if got := RuleOf(err); got != tc.want {
			t.Errorf("minimumLinks %d on %s: rule %q (%v), want %q", tc.n, tc.lag, got, err, tc.want)
		}
	}
}

func TestMaxMembers(t *testing.T) {
	for bw, want := range map[string]int{"1Gbps": 4, "10Gbps": 4, "100Gbps": 2, "400Gbps": 2} {
		if got := MaxMembers(bw); got != want {
			t.Errorf("MaxMembers(%s) = %d, want %d", bw, got, want)
		}
	}
}

func TestCheckPortSpeed(t *testing.T) {
	cat := DefaultCatalogue()
	for _, tc := range []struct{ loc, bw, want string }{
		{"EqDC2", "10Gbps", ""},
		{"EqDC2", "400Gbps", ""},
		{"EqDC2", "25Gbps", RuleInvalidArgument},
		{"Nowhere", "10Gbps", RuleInvalidArgument},
	} {
		_, err := CheckPortSpeed(cat, tc.loc, tc.bw)
		if got := RuleOf(err); got != tc.want {
			t.Errorf("%s %s: rule %q (%v), want %q", tc.loc, tc.bw, got, err, tc.want)
		}
	}
}

func TestCheckQuotas(t *testing.T) {
	st := fixture()
	q := Quotas{LAGsPerRegion: 3, VIFsPerLAG: 1, TagsPerResource: 2}
	for _, l := range st.LAGs {
		l.Region = "us-east-1"
	}
	if err := CheckLAGQuota(st, acct, "us-east-1", q); RuleOf(err) != RuleQuota {
		t.Errorf("4th LAG: %v, want quota", err)
	}
	if err := CheckLAGQuota(st, acct, "us-west-2", q); err != nil {
		t.Errorf("other region: %v", err)
	}
	if err := CheckVIFQuota(st, "dxlag-aaaaaaaa", q); err != nil {
		t.Errorf("first VIF: %v", err)
	}
	st.VIFs["dxvif-v1"] = &VIF{ID: "dxvif-v1", ConnectionID: "dxlag-aaaaaaaa", State: StateAvailable}
	if err := CheckVIFQuota(st, "dxlag-aaaaaaaa", q); RuleOf(err) != RuleQuota {
		t.Errorf("second VIF: %v, want quota", err)
	}
	if err := CheckVIFQuota(st, "dxcon-free0001", q); err != nil {
		t.Errorf("VIF quota applies to LAGs only: %v", err)
	}
}

func TestCheckVLAN(t *testing.T) {
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
		if got := RuleOf(CheckVLAN(st, tc.parent, tc.vlan, tc.except)); got != tc.want {
			t.Errorf("VLAN %d on %s: rule %q, want %q", tc.vlan, tc.parent, got, tc.want)
		}
	}
}

func TestCheckMACsec(t *testing.T) {
	key := strings.Repeat("0123456789abcdef", 4)
	for _, tc := range []struct {
		name, ckn, cak string
		want           string
	}{
		{"ok", key, key, ""},
		{"short ckn", key[:63], key, RuleMACsec},
		{"non-hex cak", key, strings.Repeat("g", 64), RuleMACsec},
	} {
		if got := RuleOf(CheckMACsecKey(tc.ckn, tc.cak)); got != tc.want {
			t.Errorf("%s: rule %q, want %q", tc.name, got, tc.want)
		}
	}
	for _, tc := range []struct {
		bw      string
		capable bool
		want    string
	}{
		{"10Gbps", true, ""}, {"100Gbps", true, ""}, {"400Gbps", true, ""},
		{"1Gbps", true, RuleMACsec}, {"10Gbps", false, RuleMACsec},
	} {
		if got := RuleOf(CheckMACsecCapable("dxcon-x", tc.bw, tc.capable)); got != tc.want {
			t.Errorf("MACsec on %s (capable %v): rule %q, want %q", tc.bw, tc.capable, got, tc.want)
		}
	}
	for mode, want := range map[string]string{"no_encrypt": "", "should_encrypt": "", "must_encrypt": "", "always": RuleMACsec} {
		if got := RuleOf(CheckEncryptionMode(mode)); got != want {
			t.Errorf("encryptionMode %q: rule %q, want %q", mode, got, want)
		}
	}
}

func TestCheckTags(t *testing.T) {
	q := Quotas{TagsPerResource: 2}
	got, err := CheckTags([]Tag{{Key: "a", Value: "1"}}, []Tag{{Key: "a", Value: "2"}, {Key: "b"}}, q)
	if err != nil || len(got) != 2 || got[0].Value != "2" {
		t.Fatalf("merge: %v, %v", got, err)
	}
	if _, err := CheckTags(nil, []Tag{{Key: "a"}, {Key: "a"}}, q); err == nil || err.(*Error).Code != CodeDuplicateTags {
		t.Errorf("duplicate keys: %v", err)
	}
	if _, err := CheckTags([]Tag{{Key: "a"}, {Key: "b"}}, []Tag{{Key: "c"}}, q); err == nil || err.(*Error).Code != CodeTooManyTags {
		t.Errorf("too many: %v", err)
	}
}

func TestIDs(t *testing.T) {
	id, err := newID(PrefixConnection, defaultRand)
	if err != nil || !ValidID(PrefixConnection, id) {
		t.Fatalf("newID = %q, %v", id, err)
	}
	for _, bad := range []string{"dxcon-ABCDEFGH", "dxcon-abc", "dxlag-abcdefgh", "dxcon-abcdefgh1"} {
		if ValidID(PrefixConnection, bad) {
			t.Errorf("ValidID(%q) = true", bad)
		}
	}
	arn := ARN("us-east-1", acct, "dxlag-abcd1234")
	if arn != "arn:aws:directconnect:us-east-1:123456789012:dxlag/dxlag-abcd1234" {
		t.Errorf("ARN = %s", arn)
	}
	r, a, i, err := ParseARN(arn)
	if err != nil || r != "us-east-1" || a != acct || i != "dxlag-abcd1234" {
		t.Errorf("ParseARN = %s %s %s %v", r, a, i, err)
	}
	if _, _, _, err := ParseARN("arn:aws:ec2:us-east-1:1:vpc/vpc-1"); err == nil {
		t.Error("ParseARN accepted an EC2 ARN")
	}
}

func TestCatalogue(t *testing.T) {
	cat := DefaultCatalogue()
	if err := cat.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, l := range cat.Locations {
		if len(l.Devices) < 2 {
			t.Errorf("%s has %d devices", l.Code, len(l.Devices))
		}
	}
	bad := &Catalogue{Locations: []Location{{Code: "X", Region: "r", PortSpeeds: []string{"10Gbps"}, Devices: []string{"d1"}}}}
	if err := bad.Validate(); err == nil {
		t.Error("one-device location accepted")
	}
}

// TestEncryptionDown: with must_encrypt, a member without a key to encrypt
// with carries no traffic; the LAG's mode and keys govern its members.
func TestEncryptionDown(t *testing.T) {
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
			st := fixture()
			lag := st.LAGs["dxlag-aaaaaaaa"]
			lag.Encryption, lag.MACsecKeys = tc.lagMode, tc.lagKeys
			c := st.Connections["dxcon-a1member"]
			if !tc.member {
				c = st.Connections["dxcon-free0001"]
			}
			c.Encryption, c.MACsecKeys = tc.ownMode, tc.ownKeys
			got := st.Present(c)
			if got.EncryptionDown != tc.wantDown || got.State != tc.wantState {
				t.Errorf("encryption down %v, state %s; want %v, %s", got.EncryptionDown, got.State, tc.wantDown, tc.wantState)
			}
			if tc.member {
				wantOps := 1
				if tc.wantDown {
					wantOps = 0
				}
				if ops := st.Operational(lag.ID); ops != wantOps {
					t.Errorf("operational members %d, want %d", ops, wantOps)
				}
			}
		})
	}
}
