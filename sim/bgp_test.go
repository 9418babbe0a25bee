package sim

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckNewPeer(t *testing.T) {
	t.Parallel()
	v4 := &VIF{ID: "dxvif-aaaaaaaa", Type: VIFPrivate, State: StateAvailable, ASN: 65000, AddressFamily: FamilyIPv4,
		AmazonAddress: "169.254.1.1/30", CustomerAddress: "169.254.1.2/30"}
	pub := &VIF{ID: "dxvif-bbbbbbbb", Type: VIFPublic, State: StateAvailable, ASN: 65000, AddressFamily: FamilyIPv6}
	confirming := &VIF{ID: "dxvif-cccccccc", Type: VIFPrivate, State: StateConfirming, ASN: 65000}
	for _, tc := range []struct {
		name string
		v    *VIF
		in   NewBGPPeerInput
		rule string
	}{
		{"an IPv6 peer", v4, NewBGPPeerInput{ASN: 65000, AddressFamily: FamilyIPv6}, ""},
		{"a second IPv4 peer", v4, NewBGPPeerInput{ASN: 65000, AddressFamily: FamilyIPv4}, RuleInUse},
		{"no family", v4, NewBGPPeerInput{ASN: 65000}, RuleInvalidArgument},
		{"a bad ASN", v4, NewBGPPeerInput{ASN: 0, AddressFamily: FamilyIPv6}, RuleInvalidArgument},
		{"a short key", v4, NewBGPPeerInput{ASN: 1, AddressFamily: FamilyIPv6, AuthKey: "abc"}, RuleInvalidArgument},
		{"IPv6 addresses given", v4, NewBGPPeerInput{ASN: 1, AddressFamily: FamilyIPv6, AmazonAddress: "2001:db8::1/125", CustomerAddress: "2001:db8::2/125"}, RuleInvalidArgument},
		{"a public VIF's IPv4 peer without addresses", pub, NewBGPPeerInput{ASN: 1, AddressFamily: FamilyIPv4}, RuleInvalidArgument},
		{"a public VIF's IPv4 peer with addresses", pub, NewBGPPeerInput{ASN: 1, AddressFamily: FamilyIPv4, AmazonAddress: "203.0.113.1/30", CustomerAddress: "203.0.113.2/30"}, ""},
		{"a VIF awaiting confirmation", confirming, NewBGPPeerInput{ASN: 1, AddressFamily: FamilyIPv6}, RuleState},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := checkNewPeer(tc.v, tc.in)
			if tc.rule == "" {
				assert.NoError(t, err)
				return
			}
			assert.Equal(t, tc.rule, RuleOf(err), "%v", err)
		})
	}
}

func TestCheckStartTest(t *testing.T) {
	t.Parallel()
	v := &VIF{ID: "dxvif-aaaaaaaa", State: StateAvailable, ASN: 65000, Peers: []BGPPeer{
		{ID: "dxpeer-aaaaaaaa", AddressFamily: FamilyIPv4, State: StateAvailable},
		{ID: "dxpeer-bbbbbbbb", AddressFamily: FamilyIPv6, State: StateDeleting},
	}}
	st := NewState()
	st.VIFs[v.ID] = v
	busy := NewState()
	busy.VIFs[v.ID] = v
	busy.FailoverTests["t"] = &FailoverTest{ID: "t", VIFID: v.ID, Status: TestInProgress}
	for _, tc := range []struct {
		name    string
		st      *State
		peers   []string
		minutes int
		rule    string
		want    []string
	}{
		{"all live peers", st, nil, 180, "", []string{"dxpeer-aaaaaaaa"}},
		{"one minute", st, []string{"dxpeer-aaaaaaaa"}, 1, "", []string{"dxpeer-aaaaaaaa"}},
		{"the longest", st, nil, MaxTestMinutes, "", []string{"dxpeer-aaaaaaaa"}},
		{"too long", st, nil, MaxTestMinutes + 1, RuleInvalidArgument, nil},
		{"negative", st, nil, -1, RuleInvalidArgument, nil},
		{"a peer being deleted", st, []string{"dxpeer-bbbbbbbb"}, 10, RuleNotFound, nil},
		{"a test already running", busy, nil, 10, RuleInUse, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := checkStartTest(tc.st, v, tc.peers, tc.minutes)
			assert.Equal(t, tc.rule, RuleOf(err), "%v", err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// TestImplicitPeer: a VIF stored before peers were kept shows the peer it
// was created with, and keeps that peer's ID once peers are stored.
func TestImplicitPeer(t *testing.T) {
	t.Parallel()
	clock := &stepClock{now: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	s, err := New(Config{Clock: clock})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	old := &VIF{ID: "dxvif-abcdefgh", Type: VIFPrivate, Owner: "1", State: StateAvailable, ASN: 65000, AuthKey: "0xkey123",
		AmazonAddress: "169.254.9.1/30", CustomerAddress: "169.254.9.2/30", Since: clock.Now()}
	s.state.VIFs[old.ID] = old
	peers := old.BGPPeers()
	require.Len(t, peers, 1)
	assert.Equal(t, BGPPeer{ID: "dxpeer-abcdefgh", ASN: 65000, AuthKey: "0xkey123", AddressFamily: FamilyIPv4,
		AmazonAddress: "169.254.9.1/30", CustomerAddress: "169.254.9.2/30", State: StateAvailable, Since: clock.Now()}, peers[0])
	v, err := s.CreateBGPPeer(context.Background(), "1", old.ID, NewBGPPeerInput{ASN: 65000, AddressFamily: FamilyIPv6})
	require.NoError(t, err)
	require.Len(t, v.Peers, 2)
	assert.Equal(t, "dxpeer-abcdefgh", v.Peers[0].ID, "the first peer keeps its ID")
	clock.now = clock.now.Add(time.Hour)
	vs, err := s.VirtualInterfaces("1", "", old.ID)
	require.NoError(t, err)
	assert.Equal(t, StateAvailable, vs[0].Peers[1].State)
}

// stepClock is a clock the test moves; the test is its only user.
type stepClock struct{ now time.Time }

func (c *stepClock) Now() time.Time { return c.now }
