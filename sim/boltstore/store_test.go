package boltstore

import (
	"reflect"
	"testing"
	"time"

	"github.com/dxsim/dxsim/sim"
)

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	c := &sim.Connection{ID: "dxcon-aaaaaaaa", Kind: sim.KindDedicated, Owner: "1", State: sim.StateAvailable, LAGID: "dxlag-bbbbbbbb", Since: now, Transitioning: true,
		Tags: []sim.Tag{{Key: "k", Value: "v"}}, MACsecKeys: []sim.MACsecKey{{SecretARN: "arn", CKN: "ckn", State: "associated"}}}
	l := &sim.LAG{ID: "dxlag-bbbbbbbb", Owner: "1", State: sim.StateDown, MinimumLinks: 2, Since: now}
	v := &sim.VIF{ID: "dxvif-cccccccc", ConnectionID: l.ID, VLAN: 7, ASN: 4200000000, Since: now}
	gone := &sim.Connection{ID: "dxcon-dddddddd", Since: now}
	if err := s.Commit(sim.Batch{Connections: []*sim.Connection{c, gone}, LAGs: []*sim.LAG{l}, VIFs: []*sim.VIF{v}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(sim.Batch{Deleted: []string{gone.ID}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Connections) != 1 || !reflect.DeepEqual(st.Connections[c.ID], c) {
		t.Errorf("connections: %+v", st.Connections)
	}
	if !reflect.DeepEqual(st.LAGs[l.ID], l) || !reflect.DeepEqual(st.VIFs[v.ID], v) {
		t.Errorf("LAG %+v, VIF %+v", st.LAGs[l.ID], st.VIFs[v.ID])
	}
}

func TestSecondOpenRefused(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s2, err := Open(dir); err == nil {
		s2.Close()
		t.Fatal("a second process could open the same state")
	}
}
