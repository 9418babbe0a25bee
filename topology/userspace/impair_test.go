package userspace

import (
	"encoding/binary"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sink records the frames an impairer writes, with when.
type sink struct {
	mu     sync.Mutex
	frames []uint32
	at     []time.Time
	got    chan struct{}
}

func newSink() *sink { return &sink{got: make(chan struct{}, 1<<16)} }

func (s *sink) WriteFrame(frame []byte, _ int) error {
	s.mu.Lock()
	s.frames = append(s.frames, binary.BigEndian.Uint32(frame))
	s.at = append(s.at, time.Now())
	s.mu.Unlock()
	s.got <- struct{}{}
	return nil
}

// wait waits for n frames, at most a second more than within.
func (s *sink) wait(t *testing.T, n int, within time.Duration) {
	t.Helper()
	timeout := time.After(within + time.Second)
	for range n {
		select {
		case <-s.got:
		case <-timeout:
			require.FailNow(t, "frames not written", "want %d", n)
		}
	}
}

func numbered(i uint32) []byte { return binary.BigEndian.AppendUint32(nil, i) }

// seeded gives an impairer a reproducible random source.
func seeded(im *impairer) *impairer {
	im.rnd = rand.New(rand.NewPCG(1, 2)).Float64
	return im
}

func TestImpairmentLosesItsShare(t *testing.T) {
	for _, loss := range []float64{0, 30, 100} {
		im := seeded(newImpairer(Impairment{Loss: loss}))
		s := newSink()
		const n = 10000
		for i := range n {
			require.NoError(t, im.send(s, numbered(uint32(i))))
		}
		_, st := im.status()
		lost := float64(st.Lost) / n * 100
		assert.InDelta(t, loss, lost, 2, "loss %g%%: lost %g%%", loss, lost)
		assert.Equal(t, uint64(n), st.Lost+st.Sent, "loss %g%%: every frame sent or lost", loss)
		assert.Len(t, s.frames, int(st.Sent))
		im.stop()
	}
}

func TestImpairmentDelaysInOrder(t *testing.T) {
	const delay = 40 * time.Millisecond
	im := newImpairer(Impairment{Delay: delay})
	defer im.stop()
	s := newSink()
	start := time.Now()
	for i := range 100 {
		require.NoError(t, im.send(s, numbered(uint32(i))))
	}
	sent := time.Since(start)
	assert.Less(t, sent, delay, "send blocked on the delay")
	s.wait(t, 100, delay)
	s.mu.Lock()
	for i, f := range s.frames {
		require.Equal(t, uint32(i), f, "order")
	}
	assert.GreaterOrEqual(t, s.at[0].Sub(start), delay, "first frame written early")
	// The delay cut to nothing: frames still held go before new ones.
	s.frames, s.at = nil, nil
	s.mu.Unlock()

	require.NoError(t, im.send(s, numbered(0)))
	im.set(Impairment{})
	require.NoError(t, im.send(s, numbered(1)))
	s.wait(t, 2, delay)
	s.mu.Lock()
	defer s.mu.Unlock()
	assert.Equal(t, []uint32{0, 1}, s.frames)
}

func TestImpairmentJitterStaysInBounds(t *testing.T) {
	const delay, jitter = 60 * time.Millisecond, 30 * time.Millisecond
	im := seeded(newImpairer(Impairment{Delay: delay, Jitter: jitter}))
	defer im.stop()
	s := newSink()
	sentAt := map[uint32]time.Time{}
	for i := range 200 {
		sentAt[uint32(i)] = time.Now()
		require.NoError(t, im.send(s, numbered(uint32(i))))
	}
	s.wait(t, 200, delay+jitter)
	s.mu.Lock()
	defer s.mu.Unlock()
	var lo, hi time.Duration = time.Hour, 0
	for i, f := range s.frames {
		d := s.at[i].Sub(sentAt[f])
		lo, hi = min(lo, d), max(hi, d)
	}
	t.Logf("delay %s ± %s: frames took %s to %s", delay, jitter, lo, hi)
	assert.GreaterOrEqual(t, lo, delay-jitter)
	assert.Less(t, lo, delay, "no frame took less than the delay: no jitter")
	assert.Greater(t, hi, delay, "no frame took more than the delay: no jitter")
}

// TestImpairmentQueueIsBounded: frames past the limit are dropped and
// counted; stopping drops those held and leaves no goroutine (TestMain).
func TestImpairmentQueueIsBounded(t *testing.T) {
	im := newImpairer(Impairment{Delay: time.Hour})
	s := newSink()
	for i := range heldFrames + 100 {
		require.NoError(t, im.send(s, numbered(uint32(i))))
	}
	_, st := im.status()
	assert.Equal(t, ImpairmentStats{Overflow: 100}, st)
	im.stop()
	require.NoError(t, im.send(s, numbered(7)), "after stop")
	assert.Equal(t, []uint32{7}, s.frames, "after stop frames go out at once, and none held is written")
}

func TestImpairmentCheck(t *testing.T) {
	for _, bad := range []Impairment{{Loss: -1}, {Loss: 100.5}, {Delay: -time.Second}, {Jitter: -1}} {
		assert.Error(t, bad.check(), "%+v", bad)
	}
	assert.NoError(t, Impairment{Loss: 100, Delay: time.Second, Jitter: 2 * time.Second}.check())
}
