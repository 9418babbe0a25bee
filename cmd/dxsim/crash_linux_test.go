package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/directconnect"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/topology"
	"github.com/dxsim/dxsim/topology/netnstest"
)

// crashBound is how long a restarted serve may take to show a connection
// available again.
const crashBound = 30 * time.Second

// TestServeSurvivesSIGKILL kills `dxsim serve --dataplane userspace` with
// SIGKILL a few milliseconds into an associate, a disassociate and a move of
// a member to another LAG, restarts it on the same state, and checks that the
// connection ends available in the LAG it was in before or the one it was
// asked to join (never transitioning for good), that the kernel agrees (the
// port is an up veth in both of the device's namespaces, and LACPDUs saying
// collecting and distributing cross it exactly when the API says it is a
// member), and that a further associate or disassociate is accepted.
func TestServeSurvivesSIGKILL(t *testing.T) {
	netnstest.RequireRoot(t)
	if os.Getenv("DXSIM_EMULATED_CPU") == "1" {
		// Kill points a millisecond apart mean nothing on an emulated CPU,
		// and the test drives the userspace data plane, which the host run
		// (root in CI) already covers.
		t.Skip("emulated CPU (scripts/vmtest without acceleration): the SIGKILL timings need a real one; the host run covers this test")
	}
	if _, err := topology.ProbeFeatures(); err != nil {
		netnstest.Skip(t, "cannot probe the kernel: "+err.Error())
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	prefix := "dxsimcrash" + hex.EncodeToString(b[:])
	dir := t.TempDir()
	bin := crashBuildDxsim(t, dir)
	state := filepath.Join(dir, "state")
	// The standard's timers: the test is about recovery, and with Linux's
	// each case's move into a new LAG would wait out its 8 s selection
	// timer.
	args := []string{"--dataplane", "userspace", "--lacp-timers", "802.1ax", "--state", state, "--listen", "127.0.0.1:0", "--prefix", prefix, "--log-level", "info"}
	logs := &crashLog{}
	var cur *crashServe
	run := 0
	start := func() *directconnect.Client {
		t.Helper()
		run++
		cur = crashStartServe(t, bin, args, run, logs)
		return dxClient(cur.addr, "any", "thing")
	}
	t.Cleanup(func() {
		if cur != nil {
			cur.kill()
		}
		if t.Failed() {
			t.Logf("serve logs:\n%s", logs)
		}
		// The prefix is this test's alone: every namespace with it is ours.
		if _, err := topology.TeardownPrefix(prefix); err != nil {
			t.Errorf("teardown of %s: %v", prefix, err)
		}
		assert.Empty(t, crashNamespaces(prefix+"-"), "namespaces left behind")
	})

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dx := start()

	// LAG1 with one member, then LAG2 and a standalone connection on the
	// same device: a location places new objects on its devices in turn.
	const loc = "CSVA1"
	lag1, err := dx.CreateLag(ctx, &directconnect.CreateLagInput{Location: aws.String(loc), ConnectionsBandwidth: aws.String("10Gbps"),
		LagName: aws.String("crash-1"), NumberOfConnections: 1})
	require.NoError(t, err)
	device, lag1ID := aws.ToString(lag1.AwsDevice), aws.ToString(lag1.LagId)
	require.Len(t, lag1.Connections, 1)
	m1 := aws.ToString(lag1.Connections[0].ConnectionId)
	var lag2ID, m2, sa string
	for i := 0; lag2ID == "" && i < 10; i++ {
		l, err := dx.CreateLag(ctx, &directconnect.CreateLagInput{Location: aws.String(loc), ConnectionsBandwidth: aws.String("10Gbps"),
			LagName: aws.String("crash-2"), NumberOfConnections: 1})
		require.NoError(t, err)
		if aws.ToString(l.AwsDevice) == device {
			lag2ID, m2 = aws.ToString(l.LagId), aws.ToString(l.Connections[0].ConnectionId)
			continue
		}
		for _, c := range l.Connections {
			_, err := dx.DeleteConnection(ctx, &directconnect.DeleteConnectionInput{ConnectionId: c.ConnectionId})
			require.NoError(t, err)
		}
		_, err = dx.DeleteLag(ctx, &directconnect.DeleteLagInput{LagId: l.LagId})
		require.NoError(t, err)
	}
	require.NotEmpty(t, lag2ID, "no second LAG landed on %s", device)
	for i := 0; sa == "" && i < 10; i++ {
		c, err := dx.CreateConnection(ctx, &directconnect.CreateConnectionInput{Location: aws.String(loc), Bandwidth: aws.String("10Gbps"),
			ConnectionName: aws.String("crash-standalone")})
		require.NoError(t, err)
		if aws.ToString(c.AwsDevice) == device {
			sa = aws.ToString(c.ConnectionId)
			continue
		}
		_, err = dx.DeleteConnection(ctx, &directconnect.DeleteConnectionInput{ConnectionId: c.ConnectionId})
		require.NoError(t, err)
	}
	require.NotEmpty(t, sa, "no standalone connection landed on %s", device)
	awsNS, custNS := topology.Namespaces(prefix, device)
	t.Logf("device %s: LAG1 %s (member %s), LAG2 %s (member %s), standalone %s", device, lag1ID, m1, lag2ID, m2, sa)
	home := map[string]string{m1: lag1ID, m2: lag2ID, sa: ""} // the starting position
	t0 := time.Now()
	crashWaitHome(ctx, t, dx, home)
	t.Logf("setup available after %v", time.Since(t0).Round(time.Millisecond))

	type operation struct {
		name          string
		conn          string
		before, after string // the connection's LAG: "" for standalone
		do            func(context.Context, *directconnect.Client) error
	}
	assoc := func(conn, lag string) func(context.Context, *directconnect.Client) error {
		return func(ctx context.Context, c *directconnect.Client) error {
			_, err := c.AssociateConnectionWithLag(ctx, &directconnect.AssociateConnectionWithLagInput{ConnectionId: aws.String(conn), LagId: aws.String(lag)})
			return err
		}
	}
	disassoc := func(conn, lag string) func(context.Context, *directconnect.Client) error {
		return func(ctx context.Context, c *directconnect.Client) error {
			_, err := c.DisassociateConnectionFromLag(ctx, &directconnect.DisassociateConnectionFromLagInput{ConnectionId: aws.String(conn), LagId: aws.String(lag)})
			return err
		}
	}
	ops := []operation{
		{name: "associate standalone→LAG1", conn: sa, before: "", after: lag1ID, do: assoc(sa, lag1ID)},
		{name: "disassociate LAG1→standalone", conn: m1, before: lag1ID, after: "", do: disassoc(m1, lag1ID)},
		{name: "move LAG1→LAG2", conn: m1, before: lag1ID, after: lag2ID, do: assoc(m1, lag2ID)},
	}
	delays := []time.Duration{0, time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond, 20 * time.Millisecond}

	type result struct {
		op        string
		delay     time.Duration
		answer    string
		happened  bool
		serving   time.Duration // restart → the API answers (recovery done)
		available time.Duration // restart → every connection available
	}
	var results []result
	for _, op := range ops {
		for _, delay := range delays {
			name := fmt.Sprintf("%s/%v", op.name, delay)
			// The request runs on its own; its answer, if any, is kept.
			answer := make(chan error, 1)
			reqCtx, reqCancel := context.WithTimeout(ctx, 20*time.Second)
			go func() { answer <- op.do(reqCtx, dx) }()
			time.Sleep(delay)
			cur.kill()
			err := <-answer
			reqCancel()
			r := result{op: op.name, delay: delay, answer: crashDescribeAnswer(err)}
			var re *smithyhttp.ResponseError
			if errors.As(err, &re) {
				// The server answered before it died: only success or a
				// client error is acceptable, never a 5xx.
				require.Less(t, re.HTTPStatusCode(), 500, "%s: a server error: %v", name, err)
			}

			restarted := time.Now()
			dx = start()
			r.serving = cur.serving.Sub(restarted)
			lagID := crashWaitSettled(ctx, t, dx, name, op.conn, op.before, op.after)
			r.happened = lagID == op.after
			pos := map[string]string{}
			for c, l := range home {
				pos[c] = l
			}
			pos[op.conn] = lagID
			crashWaitHome(ctx, t, dx, pos)
			r.available = time.Since(restarted)
			if err == nil {
				assert.True(t, r.happened, "%s: the request was acknowledged, yet the connection is in %q", name, lagID)
			}
			crashCheckKernel(ctx, t, name, awsNS, custNS, op.conn, pos, []string{lag1ID, lag2ID})

			// Back to the starting position: a round trip that a connection
			// left transitioning would refuse.
			if !r.happened {
				// Nothing happened: the operation itself must now be accepted,
				// and then undone.
				require.NoError(t, op.do(ctx, dx), "%s: the operation after the restart", name)
				pos[op.conn] = op.after
				crashWaitHome(ctx, t, dx, pos)
			}
			undo := assoc(op.conn, op.before)
			if op.before == "" {
				undo = disassoc(op.conn, op.after)
			}
			require.NoError(t, undo(ctx, dx), "%s: undoing the operation after the restart", name)
			crashWaitHome(ctx, t, dx, home)
			t.Logf("%-30s delay %-6v answer %-28s happened %-5v serving after %-8v all available after %v",
				op.name, delay, r.answer, r.happened, r.serving.Round(time.Millisecond), r.available.Round(time.Millisecond))
			results = append(results, r)
		}
	}
	happened := 0
	for _, r := range results {
		if r.happened {
			happened++
		}
	}
	t.Logf("%d cases: %d operations had happened before the kill, %d had not", len(results), happened, len(results)-happened)
}

// crashDescribeAnswer says what the killed request got back.
func crashDescribeAnswer(err error) string {
	var re *smithyhttp.ResponseError
	switch {
	case err == nil:
		return "acknowledged"
	case errors.As(err, &re) && re.HTTPStatusCode() != 0:
		return fmt.Sprintf("HTTP %d", re.HTTPStatusCode())
	case strings.Contains(err.Error(), "EOF"):
		return "EOF"
	case strings.Contains(err.Error(), "connection reset"):
		return "connection reset"
	case strings.Contains(err.Error(), "connection refused"):
		return "connection refused"
	}
	return "error: " + err.Error()[max(0, len(err.Error())-60):]
}

// crashWaitSettled waits until conn is available and reports its LAG, which
// must be before or after the whole time.
func crashWaitSettled(ctx context.Context, t *testing.T, dx *directconnect.Client, name, conn, before, after string) string {
	t.Helper()
	deadline := time.Now().Add(crashBound)
	var last string
	for {
		out, err := dx.DescribeConnections(ctx, &directconnect.DescribeConnectionsInput{ConnectionId: aws.String(conn)})
		require.NoError(t, err, "%s: describing %s", name, conn)
		require.Len(t, out.Connections, 1)
		c := out.Connections[0]
		lag := aws.ToString(c.LagId)
		require.Contains(t, []string{before, after}, lag, "%s: %s is in LAG %q, neither before (%q) nor after (%q)", name, conn, lag, before, after)
		last = fmt.Sprintf("state %s, lag %q", c.ConnectionState, lag)
		if c.ConnectionState == "available" {
			return lag
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s not available %v after the restart: %s", name, conn, crashBound, last)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// crashWaitHome waits until every connection is available in the given LAG.
func crashWaitHome(ctx context.Context, t *testing.T, dx *directconnect.Client, pos map[string]string) {
	t.Helper()
	deadline := time.Now().Add(crashBound)
	for {
		out, err := dx.DescribeConnections(ctx, &directconnect.DescribeConnectionsInput{})
		require.NoError(t, err)
		var wrong []string
		for id, lag := range pos {
			found := false
			for _, c := range out.Connections {
				if aws.ToString(c.ConnectionId) != id {
					continue
				}
				found = true
				if c.ConnectionState != "available" || aws.ToString(c.LagId) != lag {
					wrong = append(wrong, fmt.Sprintf("%s: %s in %q (want available in %q)", id, c.ConnectionState, aws.ToString(c.LagId), lag))
				}
			}
			if !found {
				wrong = append(wrong, id+": gone")
			}
		}
		if len(wrong) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not settled within %v: %s", crashBound, strings.Join(wrong, "; "))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// crashCheckKernel checks that the kernel agrees with the API: each
// connection's port is an up veth in both of the device's namespaces, both
// LAGs' interfaces (the engine's TAPs) exist on both sides, and on conn's
// port the engines speak LACP, collecting and distributing, exactly when the
// API says it is a LAG member. (The engine's LAGs on a device share its
// system MAC and key, so the wire does not say which LAG a member serves;
// the API's answer for that is checked by the caller.)
func crashCheckKernel(ctx context.Context, t *testing.T, name, awsNS, custNS, conn string, pos map[string]string, lags []string) {
	t.Helper()
	deadline := time.Now().Add(crashBound)
	for {
		var wrong []string
		for _, ns := range []string{awsNS, custNS} {
			for c, lag := range pos {
				var listen time.Duration
				if c == conn && ns == awsNS {
					listen = 1200 * time.Millisecond // more than the fast periodic time (1s)
				}
				k, err := crashReadKernel(ns, c, lags, listen)
				require.NoError(t, err)
				ok := k.exists && k.veth && k.adminUp && k.operUp
				for _, l := range lags {
					ok = ok && k.lagLinks[l]
				}
				if listen > 0 {
					if lag != "" {
						ok = ok && k.collectingDistributing()
					} else {
						ok = ok && k.lacpOut == 0 && k.lacpIn == 0
					}
				}
				if !ok {
					wrong = append(wrong, fmt.Sprintf("%s (API: lag %q): %s", c, lag, k))
				}
			}
		}
		if len(wrong) == 0 {
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("%s: the kernel disagrees with the API:\n%s", name, strings.Join(wrong, "\n"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
