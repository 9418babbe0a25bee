package lacp

import (
	"encoding/binary"
	"fmt"
)

// Marker TLV types and length (IEEE 802.1AX-2014 6.5.3.3).
const (
	tlvMarkerInformation = 1
	tlvMarkerResponse    = 2
	markerInfoLen        = 16
	offMarkerTerminator  = 2 + markerInfoLen
)

// MarkerPDU is a Marker protocol PDU (Slow Protocols subtype 2). A
// distributor sends a Marker Information PDU to learn that a link has drained;
// the partner's collector echoes it back as a Marker Response.
type MarkerPDU struct {
	Version uint8
	// Response is true for a Marker Response (TLV type 2), false for
	// Marker Information (TLV type 1).
	Response             bool
	RequesterPort        uint16
	RequesterSystem      SystemID
	RequesterTransaction uint32
}

// Reply returns the Marker Response that answers m: the same information,
// echoed.
func (m MarkerPDU) Reply() MarkerPDU {
	m.Response = true
	return m
}

func (m MarkerPDU) String() string {
	kind := "Information"
	if m.Response {
		kind = "Response"
	}
	return fmt.Sprintf("Marker %s (port %d, system %s, transaction %d)", kind, m.RequesterPort, m.RequesterSystem, m.RequesterTransaction)
}

// UnmarshalBinary decodes a Marker PDU from b, the bytes after the EtherType.
// It does not retain b.
func (m *MarkerPDU) UnmarshalBinary(b []byte) error {
	_, err := m.decode(b)
	return err
}

func (m *MarkerPDU) decode(b []byte) (int, error) {
	if len(b) < 1 {
		return 0, ErrTruncated
	}
	if Subtype(b[0]) != SubtypeMarker {
		return 0, fmt.Errorf("%w: %d, want %d", ErrBadSubtype, b[0], SubtypeMarker)
	}
	if len(b) < PDULen {
		return 0, ErrTruncated
	}
	t, l := b[2], b[3]
	if t != tlvMarkerInformation && t != tlvMarkerResponse {
		return 0, &TLVError{Offset: 2, Type: t, Length: l, Err: ErrBadTLVType}
	}
	if l != markerInfoLen {
		return 0, &TLVError{Offset: 2, Type: t, Length: l, Err: ErrBadTLVLength}
	}
	if err := checkTLV(b, offMarkerTerminator, tlvTerminator, 0); err != nil {
		return 0, err
	}
	m.Version = b[1]
	m.Response = t == tlvMarkerResponse
	m.RequesterPort = binary.BigEndian.Uint16(b[4:])
	copy(m.RequesterSystem[:], b[6:12])
	m.RequesterTransaction = binary.BigEndian.Uint32(b[12:])
	return PDULen, nil
}

// MarshalBinary encodes m as the PDULen bytes that follow the EtherType.
func (m *MarkerPDU) MarshalBinary() ([]byte, error) {
	return m.AppendBinary(make([]byte, 0, PDULen))
}

// AppendBinary appends the encoding of m to b.
func (m *MarkerPDU) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, make([]byte, PDULen)...)
	m.put(b[len(b)-PDULen:])
	return b, nil
}

func (m *MarkerPDU) put(b []byte) {
	_ = b[PDULen-1]
	b[0], b[1] = byte(SubtypeMarker), m.Version
	b[2], b[3] = tlvMarkerInformation, markerInfoLen
	if m.Response {
		b[2] = tlvMarkerResponse
	}
	binary.BigEndian.PutUint16(b[4:], m.RequesterPort)
	copy(b[6:12], m.RequesterSystem[:])
	binary.BigEndian.PutUint32(b[12:], m.RequesterTransaction)
	clear(b[16:PDULen])
}
