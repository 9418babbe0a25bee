package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	dx "github.com/aws/aws-sdk-go-v2/service/directconnect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netns"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/dxapi"
	"github.com/dxsim/dxsim/topology"
	"github.com/dxsim/dxsim/topology/netnstest"
)

// TestAssociateAgainstServe runs dxsim serve on the userspace engine, builds
// a LAG and a standalone connection through the AWS SDK, and checks that
// `dxsim associate` prints the milestones and summary, `dxsim watch` sees the
// API report down then available and the report, and /dxsim/v1/interruptions
// serves it, the same after serve restarts.
func TestAssociateAgainstServe(t *testing.T) {
	netnstest.RequireRoot(t)
	before := hostLinks(t)
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	device := "EqDC2-e2e" + hex.EncodeToString(b)
	awsNS, custNS := topology.Namespaces(topology.DefaultPrefix, device)
	t.Cleanup(func() {
		_ = netns.DeleteNamed(awsNS)
		_ = netns.DeleteNamed(custNS)
		checkNothingLeft(t, awsNS, before)
		checkNothingLeft(t, custNS, before)
	})

	dir := t.TempDir()
	cat := filepath.Join(dir, "catalogue.json")
	if err := os.WriteFile(cat, fmt.Appendf(nil, `{"locations":[{"locationCode":"EqDC2","locationName":"lab","region":"us-east-1",
		"availablePortSpeeds":["10Gbps"],"devices":[%q,%q]}]}`, device, device), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	ctx := context.Background()
	addr, stopServe := startUserspaceServe(t, dir, cat, &logs)
	defer func() { stopServe() }() // the one running then
	f := clientFlags{endpoint: "http://" + addr, region: "us-east-1"}
	client := f.directConnect()

	lag, err := client.CreateLag(ctx, &dx.CreateLagInput{NumberOfConnections: 2, Location: aws.String("EqDC2"),
		ConnectionsBandwidth: aws.String("10Gbps"), LagName: aws.String("e2e")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.UpdateLag(ctx, &dx.UpdateLagInput{LagId: lag.LagId, MinimumLinks: 1}); err != nil {
		t.Fatal(err)
	}
	conn, err := client.CreateConnection(ctx, &dx.CreateConnectionInput{Location: aws.String("EqDC2"),
		Bandwidth: aws.String("10Gbps"), ConnectionName: aws.String("e2e-standalone")})
	if err != nil {
		t.Fatal(err)
	}
	waitAvailable(t, ctx, client)

	// watch, in the background, from before the association.
	var (
		watchMu sync.Mutex
		watched []dxapi.Event
	)
	watchCtx, stopWatch := context.WithCancel(ctx)
	watching, watchDone := make(chan struct{}), make(chan error, 1)
	go func() {
		watchDone <- f.events(watchCtx, "", func() { close(watching) }, func(e dxapi.Event, _ []byte) bool {
			watchMu.Lock()
			defer watchMu.Unlock()
			watched = append(watched, e)
			return true
		})
	}()
	<-watching

	var out bytes.Buffer
	actx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := runAssociate(actx, &out, f, *conn.ConnectionId, *lag.LagId, false); err != nil {
		t.Fatalf("associate: %v\n%s\nserve log:\n%s", err, out.String(), logs.String())
	}
	t.Logf("dxsim associate:\n%s", out.String())
	for _, want := range []string{sim.MilestoneDXPortDown, sim.MilestoneLACPConverged, sim.MilestoneProbeRestored,
		"interruption", "probe outage", ".pcapng"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("associate printed no %q", want)
		}
	}

	resp, err := http.Get(f.endpoint + "/dxsim/v1/interruptions/" + *conn.ConnectionId)
	if err != nil {
		t.Fatal(err)
	}
	var rep sim.Interruption
	err = json.NewDecoder(resp.Body).Decode(&rep)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("interruption report: %d %v", resp.StatusCode, err)
	}
	checkMilestones(t, &rep)
	if rep.Backend != "userspace" {
		t.Errorf("report: backend %q, want userspace", rep.Backend)
	}
	checkAgree(t, &rep)

	// The watcher saw the connection go down, then available, and the report.
	deadline := time.Now().Add(10 * time.Second)
	for {
		watchMu.Lock()
		var states []string
		report := false
		for _, e := range watched {
			if e.ID != *conn.ConnectionId {
				continue
			}
			if e.Type == dxapi.TypeState {
				states = append(states, e.To)
			}
			report = report || e.Type == dxapi.TypeInterruption
		}
		watchMu.Unlock()
		i := slices.Index(states, "down")
		if i >= 0 && slices.Contains(states[i:], "available") && report {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("watch saw states %v, report %v", states, report)
		}
		time.Sleep(20 * time.Millisecond)
	}
	stopWatch()
	<-watchDone

	// The report is in the state: a restarted serve answers the same.
	stopServe()
	addr, stopServe = startUserspaceServe(t, dir, cat, &logs)
	resp, err = http.Get("http://" + addr + "/dxsim/v1/interruptions/" + *conn.ConnectionId)
	require.NoError(t, err)
	var kept sim.Interruption
	err = json.NewDecoder(resp.Body).Decode(&kept)
	resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "the report after a restart")
	assert.Equal(t, rep.Op, kept.Op)
	assert.True(t, rep.Requested.Equal(kept.Requested), "requested %v, kept %v", rep.Requested, kept.Requested)
	assert.Equal(t, rep.Pcap, kept.Pcap)
	assert.FileExists(t, kept.Pcap)
	assert.Equal(t, rep.InterruptionMS, kept.InterruptionMS)
	assert.Len(t, kept.Milestones, len(rep.Milestones))
}

// startServe runs dxsim serve on the userspace engine with its state under
// dir; stop stops it and checks it ended well.
func startUserspaceServe(t *testing.T, dir, cat string, logs *bytes.Buffer) (addr string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrc, served := make(chan string, 1), make(chan error, 1)
	go func() {
		served <- runServe(ctx, serveConfig{listen: "127.0.0.1:0", state: filepath.Join(dir, "state"), dataplane: "userspace",
			auth: "none", region: "us-east-1", catalogue: cat, logLevel: "warn"}, &lockedWriter{w: logs}, func(a string) { addrc <- a })
	}()
	select {
	case addr = <-addrc:
	case err := <-served:
		cancel()
		require.FailNow(t, "serve", "%v", err)
	}
	var once sync.Once
	return addr, func() {
		once.Do(func() {
			cancel()
			assert.NoError(t, <-served, "serve")
		})
	}
}

// waitAvailable waits until every connection is available.
func waitAvailable(t *testing.T, ctx context.Context, c *dx.Client) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		out, err := c.DescribeConnections(ctx, &dx.DescribeConnectionsInput{})
		if err != nil {
			t.Fatal(err)
		}
		ready := len(out.Connections) == 3
		for _, c := range out.Connections {
			ready = ready && c.ConnectionState == "available"
		}
		if ready {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the connections never became available")
}
