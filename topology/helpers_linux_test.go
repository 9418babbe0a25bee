package topology

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology/backend"
	"github.com/dxsim/dxsim/topology/netnstest"
)

// testPrefix is a namespace prefix no other test or lab uses.
func testPrefix() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "dxsim-t" + hex.EncodeToString(b[:])
}

// openTest opens a data plane with a prefix of its own and the given
// backend, and tears it down when the test ends. It also checks that the
// host's links are the same at the end as at the start.
func openTest(t *testing.T, b backend.Backend) *DataPlane {
	t.Helper()
	return openTestPrefix(t, testPrefix(), "userspace", b)
}

func openTestPrefix(t *testing.T, prefix, mode string, b backend.Backend, opts ...func(*Options)) *DataPlane {
	t.Helper()
	netnstest.RequireRoot(t)
	before := hostLinks(t)
	o := Options{
		Backend:      mode,
		Prefix:       prefix,
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		PollInterval: 50 * time.Millisecond,
	}
	for _, f := range opts {
		f(&o)
	}
	d, err := open(context.Background(), o, ProbeFeatures)
	require.NoError(t, err)
	if b != nil {
		_ = d.be.Close()
		d.be = b
	}
	t.Cleanup(func() {
		assert.NoError(t, d.Teardown(context.Background()), "teardown")
		_ = d.Close()
		left, _ := listNS(d.opts.Prefix + "-")
		assert.Empty(t, left, "namespaces left after teardown")
		assert.Equal(t, before, hostLinks(t), "host links changed")
	})
	return d
}

func hostLinks(t *testing.T) []string {
	t.Helper()
	links, err := netlink.LinkList()
	require.NoError(t, err, "host links")
	var names []string
	for _, l := range links {
		names = append(names, l.Attrs().Name)
	}
	sort.Strings(names)
	return names
}

// handleIn opens a netlink handle in a named namespace, as a user with
// `ip netns exec` would look at it.
func handleIn(t *testing.T, name string) *netlink.Handle {
	t.Helper()
	ns, err := netns.GetFromName(name)
	require.NoError(t, err, "namespace %s", name)
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	ns.Close()
	require.NoError(t, err, "handle in %s", name)
	t.Cleanup(h.Close)
	return h
}

// recorder keeps every event a data plane delivers, so that a test can
// wait for one that may already have passed.
type recorder struct {
	mu     sync.Mutex
	events []sim.Event
	more   chan struct{} // closed and replaced on each event
	done   chan struct{}
}

func record(t *testing.T, d *DataPlane) *recorder {
	r := &recorder{more: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for e := range d.Events() {
			r.mu.Lock()
			r.events = append(r.events, e)
			close(r.more)
			r.more = make(chan struct{})
			r.mu.Unlock()
		}
	}()
	return r
}

func (r *recorder) snapshot() []sim.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.events
}

// wait returns the first event that matches, waiting for it with a generous
// deadline (a bound on a hang, not a measurement).
func (r *recorder) wait(t *testing.T, what string, match func(sim.Event) bool) sim.Event {
	t.Helper()
	return r.waitAfter(t, 0, what, match)
}

// waitAfter is wait for the events after the first n.
func (r *recorder) waitAfter(t *testing.T, n int, what string, match func(sim.Event) bool) sim.Event {
	t.Helper()
	deadline := time.After(60 * time.Second)
	seen := n
	for {
		r.mu.Lock()
		evs, more := r.events, r.more
		r.mu.Unlock()
		for ; seen < len(evs); seen++ {
			if match(evs[seen]) {
				return evs[seen]
			}
		}
		select {
		case <-more:
		case <-r.done:
			require.FailNow(t, "events closed", "events closed while waiting for %s", what)
		case <-deadline:
			require.FailNow(t, "no event", "no event: %s", what)
		}
	}
}
