package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	dx "github.com/aws/aws-sdk-go-v2/service/directconnect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology"
	"github.com/dxsim/dxsim/topology/netnstest"
)

// servedInstance is one in-process `dxsim serve` on the userspace data plane.
type servedInstance struct {
	cfg  serveConfig
	addr string
	logs *bytes.Buffer
	lw   *lockedWriter
	stop func()
}

func (s *servedInstance) log() string {
	s.lw.mu.Lock()
	defer s.lw.mu.Unlock()
	return s.logs.String()
}

// startServed starts serve and returns once it serves, which is after its
// data plane has reconciled to its state.
func startServed(t *testing.T, cfg serveConfig) *servedInstance {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &servedInstance{cfg: cfg, logs: &bytes.Buffer{}}
	s.lw = &lockedWriter{w: s.logs}
	addrc, done := make(chan string, 1), make(chan error, 1)
	go func() { done <- runServe(ctx, cfg, s.lw, func(a string) { addrc <- a }) }()
	select {
	case s.addr = <-addrc:
	case err := <-done:
		cancel()
		t.Fatalf("serve --prefix %s --state %s: %v\n%s", cfg.prefix, cfg.state, err, s.log())
	}
	stopped := false
	s.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		assert.NoError(t, <-done, "serve --prefix %s", cfg.prefix)
	}
	t.Cleanup(s.stop)
	return s
}

// createConnection creates a connection through the API and waits for it to
// be available (its veth pair is up).
func (s *servedInstance) createConnection(t *testing.T) (id, device string) {
	t.Helper()
	ctx := context.Background()
	c := dxClient(s.addr, "any", "thing")
	conn, err := c.CreateConnection(ctx, &dx.CreateConnectionInput{Location: aws.String("EqDC2"),
		Bandwidth: aws.String("10Gbps"), ConnectionName: aws.String("prefix-test")})
	require.NoError(t, err)
	id = aws.ToString(conn.ConnectionId)
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		out, err := c.DescribeConnections(ctx, &dx.DescribeConnectionsInput{ConnectionId: conn.ConnectionId})
		require.NoError(t, err)
		if len(out.Connections) == 1 && out.Connections[0].ConnectionState == "available" {
			return id, aws.ToString(out.Connections[0].AwsDevice)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never became available\n%s", id, s.log())
	return "", ""
}

// prefixTestSetup writes a catalogue with one location and one device of the
// test's own, and removes, when the test ends, every namespace of the given
// prefixes (the serves leave their links: that is the point).
func prefixTestSetup(t *testing.T, prefixes ...string) (catalogue string) {
	t.Helper()
	netnstest.RequireRoot(t)
	before := hostLinks(t)
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	device := "EqDC2-pfx" + hex.EncodeToString(b)
	catalogue = filepath.Join(t.TempDir(), "catalogue.json")
	require.NoError(t, os.WriteFile(catalogue, fmt.Appendf(nil, `{"locations":[{"locationCode":"EqDC2","locationName":"lab","region":"us-east-1",
		"availablePortSpeeds":["10Gbps"],"devices":[%q,%q]}]}`, device, device), 0o600))
	t.Cleanup(func() {
		for _, p := range prefixes {
			if _, err := topology.TeardownPrefix(p); err != nil {
				t.Errorf("removing %s-…: %v", p, err)
			}
		}
		for _, p := range prefixes {
			checkNothingLeft(t, p, before)
		}
	})
	return catalogue
}

func randomServePrefix(t *testing.T) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	p := "dxsimt" + hex.EncodeToString(b)
	require.NoError(t, checkServePrefix(p))
	return p
}

func serveCfg(state, prefix, catalogue string) serveConfig {
	return serveConfig{listen: "127.0.0.1:0", state: state, dataplane: "userspace", prefix: prefix,
		auth: "none", region: "us-east-1", catalogue: catalogue, schedule: sim.DefaultSchedule(), logLevel: "info"}
}

