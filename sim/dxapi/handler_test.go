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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
)

// fakeStates and fakeObs hand out one subscription each, fed by the test;
// fakeStates keeps the reports a restart would find in the state.
type fakeStates struct {
	ch      chan sim.StateChange
	subd    chan struct{}
	reports map[string]*sim.Interruption
}

func (f *fakeStates) Subscribe(int) (<-chan sim.StateChange, func()) {
	close(f.subd)
	return f.ch, func() {}
}

func (f *fakeStates) Interruption(id string) (*sim.Interruption, bool) {
	r, ok := f.reports[id]
	return r, ok
}

type fakeObs struct {
	ch      chan sim.InterruptionUpdate
	mu      sync.Mutex
	reports map[string]*sim.Interruption
}

func (f *fakeObs) Subscribe(int) (<-chan sim.InterruptionUpdate, func()) { return f.ch, func() {} }

func (f *fakeObs) Report(id string) (*sim.Interruption, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.reports[id]
	return r, ok
}

func (f *fakeObs) FailoverReport(id string) (*sim.FailoverReport, bool) {
	if id != "82c92f86-414d-408d-a173-85ed30ea93a9" {
		return nil, false
	}
	lost := 2.0
	return &sim.FailoverReport{TestID: id, VIFID: "dxvif-abcd1234", Done: true, Failover: &sim.RoutedProbe{OutageMS: &lost, Lost: 2}}, true
}

// TestFailoverTest: a failover test's report by its ID; an unknown one is
// a 404 and a malformed one a 400, each naming the problem.
func TestFailoverTest(t *testing.T) {
	t.Parallel()
	srv, _, _ := newTestServer(t)
	for _, tc := range []struct {
		path string
		code int
	}{
		{"/dxsim/v1/failover-tests/82c92f86-414d-408d-a173-85ed30ea93a9", http.StatusOK},
		{"/dxsim/v1/failover-tests/00000000-414d-408d-a173-85ed30ea93a9", http.StatusNotFound},
		{"/dxsim/v1/failover-tests/not_a_test", http.StatusBadRequest},
	} {
		resp, err := http.Get(srv.URL + tc.path)
		require.NoError(t, err)
		var body map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
		resp.Body.Close()
		require.Equal(t, tc.code, resp.StatusCode, tc.path)
		if tc.code != http.StatusOK {
			assert.NotEmpty(t, body["message"], "an error names the problem")
			continue
		}
		assert.Equal(t, "dxvif-abcd1234", body["vifId"])
		assert.Equal(t, 2.0, body["failover"].(map[string]any)["outage_ms"])
	}
}

func newTestServer(t *testing.T) (*httptest.Server, *fakeStates, *fakeObs) {
	t.Helper()
	st := &fakeStates{ch: make(chan sim.StateChange, 8), subd: make(chan struct{}), reports: map[string]*sim.Interruption{}}
	ob := &fakeObs{ch: make(chan sim.InterruptionUpdate, 8), reports: map[string]*sim.Interruption{}}
	mux := http.NewServeMux()
	New(st, ob, nil).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, st, ob
}

func TestInterruption(t *testing.T) {
	t.Parallel()
	srv, st, ob := newTestServer(t)
	fresh, kept := 2012.5, 8310.0
	ob.reports["dxcon-abcd1234"] = &sim.Interruption{Op: sim.OpAssociate, ConnectionID: "dxcon-abcd1234", LAGID: "dxlag-abcd1234",
		InterruptionMS: &fresh, Milestones: []sim.Milestone{{Name: sim.MilestoneRequested}}}
	// Only in the state: observed before a restart.
	st.reports["dxcon-efgh5678"] = &sim.Interruption{Op: sim.OpDisassociate, ConnectionID: "dxcon-efgh5678", InterruptionMS: &kept}
	for _, tc := range []struct {
		path   string
		code   int
		ms     float64
		connID string
		op     string
	}{
		{"/dxsim/v1/interruptions/dxcon-abcd1234", http.StatusOK, fresh, "dxcon-abcd1234", "associate"},
		{"/dxsim/v1/interruptions/dxcon-efgh5678", http.StatusOK, kept, "dxcon-efgh5678", "disassociate"},
		{"/dxsim/v1/interruptions/dxcon-zzzz9999", http.StatusNotFound, 0, "", ""},
		{"/dxsim/v1/interruptions/not-an-id", http.StatusBadRequest, 0, "", ""},
		{"/dxsim/v1/nothing", http.StatusNotFound, 0, "", ""},
	} {
		t.Run(tc.path, func(t *testing.T) {
			resp, err := http.Get(srv.URL + tc.path)
			require.NoError(t, err)
			defer resp.Body.Close()
			var body map[string]any
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
			require.Equal(t, tc.code, resp.StatusCode)
			if tc.code != http.StatusOK {
				assert.NotEmpty(t, body["message"], "an error names the problem")
				return
			}
			assert.Equal(t, tc.ms, body["interruption_ms"])
			assert.Equal(t, tc.connID, body["connectionId"])
			assert.Equal(t, tc.op, body["op"], "the operation is named, not numbered")
		})
	}
}

