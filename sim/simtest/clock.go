package simtest

import (
	"sync"
	"time"
)

// Clock is a fake sim.Clock. It starts at a fixed instant and moves only on
// Advance.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock at 2025-01-01T00:00:00Z.
func NewClock() *Clock {
	return &Clock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
}

// Now returns the fake time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
