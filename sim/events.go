package sim

import (
	"sync"
	"time"
)

// StateChange is a control-plane state change: a connection, LAG or VIF
// entering a new state (To is "deleted" when it is removed; From is "" when
// it is created).
type StateChange struct {
	Time time.Time
	ID   string
	From string
	To   string
}

// broker fans state changes out to subscribers. A subscriber that does not
// keep up loses changes rather than stalling the control plane; Dropped
// counts them.
type broker struct {
	mu      sync.Mutex
	subs    map[chan StateChange]struct{}
	dropped uint64
}

func (b *broker) subscribe(buf int) (<-chan StateChange, func()) {
	ch := make(chan StateChange, buf)
	b.mu.Lock()
	if b.subs == nil {
		b.subs = map[chan StateChange]struct{}{}
	}
	b.subs[ch] = struct{}{}
	b.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			b.mu.Lock()
			defer b.mu.Unlock()
			if _, ok := b.subs[ch]; ok {
				delete(b.subs, ch)
				close(ch)
			}
		})
	}
}

func (b *broker) publish(changes []StateChange) {
	if len(changes) == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		for _, c := range changes {
			select {
			case ch <- c:
			default:
				b.dropped++
			}
		}
	}
}

func (b *broker) closeAll() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		close(ch)
		delete(b.subs, ch)
	}
}

// AssociationRecord is what happened on the data plane during a connection's
// last associate or disassociate: the step times of the attach or detach and
// the data-plane events that followed until the link converged.
type AssociationRecord struct {
	Op           string // "associate" or "disassociate"
	ConnectionID string
	LAGID        string
	FromLAGID    string // the LAG the connection left, for a re-association
	Requested    time.Time
	Steps        StepTimes
	Events       []Event
	Converged    time.Time // zero until the member collects and distributes (or, on disassociate, until the port is up)
	Err          string    // a data-plane failure, if any
}

// maxRecordEvents bounds the events kept per record; a flapping link must not
// grow memory without bound.
const maxRecordEvents = 256
