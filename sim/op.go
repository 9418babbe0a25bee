package sim

import (
	"fmt"
	"time"
)

//go:generate go tool stringer -type=OpKind,Side,EventKind -linecomment -output=enums_string.go

// OpKind is the kind of interruption an operation puts a connection's link
// through, as the control plane records it and the observer reports it.
type OpKind uint8

const (
	// OpNone is a move that interrupts nothing worth reporting: a LAG's
	// members released as the LAG is deleted, a member deleted.
	OpNone         OpKind = iota // none
	OpAssociate                  // associate
	OpDisassociate               // disassociate
)

// MarshalText writes the kind as its name, as the state and reports keep it.
func (k OpKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads a kind's name; "" is OpNone.
func (k *OpKind) UnmarshalText(b []byte) error {
	for c := OpNone; c <= OpDisassociate; c++ {
		if c.String() == string(b) {
			*k = c
			return nil
		}
	}
	if len(b) == 0 {
		*k = OpNone
		return nil
	}
	return fmt.Errorf("unknown operation kind %q", b)
}

// Move is a port's move between LAGs, as the control plane hands it to the
// data plane: from "" makes a standalone port a member, to "" releases a
// member. Op and Requested say which operation asked for it and when it was
// accepted, so that whoever watches the data plane can report the move as
// that operation's interruption.
type Move struct {
	ConnectionID string    `json:"connectionId"`
	From         string    `json:"from,omitempty"`
	To           string    `json:"to,omitempty"`
	Op           OpKind    `json:"op,omitempty"`
	Requested    time.Time `json:"requested,omitzero"`
}
