package lacp

import (
	"errors"
	"fmt"
	"io"
)

// Sentinel errors of the decoders. Callers branch on them with errors.Is;
// the decoders wrap them with detail (%w) where detail helps.
var (
	// ErrTruncated is returned for input shorter than its PDU. It wraps
	// io.ErrUnexpectedEOF, so errors.Is(err, io.ErrUnexpectedEOF) holds too.
	ErrTruncated = fmt.Errorf("lacp: truncated PDU: %w", io.ErrUnexpectedEOF)
	// ErrBadSubtype is returned when the Slow Protocols subtype is not the
	// one the decoder reads (1 for an LACPDU, 2 for a Marker PDU).
	ErrBadSubtype = errors.New("lacp: wrong Slow Protocols subtype")
	// ErrBadTLVType is returned when a TLV is not the type its position
	// requires (802.1AX-2014 6.4.2.3: Actor, Partner, Collector, Terminator).
	ErrBadTLVType = errors.New("lacp: wrong TLV type")
	// ErrBadTLVLength is returned when a TLV's length is not the one its
	// type requires (20, 20, 16, 0; 16 for Marker TLVs).
	ErrBadTLVLength = errors.New("lacp: wrong TLV length")
	// ErrNotSlowProtocols is returned for a frame whose EtherType is not
	// 0x8809.
	ErrNotSlowProtocols = errors.New("lacp: not a Slow Protocols frame")
	// ErrBadAddress is returned when a frame is built with a source address
	// that is not a 6-byte MAC.
	ErrBadAddress = errors.New("lacp: source address is not a 6-byte MAC")
)

// TLVError says which TLV of a PDU is malformed. It unwraps to ErrBadTLVType
// or ErrBadTLVLength.
type TLVError struct {
	Offset int   // offset of the TLV in the PDU (the subtype is offset 0)
	Type   uint8 // type found
	Length uint8 // length found
	Err    error // ErrBadTLVType or ErrBadTLVLength
}

func (e *TLVError) Error() string {
	return fmt.Sprintf("%v: TLV at offset %d has type %d, length %d", e.Err, e.Offset, e.Type, e.Length)
}

func (e *TLVError) Unwrap() error { return e.Err }
