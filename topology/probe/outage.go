package probe

import (
	"slices"
	"time"
)

// Arrival is one probe frame counted by the receiver.
type Arrival struct {
	Seq  uint64
	Sent time.Time // the sender's clock
	At   time.Time // the kernel's receive time
	Port string    // the interface it arrived on
}

// Outage is the longest run of probe frames that did not arrive.
type Outage struct {
	// Lost is how many frames the run holds; zero when nothing was lost.
	Lost int
	// LastBefore is the last frame delivered before the run, FirstAfter the
	// first delivered after it. FirstAfter is zero when none was: the
	// outage had not ended when the probe stopped. LastBefore is zero when
	// the run started with the probe.
	LastBefore, FirstAfter Arrival
}

// Duration is how long nothing was delivered: from the last frame before the
// outage to the first after it. It is zero when an end is unknown.
func (o Outage) Duration() time.Duration {
	if o.Lost == 0 || o.LastBefore.At.IsZero() || o.FirstAfter.At.IsZero() {
		return 0
	}
	return o.FirstAfter.At.Sub(o.LastBefore.At)
}

// Result is what a probe run saw.
type Result struct {
	Rate     int    // frames a second
	Sent     uint64 // frames sent (attempted: a frame sent on a port that is down is lost)
	Received int    // distinct frames counted
	Lost     int    // frames sent but not counted, in total
	Outage   Outage // the longest outage
	// Outages are every run of lost frames, in order (the longest is
	// Outage), at most maxOutages of them.
	Outages []Outage
	// Ignored counts frames that arrived on an interface not accepted at
	// the time: a member's frames that reached its port but not its LAG.
	Ignored  int
	Arrivals []Arrival // in sequence order
}

// Restored is when the first frame after the longest outage arrived; zero if
// there was no outage or it never ended.
func (r Result) Restored() time.Time { return r.Outage.FirstAfter.At }

// summarise computes a Result from the frames sent and those counted.
// Duplicates (a frame counted twice) are dropped.
func summarise(rate int, sent uint64, arrivals []Arrival) Result {
	slices.SortFunc(arrivals, func(a, b Arrival) int {
		switch {
		case a.Seq < b.Seq:
			return -1
		case a.Seq > b.Seq:
			return 1
		}
		return a.At.Compare(b.At)
	})
	arrivals = slices.CompactFunc(arrivals, func(a, b Arrival) bool { return a.Seq == b.Seq })
	r := Result{Rate: rate, Sent: sent, Received: len(arrivals), Arrivals: arrivals}
	r.Lost = int(sent) - len(arrivals)
	next := uint64(0) // the sequence number expected next
	var prev Arrival
	for _, a := range arrivals {
		if gap := int(a.Seq - next); gap > 0 {
			r.add(Outage{Lost: gap, LastBefore: prev, FirstAfter: a})
		}
		next, prev = a.Seq+1, a
	}
	if sent > next {
		r.add(Outage{Lost: int(sent - next), LastBefore: prev})
	}
	return r
}

// maxOutages bounds Result.Outages: a lossy link must not grow it without
// bound.
const maxOutages = 64

func (r *Result) add(o Outage) {
	if o.Lost > r.Outage.Lost {
		r.Outage = o
	}
	if len(r.Outages) < maxOutages {
		r.Outages = append(r.Outages, o)
	}
}
