package userspace

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/topology/internal/nsthread"
	"github.com/dxsim/dxsim/topology/netnstest"
)

// sysctl reads one of a member's sysctls in s's namespace.
func (s *side) sysctl(path string) string {
	s.t.Helper()
	var v []byte
	err := nsthread.Do(s.ns, func() (err error) {
		v, err = os.ReadFile(path)
		return err
	})
	require.NoError(s.t, err)
	return strings.TrimSpace(string(v))
}

func (s *side) setSysctl(path, v string) {
	s.t.Helper()
	require.NoError(s.t, nsthread.Do(s.ns, func() error { return os.WriteFile(path, []byte(v), 0) }))
}

func TestAddMembersStopsAtTheFirstFailure(t *testing.T) {
	netnstest.RequireRoot(t)
	a := newSide(t, "a", New)
	b := newSide(t, "b", New)
	for _, p := range []string{"m1", "m2", "m3", "m4"} {
		connect(t, a, p, b, p+"b")
	}
	for _, lag := range []string{"lag1", "lag2"} {
		require.NoError(t, a.h.CreateLAG(LAGConfig{Name: lag, Static: true}))
	}
	require.NoError(t, a.h.AddMember("lag2", "m4"))

	// m1 and m2 join; "gone" does not exist, so m3 after it is not tried.
	n, err := a.h.AddMembers([]Membership{
		{LAG: "lag1", Port: "m1"}, {LAG: "lag1", Port: "m2"}, {LAG: "lag1", Port: "gone"}, {LAG: "lag1", Port: "m3"},
	})
	require.ErrorIs(t, err, ErrNotFound, "AddMembers")
	require.Equal(t, 2, n, "AddMembers: joined")
	members := func(lag string) []string {
		t.Helper()
		st, err := a.h.LAGStatus(lag)
		require.NoError(t, err)
		var names []string
		for _, m := range st.Members {
			names = append(names, m.Name)
		}
		return names
	}
	require.Equal(t, "m1,m2", strings.Join(members("lag1"), ","), "lag1 members")
	// Members already, on either side of a failure, count only before it.
	n, err = a.h.AddMembers([]Membership{{LAG: "lag1", Port: "m1"}, {LAG: "lag1", Port: "gone"}, {LAG: "lag1", Port: "m2"}})
	require.ErrorIs(t, err, ErrNotFound, "AddMembers(m1, gone, m2)")
	require.Equal(t, 1, n, "AddMembers(m1, gone, m2): joined")
	// m3 was not left claimed: it can join now. m1 again is not an error.
	n, err = a.h.AddMembers([]Membership{{LAG: "lag1", Port: "m1"}, {LAG: "lag1", Port: "m3"}})
	require.NoError(t, err, "AddMembers(m1 again, m3)")
	require.Equal(t, 2, n, "AddMembers(m1 again, m3): joined")
	// A port in another LAG, or an unknown LAG, stops the batch there.
	n, err = a.h.AddMembers([]Membership{{LAG: "lag1", Port: "m4"}})
	require.ErrorIs(t, err, ErrInUse, "AddMembers(m4 of lag2)")
	require.Zero(t, n, "AddMembers(m4 of lag2): joined")
	n, err = a.h.AddMembers([]Membership{{LAG: "nolag", Port: "m4"}})
	require.ErrorIs(t, err, ErrNotFound, "AddMembers(unknown LAG)")
	require.Zero(t, n, "AddMembers(unknown LAG): joined")
	require.Equal(t, "m1,m2,m3", strings.Join(members("lag1"), ","), "lag1 members")

	// A batch long enough to be found in one listing of the links stops
	// at its missing port the same way.
	var batch []Membership
	for i := range listAbove + 4 {
		p := fmt.Sprintf("n%d", i)
		if i == listAbove {
			p = "gone"
		} else {
			connect(t, a, p, b, p+"b")
		}
		batch = append(batch, Membership{LAG: "lag2", Port: p})
	}
	n, err = a.h.AddMembers(batch)
	require.ErrorIs(t, err, ErrNotFound, "AddMembers(%d with one missing)", len(batch))
	require.Equal(t, listAbove, n, "AddMembers(%d with one missing): joined", len(batch))
	require.Len(t, members("lag2"), listAbove+1, "lag2 members")
}

// A member's kernel stack is quiet while the LAG has it, and gets back what
// it had when released; one already quiet is left as it was.
func TestMemberSysctlsAreQuietedAndPutBack(t *testing.T) {
	netnstest.RequireRoot(t)
	a := newSide(t, "a", New)
	b := newSide(t, "b", New)
	connect(t, a, "loud", b, "loudb")
	connect(t, a, "hush", b, "hushb")
	const (
		arp = "/proc/sys/net/ipv4/conf/%s/arp_ignore"
		v6  = "/proc/sys/net/ipv6/conf/%s/disable_ipv6"
	)
	path := func(f, name string) string { return strings.Replace(f, "%s", name, 1) }
	a.setSysctl(path(arp, "loud"), "2")
	a.setSysctl(path(v6, "loud"), "0")
	a.setSysctl(path(arp, "hush"), "8")
	a.setSysctl(path(v6, "hush"), "1")
	require.NoError(t, a.h.CreateLAG(LAGConfig{Name: "lag", Static: true}))
	n, err := a.h.AddMembers([]Membership{{LAG: "lag", Port: "loud"}, {LAG: "lag", Port: "hush"}})
	require.NoError(t, err, "AddMembers")
	require.Equal(t, 2, n, "AddMembers: joined")
	for _, m := range []string{"loud", "hush"} {
		assert.Equal(t, "81", a.sysctl(path(arp, m))+a.sysctl(path(v6, m)), "%s while a member: arp_ignore, disable_ipv6, want 8 and 1", m)
	}
	require.NoError(t, a.h.RemoveMember("lag", "loud"))
	assert.Equal(t, "20", a.sysctl(path(arp, "loud"))+a.sysctl(path(v6, "loud")), "loud released: arp_ignore, disable_ipv6, want 2 and 0 as before")
	// Deleting the LAG releases hush, which was quiet before and stays so.
	require.NoError(t, a.h.DeleteLAG("lag"))
	assert.Equal(t, "81", a.sysctl(path(arp, "hush"))+a.sysctl(path(v6, "hush")), "hush released: arp_ignore, disable_ipv6, want 8 and 1 as before")
}
