package sim

import "time"

// Clock tells the time. The service reads it for every state change, so a
// test can drive the provisioning schedule by advancing a fake.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// Schedule is how long each provisioning step takes when there is no data
// plane to report link state. A zero duration means the step is immediate.
type Schedule struct {
	Requested time.Duration // requested → pending (the LOA is issued)
	Pending   time.Duration // pending → available (the port comes up)
	Associate time.Duration // an associated or disassociated link: down → available
	Confirm   time.Duration // a confirmed hosted connection or VIF: pending → available
	// Converge bounds, with a data plane, how long an associated member may
	// take to collect and distribute: past it the transition ends and the
	// connection is reported down, with the reason in its record.
	Converge time.Duration
	// Deleting is how long a deleted VIF is described as deleting before
	// deleted; Retain how long deleted connections, LAGs and VIFs are still
	// described at all.
	Deleting, Retain time.Duration
}

// DefaultSchedule is quick enough for interactive use.
func DefaultSchedule() Schedule {
	return Schedule{Requested: 2 * time.Second, Pending: 3 * time.Second, Associate: 2 * time.Second, Confirm: 2 * time.Second, Converge: 60 * time.Second,
		Deleting: 2 * time.Second, Retain: 10 * time.Minute}
}
