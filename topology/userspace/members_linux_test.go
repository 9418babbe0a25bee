package userspace

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/dxsim/dxsim/lacp/capture/afpacket"
	"github.com/dxsim/dxsim/topology/netnstest"
)

// sysctl reads one of a member's sysctls in s's namespace.
func (s *side) sysctl(path string) string {
	s.t.Helper()
	var v []byte
	err := afpacket.InNamespace(s.ns, func() (err error) {
		v, err = os.ReadFile(path)
		return err
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return strings.TrimSpace(string(v))
}

func (s *side) setSysctl(path, v string) {
	s.t.Helper()
	if err := afpacket.InNamespace(s.ns, func() error { return os.WriteFile(path, []byte(v), 0) }); err != nil {
		s.t.Fatal(err)
	}
}

func TestAddMembersStopsAtTheFirstFailure(t *testing.T) {
	netnstest.RequireRoot(t)
	a := newSide(t, "a", New)
	b := newSide(t, "b", New)
	for _, p := range []string{"m1", "m2", "m3", "m4"} {
		connect(t, a, p, b, p+"b")
	}
	for _, lag := range []string{"lag1", "lag2"} {
		if err := a.h.CreateLAG(LAGConfig{Name: lag, Static: true}); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.h.AddMember("lag2", "m4"); err != nil {
		t.Fatal(err)
	}

	// m1 and m2 join; "gone" does not exist, so m3 after it is not tried.
	n, err := a.h.AddMembers([]Membership{
		{LAG: "lag1", Port: "m1"}, {LAG: "lag1", Port: "m2"}, {LAG: "lag1", Port: "gone"}, {LAG: "lag1", Port: "m3"},
	})
	if n != 2 || !errors.Is(err, ErrNotFound) {
		t.Fatalf("AddMembers = %d, %v; want 2 and ErrNotFound", n, err)
	}
	members := func(lag string) []string {
		t.Helper()
		st, err := a.h.LAGStatus(lag)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, m := range st.Members {
			names = append(names, m.Name)
		}
		return names
	}
	if got := strings.Join(members("lag1"), ","); got != "m1,m2" {
		t.Fatalf("lag1 members = %s, want m1,m2", got)
	}
	// Members already, on either side of a failure, count only before it.
	n, err = a.h.AddMembers([]Membership{{LAG: "lag1", Port: "m1"}, {LAG: "lag1", Port: "gone"}, {LAG: "lag1", Port: "m2"}})
	if n != 1 || !errors.Is(err, ErrNotFound) {
		t.Fatalf("AddMembers(m1, gone, m2) = %d, %v; want 1 and ErrNotFound", n, err)
	}
	// m3 was not left claimed: it can join now. m1 again is not an error.
	if n, err := a.h.AddMembers([]Membership{{LAG: "lag1", Port: "m1"}, {LAG: "lag1", Port: "m3"}}); n != 2 || err != nil {
		t.Fatalf("AddMembers(m1 again, m3) = %d, %v", n, err)
	}
	// A port in another LAG, or an unknown LAG, stops the batch there.
	n, err = a.h.AddMembers([]Membership{{LAG: "lag1", Port: "m4"}})
	if n != 0 || !errors.Is(err, ErrInUse) {
		t.Fatalf("AddMembers(m4 of lag2) = %d, %v; want 0 and ErrInUse", n, err)
	}
	n, err = a.h.AddMembers([]Membership{{LAG: "nolag", Port: "m4"}})
	if n != 0 || !errors.Is(err, ErrNotFound) {
		t.Fatalf("AddMembers(unknown LAG) = %d, %v; want 0 and ErrNotFound", n, err)
	}
	if got := strings.Join(members("lag1"), ","); got != "m1,m2,m3" {
		t.Fatalf("lag1 members = %s, want m1,m2,m3", got)
	}

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
	if n != listAbove || !errors.Is(err, ErrNotFound) {
		t.Fatalf("AddMembers(%d with one missing) = %d, %v; want %d and ErrNotFound", len(batch), n, err, listAbove)
	}
	if got := len(members("lag2")); got != listAbove+1 {
		t.Fatalf("lag2 has %d members, want %d", got, listAbove+1)
	}
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
	if err := a.h.CreateLAG(LAGConfig{Name: "lag", Static: true}); err != nil {
		t.Fatal(err)
	}
	if n, err := a.h.AddMembers([]Membership{{LAG: "lag", Port: "loud"}, {LAG: "lag", Port: "hush"}}); n != 2 || err != nil {
		t.Fatalf("AddMembers = %d, %v", n, err)
	}
	for _, m := range []string{"loud", "hush"} {
		if got := a.sysctl(path(arp, m)) + a.sysctl(path(v6, m)); got != "81" {
			t.Errorf("%s while a member: arp_ignore, disable_ipv6 = %s, want 8 and 1", m, got)
		}
	}
	if err := a.h.RemoveMember("lag", "loud"); err != nil {
		t.Fatal(err)
	}
	if got := a.sysctl(path(arp, "loud")) + a.sysctl(path(v6, "loud")); got != "20" {
		t.Errorf("loud released: arp_ignore, disable_ipv6 = %s, want 2 and 0 as before", got)
	}
	// Deleting the LAG releases hush, which was quiet before and stays so.
	if err := a.h.DeleteLAG("lag"); err != nil {
		t.Fatal(err)
	}
	if got := a.sysctl(path(arp, "hush")) + a.sysctl(path(v6, "hush")); got != "81" {
		t.Errorf("hush released: arp_ignore, disable_ipv6 = %s, want 8 and 1 as before", got)
	}
}
