package dxapi

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology/observe"
)

// fakeStates and fakeObs hand out one subscription each, fed by the test.
type fakeStates struct {
	ch   chan sim.StateChange
	subd chan struct{}
}

func (f *fakeStates) Subscribe(int) (<-chan sim.StateChange, func()) {
	close(f.subd)
	return f.ch, func() {}
}

type fakeObs struct {
	ch      chan observe.Update
	mu      sync.Mutex
	reports map[string]*observe.Report
}

func (f *fakeObs) Subscribe(int) (<-chan observe.Update, func()) { return f.ch, func() {} }

func (f *fakeObs) Report(id string) (*observe.Report, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.reports[id]
	return r, ok
}

func newTestServer(t *testing.T) (*httptest.Server, *fakeStates, *fakeObs) {
	t.Helper()
	st := &fakeStates{ch: make(chan sim.StateChange, 8), subd: make(chan struct{})}
	ob := &fakeObs{ch: make(chan observe.Update, 8), reports: map[string]*observe.Report{}}
	mux := http.NewServeMux()
	New(st, ob, nil).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, st, ob
}

func TestInterruption(t *testing.T) {
	srv, _, ob := newTestServer(t)
	v := 2012.5
	ob.reports["dxcon-abcd1234"] = &observe.Report{Op: "associate", ConnectionID: "dxcon-abcd1234", LAGID: "dxlag-abcd1234",
		InterruptionMS: &v, Milestones: []observe.Milestone{{Name: observe.MilestoneRequested}}}
	for _, tc := range []struct {
		path string
		code int
	}{
		{"/dxsim/v1/interruptions/dxcon-abcd1234", http.StatusOK},
		{"/dxsim/v1/interruptions/dxcon-zzzz9999", http.StatusNotFound},
		{"/dxsim/v1/interruptions/not-an-id", http.StatusBadRequest},
		{"/dxsim/v1/nothing", http.StatusNotFound},
	} {
		resp, err := http.Get(srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != tc.code {
			t.Fatalf("%s: %d (%v), want %d", tc.path, resp.StatusCode, err, tc.code)
		}
		if tc.code == http.StatusOK {
			if body["interruption_ms"] != 2012.5 || body["connectionId"] != "dxcon-abcd1234" {
				t.Fatalf("body %v", body)
			}
			continue
		}
		if body["message"] == "" {
			t.Fatalf("%s: no message: %v", tc.path, body)
		}
	}
}

func TestEventsStream(t *testing.T) {
	srv, st, ob := newTestServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/dxsim/v1/events?id=dxcon-abcd1234", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/x-ndjson" {
		t.Fatalf("content type %q", ct)
	}
	<-st.subd
	now := time.Unix(1_700_000_000, 0).UTC()
	st.ch <- sim.StateChange{Time: now, ID: "dxcon-other000", From: "available", To: "down"} // filtered out
	st.ch <- sim.StateChange{Time: now, ID: "dxcon-abcd1234", From: "available", To: "down"}
	ob.ch <- observe.Update{ConnectionID: "dxcon-abcd1234", Op: "associate", Milestone: &observe.Milestone{Name: observe.MilestoneDXPortDown, TMS: 3.5, Time: now}}
	ob.ch <- observe.Update{ConnectionID: "dxcon-abcd1234", Op: "associate", Report: &observe.Report{ConnectionID: "dxcon-abcd1234"}}

	sc := bufio.NewScanner(resp.Body)
	var got []Event
	for len(got) < 3 && sc.Scan() {
		var e Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		got = append(got, e)
	}
	if len(got) != 3 {
		t.Fatalf("got %d events: %v", len(got), sc.Err())
	}
	// The state and observer channels are read by one select: events of
	// the two sources may interleave.
	kinds := map[string]Event{}
	for _, e := range got {
		kinds[e.Type] = e
	}
	if s := kinds[TypeState]; s.ID != "dxcon-abcd1234" || s.To != "down" {
		t.Errorf("state event %+v", s)
	}
	if m := kinds[TypeMilestone]; m.Milestone != observe.MilestoneDXPortDown || m.TMS == nil || *m.TMS != 3.5 {
		t.Errorf("milestone event %+v", m)
	}
	if r := kinds[TypeInterruption]; r.Report == nil || r.Report.ConnectionID != "dxcon-abcd1234" {
		t.Errorf("interruption event %+v", r)
	}
}
