package sim

import (
	"slices"
	"sync"
	"time"
)

// History keeps, in memory, the state changes of each object since the
// service started: what an exercise's check asks ("has the LAG been down
// since?", "has it been stable for 15 s?"). A restart forgets it.
type history struct {
	mu    sync.Mutex
	start time.Time
	byID  map[string][]StateChange
}

// maxHistory bounds the changes kept per object: a flapping member keeps
// its latest.
const maxHistory = 512

func (h *history) add(c StateChange) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.byID == nil {
		h.byID = map[string][]StateChange{}
	}
	l := append(h.byID[c.ID], c)
	if len(l) > maxHistory {
		l = slices.Delete(l, 0, len(l)-maxHistory)
	}
	h.byID[c.ID] = l
}

// History returns an object's state changes since the service started (the
// latest maxHistory of them), oldest first, and when it started.
func (s *Service) History(id string) (since time.Time, changes []StateChange) {
	s.hist.mu.Lock()
	defer s.hist.mu.Unlock()
	return s.hist.start, slices.Clone(s.hist.byID[id])
}
