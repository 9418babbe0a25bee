package topology

import (
	"errors"
	"fmt"
)

// ErrNotFound is matched (errors.Is) by a NotFoundError.
var ErrNotFound = errors.New("not found")

// NotFoundError names an object the data plane does not know.
type NotFoundError struct {
	Kind string // "connection", "LAG", "VLAN", "device"
	ID   string
}

func (e *NotFoundError) Error() string { return fmt.Sprintf("%s %s not found", e.Kind, e.ID) }

// Is makes errors.Is(err, ErrNotFound) true.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// ErrUnsupported is matched (errors.Is) by an UnsupportedError.
var ErrUnsupported = errors.New("unsupported by this data-plane backend")

// UnsupportedError is an operation the chosen backend cannot do here.
type UnsupportedError struct {
	Backend string // "kernel", "userspace"
	Op      string // e.g. "create LAG"
	Reason  string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("%s backend cannot %s: %s", e.Backend, e.Op, e.Reason)
}

// Is makes errors.Is(err, ErrUnsupported) true.
func (e *UnsupportedError) Is(target error) bool { return target == ErrUnsupported }

// MissingFeatureError says the kernel lacks a module a backend needs: asking
// for the kernel backend where bonding or 802.1Q is missing.
type MissingFeatureError struct {
	Module string // "bonding", "8021q"
	Err    error  // what the kernel answered
}

func (e *MissingFeatureError) Error() string {
	return fmt.Sprintf("kernel has no %s module (probe: %v)", e.Module, e.Err)
}

func (e *MissingFeatureError) Unwrap() error { return e.Err }
