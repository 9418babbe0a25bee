package probe

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// arrivals makes one arrival a millisecond for each sequence number given.
func arrivals(seqs ...uint64) []Arrival {
	t0 := time.Unix(1000, 0)
	var out []Arrival
	for _, s := range seqs {
		at := t0.Add(time.Duration(s) * time.Millisecond)
		out = append(out, Arrival{Seq: s, Sent: at, At: at})
	}
	return out
}

func seqRange(from, to uint64) []uint64 {
	var s []uint64
	for i := from; i < to; i++ {
		s = append(s, i)
	}
	return s
}

func TestSummarise(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name                 string
		sent                 uint64
		got                  []uint64
		lost, outageLost     int
		before, after        uint64
		duration             time.Duration
		open, startedWithRun bool
	}{
		{name: "nothing lost", sent: 10, got: seqRange(0, 10)},
		{
			name: "one outage", sent: 100, got: append(seqRange(0, 10), seqRange(60, 100)...),
			lost: 50, outageLost: 50, before: 9, after: 60, duration: 51 * time.Millisecond,
		},
		{
			name: "the longest of two", sent: 100, got: append(append(seqRange(0, 10), seqRange(12, 50)...), seqRange(70, 100)...),
			lost: 22, outageLost: 20, before: 49, after: 70, duration: 21 * time.Millisecond,
		},
		{name: "never restored", sent: 50, got: seqRange(0, 10), lost: 40, outageLost: 40, before: 9, open: true},
		{name: "lost from the start", sent: 50, got: seqRange(30, 50), lost: 30, outageLost: 30, after: 30, startedWithRun: true},
		{name: "duplicates and disorder", sent: 5, got: []uint64{4, 0, 1, 1, 3, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := summarise(1000, tc.sent, arrivals(tc.got...))
			sum := 0
			for _, o := range r.Outages {
				sum += o.Lost
			}
			require.Equal(t, r.Lost, sum, "frames the outages %+v lose in all", r.Outages)
			require.Equal(t, tc.lost, r.Lost, "lost")
			require.Equal(t, tc.outageLost, r.Outage.Lost, "outage lost")
			if tc.outageLost == 0 {
				assert.True(t, r.Restored().IsZero(), "no outage, but restored %v", r.Restored())
				assert.Zero(t, r.Outage.Duration(), "no outage, but it lasted")
				return
			}
			assert.Equal(t, tc.duration, r.Outage.Duration(), "duration")
			assert.Equal(t, tc.open, r.Outage.FirstAfter.At.IsZero(), "open")
			if !tc.open {
				assert.Equal(t, tc.after, r.Outage.FirstAfter.Seq, "first after")
			}
			assert.Equal(t, tc.startedWithRun, r.Outage.LastBefore.At.IsZero(), "started with the run")
			if !tc.startedWithRun {
				assert.Equal(t, tc.before, r.Outage.LastBefore.Seq, "last before")
			}
		})
	}
}