// linkIn reports whether namespace ns exists and has the link.
func linkIn(t *testing.T, ns, link string) bool {
	t.Helper()
	h, err := netns.GetFromName(ns)
	if err != nil {
		return false
	}
	defer h.Close()
	nh, err := netlink.NewHandleAt(h, unix.NETLINK_ROUTE)
	require.NoError(t, err)
	defer nh.Close()
	_, err = nh.LinkByName(link)
	return err == nil
}

func requireLinks(t *testing.T, prefix, device, conn, when string) {
	t.Helper()
	aws, cust := topology.Namespaces(prefix, device)
	require.True(t, linkIn(t, aws, conn), "%s: %s has no %s", when, aws, conn)
	require.True(t, linkIn(t, cust, conn), "%s: %s has no %s", when, cust, conn)
}

// TestTwoServesWithOwnPrefixesShareAHost: each serve makes its connection in
// its own namespaces, and restarting one leaves the other's namespaces and
// links as they were (and its own too).
func TestTwoServesWithOwnPrefixesShareAHost(t *testing.T) {
	netnstest.RequireRoot(t)
	pa, pb := randomServePrefix(t), randomServePrefix(t)
	cat := prefixTestSetup(t, pa, pb)
	dir := t.TempDir()

	a := startServed(t, serveCfg(filepath.Join(dir, "a"), pa, cat))
	connA, devA := a.createConnection(t)
	b := startServed(t, serveCfg(filepath.Join(dir, "b"), pb, cat))
	connB, devB := b.createConnection(t)
	requireLinks(t, pa, devA, connA, "both up")
	requireLinks(t, pb, devB, connB, "both up")

	b.stop()
	b = startServed(t, serveCfg(filepath.Join(dir, "b"), pb, cat))
	requireLinks(t, pa, devA, connA, "after the second serve restarted")
	requireLinks(t, pb, devB, connB, "after the second serve restarted")
	out, err := dxClient(b.addr, "any", "thing").DescribeConnections(context.Background(), &dx.DescribeConnectionsInput{})
	require.NoError(t, err)
	require.Len(t, out.Connections, 1)
	assert.Equal(t, connB, aws.ToString(out.Connections[0].ConnectionId))

	// The first one restarted likewise keeps the second's.
	a.stop()
	a = startServed(t, serveCfg(filepath.Join(dir, "a"), pa, cat))
	requireLinks(t, pa, devA, connA, "after the first serve restarted")
	requireLinks(t, pb, devB, connB, "after the first serve restarted")
	assert.NotContains(t, a.log()+b.log(), "unexpected namespace")
}

// TestServeSamePrefixOtherStateLeavesTheFirstAlone: a second serve with the
// same prefix and another state finds the first's namespaces under its
// prefix, leaves them alone (and says so), across restarts too.
func TestServeSamePrefixOtherStateLeavesTheFirstAlone(t *testing.T) {
	netnstest.RequireRoot(t)
	p := randomServePrefix(t)
	cat := prefixTestSetup(t, p)
	dir := t.TempDir()

	a := startServed(t, serveCfg(filepath.Join(dir, "a"), p, cat))
	connA, devA := a.createConnection(t)
	awsNS, _ := topology.Namespaces(p, devA)

	for i := range 2 { // a fresh state, then a restart of it
		b := startServed(t, serveCfg(filepath.Join(dir, "b"), p, cat))
		requireLinks(t, p, devA, connA, fmt.Sprintf("second serve, start %d", i+1))
		assert.Contains(t, b.log(), "ns="+awsNS, "the second serve does not say it left the first's namespace alone")
		assert.NotContains(t, b.log(), "unexpected namespace")
		b.stop()
	}
	requireLinks(t, p, devA, connA, "after the second serve stopped")

	// The first, restarted, still has them as its own.
	a.stop()
	a = startServed(t, serveCfg(filepath.Join(dir, "a"), p, cat))
	requireLinks(t, p, devA, connA, "after the first serve restarted")
	assert.NotContains(t, a.log(), "left alone")
}
