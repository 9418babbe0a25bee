//go:build !linux

package probe

import "time"

// Probe is a running probe; off Linux there is none.
type Probe struct{}

// Start fails off Linux.
func Start(Config) (*Probe, error) { return nil, ErrUnsupported }

// Accept does nothing off Linux.
func (*Probe) Accept(...string) error { return ErrUnsupported }

// Last reports no frame off Linux.
func (*Probe) Last() (Arrival, bool) { return Arrival{}, false }

// Sent is zero off Linux.
func (*Probe) Sent() uint64 { return 0 }

// Stop returns an empty Result off Linux.
func (*Probe) Stop() Result { return Result{} }

// Retire does nothing off Linux.
func (*Probe) Retire(string, time.Time) {}

// Routed is a running routed probe; it needs Linux.
type Routed struct{}

// StartRouted needs Linux.
func StartRouted(RoutedConfig) (*Routed, error) { return nil, ErrUnsupported }

// Last is never anything here.
func (*Routed) Last() (Arrival, bool) { return Arrival{}, false }

// Sent is zero here.
func (*Routed) Sent() uint64 { return 0 }

// Stop returns nothing here.
func (*Routed) Stop() Result { return Result{} }
