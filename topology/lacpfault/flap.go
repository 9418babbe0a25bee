package lacpfault

import "time"

// flapper runs a Flap schedule: apply(false) is in force from the start
// (Set wrote it), then apply(true) after up, apply(false) after down, and
// again until stop. after is time.After, or a test's clock.
type flapper struct {
	stop, done chan struct{}
}

func startFlap(up, down time.Duration, apply func(down bool) error, after func(time.Duration) <-chan time.Time) *flapper {
	f := &flapper{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(f.done)
		downPhase := false
		for {
			wait := up
			if downPhase {
				wait = down
			}
			select {
			case <-f.stop:
				return
			case <-after(wait):
			}
			downPhase = !downPhase
			// A write that fails (the map is gone) ends the schedule: there
			// is nothing left to flap.
			if apply(downPhase) != nil {
				return
			}
		}
	}()
	return f
}

// Stop ends the schedule and returns once it has ended; no apply runs after.
func (f *flapper) Stop() {
	close(f.stop)
	<-f.done
}
