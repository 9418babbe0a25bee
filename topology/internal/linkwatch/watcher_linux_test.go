package linkwatch

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"golang.org/x/sys/unix"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testBackoff retries at once-ish and treats every subscription as short
// lived, so that the growth of the waits shows in the log.
var testBackoff = backoff{min: time.Millisecond, max: 8 * time.Millisecond, stable: time.Hour}

func TestUpdatesArriveInOrder(t *testing.T) {
	t.Parallel()
	f := newFakeSource()
	v := newView()
	w, err := start(f, slog.New(slog.DiscardHandler), v, testBackoff)
	require.NoError(t, err)
	for i := range 100 {
		f.set("dxcon-a", i%2 == 0)
	}
	f.set("dxcon-b", true)
	f.del("dxcon-a")
	eventually(t, "dxcon-b seen up", func() bool { s, ok := v.get("dxcon-b"); return ok && s.up })
	w.Stop()
	f.ended(t)
	_, ok := v.get("dxcon-a")
	assert.False(t, ok, "dxcon-a deleted, still in the view: updates out of order")
	assert.Equal(t, 102, v.updates, "updates")
	assert.Zero(t, v.resyncs, "handler resyncs")
	assert.Zero(t, w.Resyncs(), "resyncs counted")
}

// TestResyncAfterLoss loses the subscription, as ENOBUFS does, while links
// change unheard: one goes down, one vanishes, one is made again under its
// name, one is new. Only the resync can tell the handler.
func TestResyncAfterLoss(t *testing.T) {
	t.Parallel()
	f := newFakeSource()
	v := newView()
	logs := &records{}
	w, err := start(f, slog.New(logs), v, testBackoff)
	require.NoError(t, err)
	for _, n := range []string{"down", "gone", "remade", "same"} {
		f.set(n, true)
	}
	eventually(t, "four links seen", func() bool { return len(v.names()) == 4 })
	oldRemade, _ := v.get("remade")

	f.lose(unix.ENOBUFS, func(f *fakeSource) {
		f.setLocked("down", false)
		delete(f.links, "gone")
		delete(f.links, "remade")
		f.setLocked("remade", true)
		f.setLocked("new", true)
	})
	eventually(t, "a resync", func() bool { return w.Resyncs() == 1 })
	// The new subscription carries on.
	f.set("same", false)
	eventually(t, "same seen down", func() bool { s, _ := v.get("same"); return !s.up })
	w.Stop()
	f.ended(t)

	assert.Equal(t, "down new remade same", strings.Join(v.names(), " "), "links after resync")
	down, _ := v.get("down")
	assert.False(t, down.up, "down is still seen up")
	remade, _ := v.get("remade")
	assert.NotEqual(t, oldRemade.index, remade.index, "remade seen as %+v, want a new index", remade)
	assert.True(t, remade.up, "remade seen as %+v, want up", remade)
	assert.Equal(t, 1, v.resyncs, "handler resyncs")
	warns := logs.at(slog.LevelWarn)
	if assert.Len(t, warns, 1, "warnings, want one naming the overflow") {
		assert.Contains(t, warns[0], unix.ENOBUFS.Error(), "the warning names the overflow")
	}
}

// TestBacksOffWhileRepairFails fails subscribing, then listing, after a
// loss: the watcher keeps trying, waiting longer each time, lets go of the
// subscription whose list failed, and resyncs once it succeeds.
func TestBacksOffWhileRepairFails(t *testing.T) {
	t.Parallel()
	f := newFakeSource()
	v := newView()
	logs := &records{}
	w, err := start(f, slog.New(logs), v, testBackoff)
	require.NoError(t, err)
	f.set("a", true)
	eventually(t, "a seen", func() bool { _, ok := v.get("a"); return ok })
	f.mu.Lock()
	f.failSubscribe, f.failList = 3, 2
	f.mu.Unlock()
	f.lose(unix.ENOBUFS, func(f *fakeSource) { f.setLocked("a", false) })
	eventually(t, "a resync", func() bool { return w.Resyncs() == 1 })
	w.Stop()
	f.ended(t)

	a, _ := v.get("a")
	assert.False(t, a.up, "a still seen up after the resync")
	// One subscription at first, 3 refused, 2 whose list failed, 1 that
	// held.
	assert.Equal(t, 7, f.subscribes, "subscribes")
	assert.Equal(t, []string{"1ms", "2ms", "4ms", "8ms", "8ms", "8ms"}, logs.retries(), "waits")
}

// TestRepeatedLossesBackOff loses subscriptions one after another: each loss
// of a short-lived subscription waits longer than the last.
func TestRepeatedLossesBackOff(t *testing.T) {
	t.Parallel()
	f := newFakeSource()
	v := newView()
	logs := &records{}
	w, err := start(f, slog.New(logs), v, testBackoff)
	require.NoError(t, err)
	for i := range 3 {
		f.lose(unix.ENOBUFS, nil)
		eventually(t, "a resync", func() bool { return w.Resyncs() == uint64(i+1) })
	}
	w.Stop()
	f.ended(t)
	assert.Equal(t, []string{"1ms", "2ms", "4ms"}, logs.retries(), "waits")
}

func TestStopWhileRetrying(t *testing.T) {
	t.Parallel()
	f := newFakeSource()
	w, err := start(f, slog.New(slog.DiscardHandler), newView(), testBackoff)
	require.NoError(t, err)
	f.mu.Lock()
	f.failSubscribe = 1 << 30
	f.mu.Unlock()
	f.lose(unix.ENOBUFS, nil)
	eventually(t, "retrying", func() bool { f.mu.Lock(); defer f.mu.Unlock(); return f.subscribes > 3 })
	w.Stop()
	w.Stop() // again: a no-op
	f.ended(t)
}

// TestStopWithReceiverBlocked stops while the subscription's receiver is
// blocked handing over updates to a slow handler.
func TestStopWithReceiverBlocked(t *testing.T) {
	t.Parallel()
	f := newFakeSource()
	v := newView()
	v.slow = time.Millisecond
	w, err := start(f, slog.New(slog.DiscardHandler), v, testBackoff)
	require.NoError(t, err)
	for i := range 1000 {
		f.set("a", i%2 == 0)
	}
	eventually(t, "some updates", func() bool { v.mu.Lock(); defer v.mu.Unlock(); return v.updates > 10 })
	w.Stop()
	f.ended(t)
}

func TestFirstSubscribeFails(t *testing.T) {
	t.Parallel()
	f := newFakeSource()
	f.failSubscribe = 1
	_, err := start(f, nil, newView(), testBackoff)
	require.Error(t, err, "start succeeded with a refused subscription")
	assert.True(t, f.closed, "source not closed")
}

// records is a slog.Handler keeping what was logged.
type records struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (r *records) Enabled(context.Context, slog.Level) bool { return true }
func (r *records) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *records) WithGroup(string) slog.Handler            { return r }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, rec.Clone())
	return nil
}

// at returns the records of one level as "message attr=value...".
func (r *records) at(l slog.Level) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, rec := range r.recs {
		if rec.Level != l {
			continue
		}
		s := rec.Message
		rec.Attrs(func(a slog.Attr) bool { s += " " + a.String(); return true })
		out = append(out, s)
	}
	return out
}

// retries returns every retry_in logged, in order.
func (r *records) retries() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, rec := range r.recs {
		rec.Attrs(func(a slog.Attr) bool {
			if a.Key == "retry_in" {
				out = append(out, a.Value.String())
			}
			return true
		})
	}
	return out
}
