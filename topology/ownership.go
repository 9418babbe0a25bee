package topology

import (
	"errors"
	"fmt"
)

// Ownership is a durable record of the namespaces a data plane made, so that
// it deletes only those: never another instance's that merely match its
// prefix (a second `dxsim serve` with another state, a lab). A data plane
// records a namespace before it makes it (a crash in between leaves a
// recorded but absent namespace, which is harmless) and forgets it after it
// deletes it.
//
// With Options.Ownership nil, every namespace matching the prefix is the
// data plane's: labs, whose prefix is their own by construction, and tests.
type Ownership interface {
	// Owned names the recorded namespaces. A nil map, unlike an empty one,
	// means no record was ever started: a state from before records were
	// kept. Then the first Reconcile takes the namespaces of the devices
	// it is asked for as owned (they are what that state made), records
	// them, and so starts the record.
	Owned() (map[string]bool, error)
	// Own records namespaces as the data plane's, durably, before it
	// returns. With no names it starts an empty record.
	Own(names ...string) error
	// Disown forgets namespaces.
	Disown(names ...string) error
}

// ErrNotOwned is matched (errors.Is) by a NotOwnedError.
var ErrNotOwned = errors.New("namespace is not this data plane's")

// NotOwnedError is a namespace the data plane would make or use that exists
// but is not in its record: another instance's with the same prefix.
type NotOwnedError struct {
	Namespace string
}

func (e *NotOwnedError) Error() string {
	return fmt.Sprintf("namespace %s exists but is not in this data plane's record (another dxsim's with the same prefix?); "+
		"left alone: give each instance its own prefix", e.Namespace)
}

// Is makes errors.Is(err, ErrNotOwned) true.
func (e *NotOwnedError) Is(target error) bool { return target == ErrNotOwned }
