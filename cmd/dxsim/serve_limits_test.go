package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/directconnect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
)

// patience bounds every wait in these tests: far beyond any limit they
// set, so only a server that never acts fails them.
const patience = 30 * time.Second

// tightLimits are short enough for a test to outlast them.
var tightLimits = serveLimits{readHeader: 300 * time.Millisecond, read: 300 * time.Millisecond, idle: 300 * time.Millisecond}

func serveWith(t *testing.T, limits serveLimits) string {
	t.Helper()
	addr, stop := startServe(t, serveConfig{listen: "127.0.0.1:0", state: t.TempDir(), dataplane: "none", auth: "none",
		region: "us-east-1", schedule: sim.DefaultSchedule(), logLevel: "error", limits: limits})
	t.Cleanup(stop)
	return addr
}

func dialServe(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, patience)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.SetDeadline(time.Now().Add(patience)))
	return c
}

const describeLocations = "POST / HTTP/1.1\r\nHost: dxsim\r\nContent-Type: application/x-amz-json-1.1\r\n" +
	"X-Amz-Target: OvertureService.DescribeLocations\r\nContent-Length: 2\r\n\r\n{}"

// closedByServer says whether the server closed c: a read ends without a
// byte, before the test's patience runs out.
func closedByServer(t *testing.T, c net.Conn, r io.Reader) bool {
	t.Helper()
	n, err := r.Read(make([]byte, 1))
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	return n == 0 && err != nil
}

// TestServeCutsOffSlowBody: a body that does not arrive within the read
// limit is answered 408 RequestTimeoutException and its connection closed.
func TestServeCutsOffSlowBody(t *testing.T) {
	t.Parallel()
	c := dialServe(t, serveWith(t, tightLimits))
	_, err := io.WriteString(c, "POST / HTTP/1.1\r\nHost: dxsim\r\nContent-Type: application/x-amz-json-1.1\r\n"+
		"X-Amz-Target: OvertureService.DescribeConnections\r\nContent-Length: 100\r\n\r\n{")
	require.NoError(t, err)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err, "no answer to a stalled body")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusRequestTimeout, resp.StatusCode, "status; body %s", body)
	assert.Equal(t, "RequestTimeoutException", resp.Header.Get("X-Amzn-ErrorType"), "error type")
	assert.True(t, closedByServer(t, c, br), "the connection stays open after a stalled body")
}

// TestServeCutsOffSlowHeaders: headers that stop half-way close the
// connection within the header limit.
func TestServeCutsOffSlowHeaders(t *testing.T) {
	t.Parallel()
	c := dialServe(t, serveWith(t, tightLimits))
	_, err := io.WriteString(c, "POST / HTTP/1.1\r\nHost: dxsim\r\n")
	require.NoError(t, err)
	assert.True(t, closedByServer(t, c, c), "the connection stays open with half its headers")
}

// TestServeClosesIdleConnections: a keep-alive connection left idle is
// closed after the idle limit.
func TestServeClosesIdleConnections(t *testing.T) {
	t.Parallel()
	c := dialServe(t, serveWith(t, tightLimits))
	_, err := io.WriteString(c, describeLocations)
	require.NoError(t, err)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	assert.True(t, closedByServer(t, c, br), "an idle keep-alive connection stays open")
}

// TestServeEventStreamOutlivesReadLimit: /dxsim/v1/events, served on the
// same server, still delivers events long after the read, header and idle
// limits have passed.
func TestServeEventStreamOutlivesReadLimit(t *testing.T) {
	t.Parallel()
	addr := serveWith(t, tightLimits)
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/dxsim/v1/events", nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	time.Sleep(10 * tightLimits.read) // well past every limit
	conn, err := dxClient(addr, "any", "thing").CreateConnection(ctx, &directconnect.CreateConnectionInput{
		Location: aws.String("EqDC2"), Bandwidth: aws.String("1Gbps"), ConnectionName: aws.String("late")})
	require.NoError(t, err)
	id := aws.ToString(conn.ConnectionId)
	for {
		select {
		case line, ok := <-lines:
			require.True(t, ok, "the event stream ended: %v", ctx.Err())
			if strings.Contains(line, id) {
				return
			}
		case <-ctx.Done():
			t.Fatalf("no event for %s on the stream", id)
		}
	}
}

