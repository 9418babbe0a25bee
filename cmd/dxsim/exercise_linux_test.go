package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/dxapi"
	"github.com/dxsim/dxsim/sim/exercise"
	"github.com/dxsim/dxsim/topology"
	"github.com/dxsim/dxsim/topology/netnstest"
)

// TestShippedExercises runs every shipped exercise on a serve of its own
// (the built-in catalogue, the data plane the fault tests use): started,
// its checks do not all hold; solved by its reference solution, they do;
// stopped, the serve has none of what it made, no fault and no port, as
// before it started.
func TestShippedExercises(t *testing.T) {
	netnstest.RequireRoot(t)
	all, err := exercise.Shipped()
	require.NoError(t, err)
	for _, e := range all {
		t.Run(e.ID, func(t *testing.T) {
			if bgpExercises[e.ID] {
				netnstest.SkipOnKernelRun(t, "a BGP exercise: its faults and checks are dxsim's speakers', whatever the links")
			}
			t.Parallel()
			runExercise(t, e)
		})
	}
}

// bgpExercises are the shipped exercises about BGP alone.
var bgpExercises = map[string]bool{"bgp-wrong-asn": true, "bgp-wrong-md5": true, "too-many-prefixes": true, "prove-redundancy": true}

func runExercise(t *testing.T, e *exercise.Exercise) {
	prefix := randomServePrefix(t)
	t.Cleanup(func() {
		if _, err := topology.TeardownPrefix(prefix); err != nil {
			t.Errorf("removing %s-…: %v", prefix, err)
		}
	})
	cfg := serveCfg(t.TempDir(), prefix, "")
	cfg.dataplane = faultBackend(t)
	s := startServed(t, cfg)
	endpoint := "http://" + s.addr
	r := &exercise.Runner{
		AWS: &exercise.AWS{Endpoint: endpoint, Region: "us-east-1", Creds: aws.Credentials{AccessKeyID: "any", SecretAccessKey: "thing"}},
		DX:  dxapi.NewClient(endpoint), Dir: t.TempDir(), Out: &bytes.Buffer{},
	}
	ctx := context.Background()
	start := time.Now()
	sess, err := r.Start(ctx, e)
	require.NoError(t, err, "starting %s\n%s", e.ID, s.log())
	started := time.Since(start)
	rs := r.Check(ctx, e, sess)
	require.False(t, exercise.Solved(rs), "%s is solved as started: %+v", e.ID, rs)
	var failing []string
	for _, res := range rs {
		if !res.OK {
			failing = append(failing, res.Name+": "+res.Why)
		}
	}
	_, hint, err := r.Hint(e, sess)
	require.NoError(t, err)
	assert.NotContains(t, hint, "${", "a hint with a name left unbound")

	start = time.Now()
	require.NoError(t, r.Solve(ctx, e, sess), "solving %s\n%s", e.ID, s.log())
	solved := time.Since(start)
	rs = r.Check(ctx, e, sess)
	require.True(t, exercise.Solved(rs), "%s not solved by its reference solution: %+v", e.ID, rs)
	t.Logf("%s: set up in %s, failing %d of %d checks (%s); solved in %s", e.ID, started.Round(100*time.Millisecond),
		len(failing), len(rs), strings.Join(failing, "; "), solved.Round(100*time.Millisecond))

	require.NoError(t, r.Stop(ctx, sess), "stopping %s", e.ID)
	_, err = r.Session(e.ID)
	require.ErrorIs(t, err, exercise.ErrNotStarted)
	faults, err := r.DX.Faults(ctx)
	require.NoError(t, err)
	assert.Empty(t, faults, "faults left")
	require.Eventually(t, func() bool {
		st, err := r.DX.DataPlane(ctx)
		require.NoError(t, err)
		return len(st.Ports) == 0
	}, 30*time.Second, 100*time.Millisecond, "ports left on the data plane")
	c := dxClient(s.addr, "any", "thing")
	conns, err := c.DescribeConnections(ctx, nil)
	require.NoError(t, err)
	for _, con := range conns.Connections {
		assert.Equal(t, sim.StateDeleted, string(con.ConnectionState), "%s left", aws.ToString(con.ConnectionId))
	}
	lags, err := c.DescribeLags(ctx, nil)
	require.NoError(t, err)
	for _, l := range lags.Lags {
		assert.Equal(t, sim.StateDeleted, string(l.LagState), "%s left", aws.ToString(l.LagId))
	}
	vifs, err := c.DescribeVirtualInterfaces(ctx, nil)
	require.NoError(t, err)
	for _, v := range vifs.VirtualInterfaces {
		assert.Contains(t, []string{sim.StateDeleted, sim.StateDeleting}, string(v.VirtualInterfaceState), "%s left", aws.ToString(v.VirtualInterfaceId))
	}
}