func TestEventsStream(t *testing.T) {
	t.Parallel()
	srv, st, ob := newTestServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/dxsim/v1/events?id=dxcon-abcd1234", nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, "application/x-ndjson", resp.Header.Get("Content-Type"))
	<-st.subd
	now := time.Unix(1_700_000_000, 0).UTC()
	st.ch <- sim.StateChange{Time: now, ID: "dxcon-other000", From: "available", To: "down"} // filtered out
	st.ch <- sim.StateChange{Time: now, ID: "dxcon-abcd1234", From: "available", To: "down"}
	ob.ch <- sim.InterruptionUpdate{ConnectionID: "dxcon-abcd1234", Op: sim.OpAssociate, Milestone: &sim.Milestone{Name: sim.MilestoneDXPortDown, TMS: 3.5, Time: now}}
	ob.ch <- sim.InterruptionUpdate{ConnectionID: "dxcon-abcd1234", Op: sim.OpAssociate, Report: &sim.Interruption{ConnectionID: "dxcon-abcd1234"}}

	sc := bufio.NewScanner(resp.Body)
	var got []Event
	var lines []string
	for len(got) < 3 && sc.Scan() {
		var e Event
		require.NoError(t, json.Unmarshal(sc.Bytes(), &e), "line %q", sc.Text())
		got = append(got, e)
		lines = append(lines, sc.Text())
	}
	require.Len(t, got, 3, "scanner: %v", sc.Err())
	// The state and observer channels are read by one select: events of
	// the two sources may interleave.
	kinds := map[string]Event{}
	for _, e := range got {
		kinds[e.Type] = e
	}
	s := kinds[TypeState]
	assert.Equal(t, "dxcon-abcd1234", s.ID)
	assert.Equal(t, "down", s.To)
	m := kinds[TypeMilestone]
	assert.Equal(t, sim.MilestoneDXPortDown, m.Milestone)
	assert.Equal(t, sim.OpAssociate, m.Op)
	require.NotNil(t, m.TMS)
	assert.InDelta(t, 3.5, *m.TMS, 0)
	r := kinds[TypeInterruption]
	require.NotNil(t, r.Report)
	assert.Equal(t, "dxcon-abcd1234", r.Report.ConnectionID)
	assert.Contains(t, lines[0]+lines[1]+lines[2], `"op":"associate"`)
}

// TestEventsCarryBGPSessions: with a control plane that has BGP session
// reports, the stream carries them, filtered by VIF.
func TestEventsCarryBGPSessions(t *testing.T) {
	t.Parallel()
	svc, err := sim.New(sim.Config{})
	require.NoError(t, err)
	defer svc.Close()
	srv := httptest.NewServer(New(svc, nil, nil))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// A session known before the stream opens is its first line.
	svc.SetBGPSession(sim.BGPSession{VIFID: "dxvif-ffffffff", PeerID: "dxpeer-ffffffff", State: "active"})
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+Prefix+"events?id=dxvif-ffffffff", nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	require.True(t, lines.Scan(), "a line: %v", lines.Err())
	var first Event
	require.NoError(t, json.Unmarshal(lines.Bytes(), &first))
	assert.Equal(t, "active", first.BGPState, "the session as it was")
	// The headers are written after the stream subscribes: reports from
	// now on reach it.
	svc.SetBGPSession(sim.BGPSession{VIFID: "dxvif-eeeeeeee", PeerID: "dxpeer-eeeeeeee", State: "established"})
	svc.SetBGPSession(sim.BGPSession{VIFID: "dxvif-ffffffff", PeerID: "dxpeer-ffffffff", State: "established", Prefixes: 7})
	require.True(t, lines.Scan(), "a line: %v", lines.Err())
	var e Event
	require.NoError(t, json.Unmarshal(lines.Bytes(), &e))
	assert.Equal(t, TypeBGP, e.Type)
	assert.Equal(t, "dxvif-ffffffff", e.ID, "only the VIF asked for")
	assert.Equal(t, "dxpeer-ffffffff", e.BGPPeer)
	assert.Equal(t, "established", e.BGPState)
	require.NotNil(t, e.Prefixes)
	assert.Equal(t, uint64(7), *e.Prefixes)
}
