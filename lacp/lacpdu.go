package lacp

//go:generate go tool stringer -type=Subtype -linecomment -output=enums_string.go

import (
	"encoding/binary"
	"fmt"
)

// Subtype is the first octet of a Slow Protocols PDU (IEEE 802.3 Annex 57A).
type Subtype uint8

// Slow Protocols subtypes dxsim decodes.
const (
	SubtypeLACP   Subtype = 1 // LACP
	SubtypeMarker Subtype = 2 // Marker
)

// Version is the LACP version dxsim speaks.
const Version = 1

// PDULen is the length of an LACPDU or Marker PDU, from the subtype to the
// end of the reserved octets: the bytes that follow the EtherType.
const PDULen = 110

// TLV types and lengths of an LACPDU (IEEE 802.1AX-2014 6.4.2.3).
const (
	tlvTerminator = 0
	tlvActor      = 1
	tlvPartner    = 2
	tlvCollector  = 3

	infoLen      = 20
	collectorLen = 16

	offActor      = 2
	offPartner    = offActor + infoLen
	offCollector  = offPartner + infoLen
	offTerminator = offCollector + collectorLen
)

// UnmarshalBinary decodes an LACPDU from b, the bytes after the EtherType.
// It checks what 802.1AX receivers check: the subtype and the type and length
// of each TLV, not the version; a version 2 PDU may carry further TLVs before
// its Terminator, which are skipped. It does not retain b.
func (p *LACPDU) UnmarshalBinary(b []byte) error {
	_, err := p.decode(b)
	return err
}

// decode decodes b into p and returns the length of the PDU in b.
func (p *LACPDU) decode(b []byte) (int, error) {
	if len(b) < 1 {
		return 0, ErrTruncated
	}
	if Subtype(b[0]) != SubtypeLACP {
		return 0, fmt.Errorf("%w: %d, want %d", ErrBadSubtype, b[0], SubtypeLACP)
	}
	if len(b) < PDULen {
		return 0, ErrTruncated
	}
	if err := checkTLV(b, offActor, tlvActor, infoLen); err != nil {
		return 0, err
	}
	if err := checkTLV(b, offPartner, tlvPartner, infoLen); err != nil {
		return 0, err
	}
	if err := checkTLV(b, offCollector, tlvCollector, collectorLen); err != nil {
		return 0, err
	}
	n, err := skipToTerminator(b, offTerminator, b[1] > 1)
	if err != nil {
		return 0, err
	}
	p.Version = b[1]
	p.Actor.decode(b[offActor+2:])
	p.Partner.decode(b[offPartner+2:])
	p.CollectorMaxDelay = binary.BigEndian.Uint16(b[offCollector+2:])
	return n, nil
}

// checkTLV checks the TLV header at b[off:].
func checkTLV(b []byte, off int, typ, length uint8) error {
	t, l := b[off], b[off+1]
	switch {
	case t != typ:
		return &TLVError{Offset: off, Type: t, Length: l, Err: ErrBadTLVType}
	case l != length:
		return &TLVError{Offset: off, Type: t, Length: l, Err: ErrBadTLVLength}
	}
	return nil
}

// skipToTerminator walks the TLVs from b[off:] to the Terminator TLV and
// returns the PDU's length: through the Terminator, and at least PDULen.
// Only when extra is true may TLVs other than the Terminator appear.
func skipToTerminator(b []byte, off int, extra bool) (int, error) {
	for {
		if off+2 > len(b) {
			return 0, ErrTruncated
		}
		t, l := b[off], b[off+1]
		if t == tlvTerminator {
			if l != 0 {
				return 0, &TLVError{Offset: off, Type: t, Length: l, Err: ErrBadTLVLength}
			}
			return max(off+2, PDULen), nil
		}
		if !extra {
			return 0, &TLVError{Offset: off, Type: t, Length: l, Err: ErrBadTLVType}
		}
		if l < 2 {
			return 0, &TLVError{Offset: off, Type: t, Length: l, Err: ErrBadTLVLength}
		}
		off += int(l)
	}
}

func (i *PortInfo) decode(b []byte) {
	_ = b[14]
	i.SystemPriority = binary.BigEndian.Uint16(b[0:])
	copy(i.System[:], b[2:8])
	i.Key = binary.BigEndian.Uint16(b[8:])
	i.PortPriority = binary.BigEndian.Uint16(b[10:])
	i.Port = binary.BigEndian.Uint16(b[12:])
	i.State = State(b[14])
}

func (i *PortInfo) encode(b []byte) {
	_ = b[17]
	binary.BigEndian.PutUint16(b[0:], i.SystemPriority)
	copy(b[2:8], i.System[:])
	binary.BigEndian.PutUint16(b[8:], i.Key)
	binary.BigEndian.PutUint16(b[10:], i.PortPriority)
	binary.BigEndian.PutUint16(b[12:], i.Port)
	b[14] = byte(i.State)
	b[15], b[16], b[17] = 0, 0, 0
}

// MarshalBinary encodes p as the PDULen bytes that follow the EtherType.
// Version is written as it is: set it to Version.
func (p *LACPDU) MarshalBinary() ([]byte, error) {
	return p.AppendBinary(make([]byte, 0, PDULen))
}

// AppendBinary appends the encoding of p to b.
func (p *LACPDU) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, make([]byte, PDULen)...)
	p.put(b[len(b)-PDULen:])
	return b, nil
}

// put writes p into b, which is PDULen bytes long.
func (p *LACPDU) put(b []byte) {
	_ = b[PDULen-1]
	b[0], b[1] = byte(SubtypeLACP), p.Version
	b[offActor], b[offActor+1] = tlvActor, infoLen
	p.Actor.encode(b[offActor+2:])
	b[offPartner], b[offPartner+1] = tlvPartner, infoLen
	p.Partner.encode(b[offPartner+2:])
	b[offCollector], b[offCollector+1] = tlvCollector, collectorLen
	binary.BigEndian.PutUint16(b[offCollector+2:], p.CollectorMaxDelay)
	clear(b[offCollector+4 : PDULen])
}