// TestExerciseCLI: the commands a trainee types, on one exercise: list,
// start (the brief), check (exit 1, naming what fails), hint, solve (the
// checks, solved), stop.
func TestExerciseCLI(t *testing.T) {
	netnstest.RequireRoot(t)
	prefix := randomServePrefix(t)
	t.Cleanup(func() { _, _ = topology.TeardownPrefix(prefix) })
	cfg := serveCfg(t.TempDir(), prefix, "")
	cfg.dataplane = faultBackend(t)
	s := startServed(t, cfg)
	dir := t.TempDir()
	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		root := newRootCmd()
		root.SetArgs(append(args, "--endpoint", "http://"+s.addr, "--dir", dir))
		root.SetOut(&out)
		root.SetErr(&out)
		err := root.ExecuteContext(context.Background())
		return out.String(), err
	}
	var list bytes.Buffer
	root := newRootCmd()
	root.SetArgs([]string{"exercise", "list"})
	root.SetOut(&list)
	require.NoError(t, root.Execute())
	assert.Regexp(t, `(?m)^min-links-outage +One member lost for days$`, list.String())

	out, err := run("exercise", "start", "min-links-outage")
	require.NoError(t, err, out)
	assert.Contains(t, out, "A cross-connect of LAG dxlag-")
	assert.NotContains(t, out, "${")
	out, err = run("exercise", "check", "min-links-outage")
	require.Error(t, err)
	var q *quietError
	assert.ErrorAs(t, err, &q, "check's failure is its output")
	assert.Regexp(t, `FAIL  the LAG is available: dxlag-\w+ is down`, out)
	assert.Contains(t, out, "ok    the cut is still cut")
	out, err = run("exercise", "hint", "min-links-outage")
	require.NoError(t, err)
	assert.Equal(t, "hint 1 of 3: Why is a LAG with one healthy member down?\n", out)
	out, err = run("exercise", "solve", "min-links-outage")
	require.NoError(t, err, out)
	assert.Contains(t, out, "min-links-outage: solved")
	out, err = run("exercise", "check", "min-links-outage")
	require.NoError(t, err, out)
	out, err = run("exercise", "stop", "min-links-outage")
	require.NoError(t, err, out)
	assert.Regexp(t, `^min-links-outage stopped: removed (dx(con|lag)-\w+(, |\n)){3}$`, out)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, slices.DeleteFunc(entries, func(e os.DirEntry) bool { return filepath.Ext(e.Name()) != ".json" }), "the session is gone")
}

// TestExerciseChecksTellTheWrongWay: the checks see what the trainee's way
// did to the links, not only where they ended: raising minimum links before
// the new member carries traffic takes the LAG down, and a disassociate then
// an associate takes the moved connection down twice; both fail.
func TestExerciseChecksTellTheWrongWay(t *testing.T) {
	netnstest.RequireRoot(t)
	for id, wrong := range map[string]string{
		"grow-lag": `[{"op": "AssociateConnectionWithLag", "input": {"connectionId": "${c3}", "lagId": "${lag}"}},
			{"op": "UpdateLag", "input": {"lagId": "${lag}", "minimumLinks": 3}},
			{"sleep": "1s"},
			{"wait": {"name": "the LAG is back", "lag": "${lag}", "state": "available", "membersAvailable": 3, "minimumLinks": 3}, "within": "60s"}]`,
		"move-between-lags": `[{"op": "DisassociateConnectionFromLag", "input": {"connectionId": "${a2}", "lagId": "${old}"}},
			{"sleep": "1s"},
			{"wait": {"name": "standalone", "connection": "${a2}", "state": "available"}, "within": "60s"},
			{"op": "AssociateConnectionWithLag", "input": {"connectionId": "${a2}", "lagId": "${new}"}},
			{"sleep": "1s"},
			{"wait": {"name": "moved", "connection": "${a2}", "inLag": "${new}", "state": "available", "lacp": true}, "within": "60s"}]`,
	} {
		t.Run(id, func(t *testing.T) {
			t.Parallel()
			e, err := exercise.Find(id)
			require.NoError(t, err)
			w := *e
			w.Solution = nil
			require.NoError(t, json.Unmarshal([]byte(wrong), &w.Solution))
			prefix := randomServePrefix(t)
			t.Cleanup(func() { _, _ = topology.TeardownPrefix(prefix) })
			cfg := serveCfg(t.TempDir(), prefix, "")
			cfg.dataplane = faultBackend(t)
			s := startServed(t, cfg)
			endpoint := "http://" + s.addr
			r := &exercise.Runner{AWS: &exercise.AWS{Endpoint: endpoint, Region: "us-east-1", Creds: aws.Credentials{AccessKeyID: "a", SecretAccessKey: "b"}},
				DX: dxapi.NewClient(endpoint), Dir: t.TempDir()}
			ctx := context.Background()
			sess, err := r.Start(ctx, &w)
			require.NoError(t, err)
			require.NoError(t, r.Solve(ctx, &w, sess))
			rs := r.Check(ctx, &w, sess)
			var failed []exercise.Result
			for _, res := range rs {
				if !res.OK {
					failed = append(failed, res)
				}
			}
			require.Len(t, failed, 1, "only the check on the way it was done fails: %+v", rs)
			t.Logf("%s done the wrong way: %s: %s", id, failed[0].Name, failed[0].Why)
			require.NoError(t, r.Stop(ctx, sess))
		})
	}
}