// TestConnCap: at the cap a new connection closes the longest-idle one; when
// every connection is in a request it waits for one to end, and the cap is
// never exceeded.
func TestConnCap(t *testing.T) {
	t.Parallel()
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ln := newConnCap(tcp, 2)
	release := make(chan struct{})
	blocked := make(chan struct{}, 2) // a request has reached the blocking handler
	srv := &http.Server{ConnState: ln.track, ReadHeaderTimeout: patience, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/block" {
			blocked <- struct{}{}
			<-release
		}
		_, _ = io.WriteString(w, "ok")
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	addr := tcp.Addr().String()
	request := func(c net.Conn, path string) (*bufio.Reader, error) {
		if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			return nil, err
		}
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return nil, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		return br, resp.Body.Close()
	}

	// states waits for exactly this many connections in a request and
	// between requests: the server marks a connection idle a moment after
	// its client has read the response, so "one active" alone could still
	// be the first connection finishing.
	states := func(active, idle int) func() bool {
		return func() bool {
			ln.mu.Lock()
			defer ln.mu.Unlock()
			n := map[http.ConnState]int{}
			for _, s := range ln.conns {
				n[s.state]++
			}
			return n[http.StateActive] == active && n[http.StateIdle] == idle
		}
	}

	idle := dialServe(t, addr)
	idleReader, err := request(idle, "/")
	require.NoError(t, err)
	busy := dialServe(t, addr)
	busyDone := make(chan error, 1)
	go func() { _, err := request(busy, "/block"); busyDone <- err }()
	<-blocked
	require.Eventually(t, states(1, 1), patience, time.Millisecond, "the blocked request, beside the idle connection")

	fresh := dialServe(t, addr)
	_, err = request(fresh, "/")
	require.NoError(t, err, "a fresh client at the cap")
	assert.True(t, closedByServer(t, idle, idleReader), "the idle connection was not closed for the fresh one")
	assert.LessOrEqual(t, ln.open(), 2, "open connections")

	// Both busy: a new client waits for one of them to end. Both must be
	// in the handler: a connection whose last response was just written is
	// still active for a moment before the server marks it idle, so the
	// states alone could be seen before the second request begins.
	freshDone := make(chan error, 1)
	go func() { _, err := request(fresh, "/block"); freshDone <- err }()
	<-blocked
	require.Eventually(t, states(2, 0), patience, time.Millisecond, "two blocked requests")
	waiting := dialServe(t, addr)
	waitingDone := make(chan error, 1)
	go func() { _, err := request(waiting, "/"); waitingDone <- err }()
	select {
	case err := <-waitingDone:
		t.Fatalf("a third connection was served while two were busy (%v)", err)
	case <-time.After(200 * time.Millisecond):
	}
	assert.LessOrEqual(t, ln.open(), 2, "open connections")
	close(release)
	require.NoError(t, <-busyDone)
	require.NoError(t, <-freshDone)
	require.NoError(t, <-waitingDone, "the waiting client once a slot turned idle")
	assert.LessOrEqual(t, ln.open(), 2, "open connections")
}

// TestServeLimitsResolve: zero limits take the defaults, and the
// connection cap never exceeds half the open-file limit.
func TestServeLimitsResolve(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.DiscardHandler)
	l := serveLimits{}.resolve(log)
	assert.Equal(t, defaultReadHeaderTimeout, l.readHeader, "header limit")
	assert.Equal(t, defaultReadTimeout, l.read, "read limit")
	assert.Equal(t, defaultIdleTimeout, l.idle, "idle limit")
	assert.Positive(t, l.maxConns, "connection cap")
	assert.LessOrEqual(t, l.maxConns, defaultMaxConns, "connection cap")
	files, ok := openFileLimit()
	if !ok {
		t.Skip("no open-file limit here")
	}
	assert.LessOrEqual(t, uint64(serveLimits{maxConns: 1 << 30}.resolve(log).maxConns), files/2, "connection cap beyond the open-file limit")
}
