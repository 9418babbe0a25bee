// Package lacp is dxsim's Link Aggregation Control Protocol codec: LACPDUs and
// Marker PDUs (IEEE 802.1AX, Slow Protocols EtherType 0x8809) as gopacket
// layers, usable through gopacket.NewPacket and, allocation-free, as
// DecodingLayers in a gopacket.DecodingLayerParser.
//
// Without gopacket, LACPDU and MarkerPDU have MarshalBinary and UnmarshalBinary
// on the PDU bytes after the EtherType, MarshalFrame and AppendFrame build the
// whole Ethernet frame, and ParseFrame splits a received one. Decoding errors
// wrap the sentinels ErrTruncated (an io.ErrUnexpectedEOF), ErrBadSubtype,
// ErrBadTLVType and ErrBadTLVLength.
//
// The 802.1AX state machines live in lacp/engine, capture in topology/capture and
// the conversation verifier in lacp/verify.
package lacp
