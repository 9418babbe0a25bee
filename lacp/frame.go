package lacp

import (
	"encoding/binary"
	"net"
)

// EtherType is the Slow Protocols EtherType, which carries LACP and Marker
// PDUs.
const EtherType = 0x8809

// Ethernet framing of Slow Protocols PDUs: no VLAN tag, no padding (a PDU
// already fills the minimum frame).
const (
	HeaderLen = 14
	FrameLen  = HeaderLen + PDULen
)

// SlowProtocolsAddr is the destination of every Slow Protocols frame,
// 01:80:c2:00:00:02, which bridges never forward.
var SlowProtocolsAddr = [6]byte{0x01, 0x80, 0xc2, 0x00, 0x00, 0x02}

// AppendFrame appends the Ethernet frame that carries p from the port whose
// MAC is src: FrameLen bytes.
func (p *LACPDU) AppendFrame(b []byte, src net.HardwareAddr) ([]byte, error) {
	b, err := appendHeader(b, src)
	if err != nil {
		return nil, err
	}
	return p.AppendBinary(b)
}

// MarshalFrame returns the Ethernet frame that carries p from the port whose
// MAC is src.
func (p *LACPDU) MarshalFrame(src net.HardwareAddr) ([]byte, error) {
	return p.AppendFrame(make([]byte, 0, FrameLen), src)
}

// AppendFrame appends the Ethernet frame that carries m from the port whose
// MAC is src.
func (m *MarkerPDU) AppendFrame(b []byte, src net.HardwareAddr) ([]byte, error) {
	b, err := appendHeader(b, src)
	if err != nil {
		return nil, err
	}
	return m.AppendBinary(b)
}

// MarshalFrame returns the Ethernet frame that carries m from the port whose
// MAC is src.
func (m *MarkerPDU) MarshalFrame(src net.HardwareAddr) ([]byte, error) {
	return m.AppendFrame(make([]byte, 0, FrameLen), src)
}

func appendHeader(b []byte, src net.HardwareAddr) ([]byte, error) {
	if len(src) != 6 {
		return nil, ErrBadAddress
	}
	b = append(b, SlowProtocolsAddr[:]...)
	b = append(b, src...)
	return binary.BigEndian.AppendUint16(b, EtherType), nil
}

// ParseFrame splits an untagged Ethernet frame carrying a Slow Protocols PDU
// into its source MAC, the PDU's subtype and the PDU bytes (from the subtype
// on), for LACPDU.UnmarshalBinary or MarkerPDU.UnmarshalBinary. The returned
// slices alias frame.
func ParseFrame(frame []byte) (src net.HardwareAddr, subtype Subtype, pdu []byte, err error) {
	if len(frame) < HeaderLen+1 {
		return nil, 0, nil, ErrTruncated
	}
	if binary.BigEndian.Uint16(frame[12:]) != EtherType {
		return nil, 0, nil, ErrNotSlowProtocols
	}
	return net.HardwareAddr(frame[6:12]), Subtype(frame[HeaderLen]), frame[HeaderLen:], nil
}
