//go:build !linux

package nsthread

import "github.com/vishvananda/netns"

// Do runs fn where there is nothing to enter (ns 0) and fails otherwise.
func Do(ns netns.NsHandle, fn func() error) error {
	if ns == 0 {
		return fn()
	}
	return ErrUnsupported
}

// NewNamed fails off Linux.
func NewNamed(string) (netns.NsHandle, error) { return netns.None(), ErrUnsupported }
