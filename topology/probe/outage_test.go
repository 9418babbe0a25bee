package probe

import (
	"testing"
	"time"
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
			r := summarise(1000, tc.sent, arrivals(tc.got...))
			sum := 0
			for _, o := range r.Outages {
				sum += o.Lost
			}
			if sum != r.Lost {
				t.Fatalf("outages %+v lose %d frames in all, not %d", r.Outages, sum, r.Lost)
			}
			if r.Lost != tc.lost || r.Outage.Lost != tc.outageLost {
				t.Fatalf("lost %d (outage %d), want %d (%d)", r.Lost, r.Outage.Lost, tc.lost, tc.outageLost)
			}
			if tc.outageLost == 0 {
				if !r.Restored().IsZero() || r.Outage.Duration() != 0 {
					t.Fatalf("no outage, but restored %v after %v", r.Restored(), r.Outage.Duration())
				}
				return
			}
			if got := r.Outage.Duration(); got != tc.duration {
				t.Errorf("duration %v, want %v", got, tc.duration)
			}
			if tc.open != r.Outage.FirstAfter.At.IsZero() {
				t.Errorf("open: %v, want %v", r.Outage.FirstAfter.At.IsZero(), tc.open)
			}
			if !tc.open && r.Outage.FirstAfter.Seq != tc.after {
				t.Errorf("first after %d, want %d", r.Outage.FirstAfter.Seq, tc.after)
			}
			if tc.startedWithRun != r.Outage.LastBefore.At.IsZero() {
				t.Errorf("started with the run: %v, want %v", r.Outage.LastBefore.At.IsZero(), tc.startedWithRun)
			}
			if !tc.startedWithRun && r.Outage.LastBefore.Seq != tc.before {
				t.Errorf("last before %d, want %d", r.Outage.LastBefore.Seq, tc.before)
			}
		})
	}
}
