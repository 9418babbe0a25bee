package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/directconnect"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/dxsim/dxsim/topology/netnstest"
)

// floodClients is how many idle clients TestServeIdleFlood opens: about
// twice the default connection cap.
const floodClients = 2000

// fitFiles raises the soft open-file limit so that n client connections,
// the server's side of as many and the rest of the test fit, and returns
// how many clients fit when the hard limit is lower.
func fitFiles(t *testing.T, n int) int {
	t.Helper()
	var r unix.Rlimit
	require.NoError(t, unix.Getrlimit(unix.RLIMIT_NOFILE, &r))
	need := uint64(2*n + 512)
	if r.Cur < need {
		r.Cur = min(need, r.Max)
		require.NoError(t, unix.Setrlimit(unix.RLIMIT_NOFILE, &r))
	}
	if r.Cur < need {
		n = int(r.Cur-512) / 2
		t.Logf("open-file limit %d: %d idle clients", r.Cur, n)
	}
	return n
}

// TestServeIdleFlood: with 2,000 idle connections open to a serve with the
// default limits (half after a request, half never sending a byte), a
// fresh client still gets DescribeConnections answered.
//
// go test -race -count=1 -run TestServeIdleFlood -v ./cmd/dxsim
func TestServeIdleFlood(t *testing.T) {
	netnstest.SkipOnKernelRun(t, "the HTTP server's limits, whatever the links")
	n := fitFiles(t, floodClients)
	require.Greater(t, n, 2*defaultMaxConns/3, "too few files for a flood")
	addr, stop := startServe(t, serveConfig{listen: "127.0.0.1:0", state: t.TempDir(), dataplane: "none", auth: "none",
		region: "us-east-1", logLevel: "error"})
	defer stop()

	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	start, answered := time.Now(), 0
	for i := range n {
		c, err := net.DialTimeout("tcp", addr, patience)
		require.NoError(t, err, "client %d", i)
		conns = append(conns, c)
		if i%2 == 1 {
			continue // never sends a byte
		}
		require.NoError(t, c.SetDeadline(time.Now().Add(patience)))
		_, err = io.WriteString(c, describeLocations)
		require.NoError(t, err, "client %d", i)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		require.NoError(t, err, "client %d", i)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		answered++
	}
	t.Logf("%d idle clients open in %v (%d after a request); the server holds at most %d", n, time.Since(start).Round(time.Millisecond), answered, defaultMaxConns)

	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	for i := range 3 {
		began := time.Now()
		_, err := dxClient(addr, "fresh", "client").DescribeConnections(ctx, &directconnect.DescribeConnectionsInput{})
		require.NoError(t, err, "fresh client %d beside %d idle ones", i, n)
		t.Logf("fresh client %d answered in %v", i, time.Since(began).Round(time.Microsecond))
	}
}
