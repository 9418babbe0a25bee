package bus

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func collect[T any](s *Sub[T]) []T {
	var got []T
	for v := range s.C() {
		got = append(got, v)
	}
	return got
}

func TestEverySubscriberGetsEveryMessageInOrder(t *testing.T) {
	t.Parallel()
	var b Bus[int]
	a, c := b.Subscribe(0), b.Subscribe(0)
	for i := range 1000 {
		b.Publish(i)
	}
	b.Close()
	want := make([]int, 1000)
	for i := range want {
		want[i] = i
	}
	assert.Equal(t, want, collect(a))
	assert.Equal(t, want, collect(c))
	require.ErrorIs(t, a.Err(), ErrClosed)
}

func TestPublishNeverBlocksOnASlowSubscriber(t *testing.T) {
	t.Parallel()
	var b Bus[int]
	slow := b.Subscribe(0) // nobody reads it until the end
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 10000 {
			b.Publish(i)
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		require.FailNow(t, "Publish blocked on a subscriber that does not read")
	}
	b.Close()
	assert.Len(t, collect(slow), 10000, "an unlimited subscriber loses nothing")
}

func TestASubscriberTooFarBehindIsCutOffNotSilentlyShort(t *testing.T) {
	t.Parallel()
	var b Bus[int]
	s := b.Subscribe(10)
	for i := range 11 {
		b.Publish(i)
	}
	assert.Equal(t, 0, b.Subscribers(), "the overflowing subscriber is dropped from the bus")
	got := collect(s)
	assert.Empty(t, got, "a cut-off subscriber's undelivered queue is discarded")
	require.Error(t, s.Err())
	assert.NotErrorIs(t, s.Err(), ErrClosed)
	assert.Contains(t, s.Err().Error(), "cut off")
}

func TestSubscribeSeesOnlyLaterMessages(t *testing.T) {
	t.Parallel()
	var b Bus[string]
	b.Publish("before")
	s := b.Subscribe(0)
	b.Publish("after")
	b.Close()
	assert.Equal(t, []string{"after"}, collect(s))
}

func TestCloseWhileTheDrainIsBlockedEndsIt(t *testing.T) {
	t.Parallel()
	var b Bus[int]
	s := b.Subscribe(0)
	b.Publish(1)
	b.Publish(2)
	s.Close() // nobody reads: must not wait for a reader
	s.Close()
	_, open := <-s.C()
	assert.False(t, open)
	require.ErrorIs(t, s.Err(), ErrClosed)
	b.Publish(3) // no subscriber: nothing happens
	assert.Equal(t, 0, b.Subscribers())
}

func TestSubscribeAfterCloseEndsAtOnce(t *testing.T) {
	t.Parallel()
	var b Bus[int]
	b.Close()
	s := b.Subscribe(0)
	assert.Empty(t, collect(s))
	require.ErrorIs(t, s.Err(), ErrClosed)
}

func TestConcurrentPublishersAndSubscribers(t *testing.T) {
	t.Parallel()
	var b Bus[int]
	subs := make([]*Sub[int], 4)
	for i := range subs {
		subs[i] = b.Subscribe(0)
	}
	var wg sync.WaitGroup
	for p := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				b.Publish(p*1000 + i)
			}
		}()
	}
	counts := make([]int, len(subs))
	var rg sync.WaitGroup
	for i, s := range subs {
		rg.Add(1)
		go func() {
			defer rg.Done()
			last := map[int]int{}
			for v := range s.C() {
				p := v / 1000
				if prev, ok := last[p]; ok {
					assert.Greater(t, v, prev, "one publisher's messages arrive in its order")
				}
				last[p] = v
				counts[i]++
			}
		}()
	}
	wg.Wait()
	b.Close()
	rg.Wait()
	for _, n := range counts {
		assert.Equal(t, 2000, n)
	}
}

func BenchmarkPublishOneSubscriber(b *testing.B) {
	var bs Bus[int]
	s := bs.Subscribe(0)
	done := make(chan int)
	go func() {
		n := 0
		for range s.C() {
			n++
		}
		done <- n
	}()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		bs.Publish(i)
	}
	bs.Close()
	<-done
}
