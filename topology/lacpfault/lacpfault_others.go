//go:build !linux

package lacpfault

import "github.com/vishvananda/netns"

// Set fails: tc and eBPF are Linux's.
func Set(netns.NsHandle, string, Fault) error { return ErrUnsupported }

// Clear fails: tc and eBPF are Linux's.
func Clear(netns.NsHandle, string) error { return ErrUnsupported }

// Stats fails: tc and eBPF are Linux's.
func Stats(netns.NsHandle, string) (Counters, error) { return Counters{}, ErrUnsupported }
