package lacp

import (
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// gopacket layer types of the Slow Protocols (numbers 1000-1999 are for
// applications; 1808-1810 echo the EtherType 0x8809).
var (
	LayerTypeSlowProtocols = gopacket.RegisterLayerType(1808, gopacket.LayerTypeMetadata{
		Name: "SlowProtocols", Decoder: gopacket.DecodeFunc(decodeSlowProtocols)})
	LayerTypeLACP = gopacket.RegisterLayerType(1809, gopacket.LayerTypeMetadata{
		Name: "LACP", Decoder: gopacket.DecodeFunc(decodeLACP)})
	LayerTypeMarker = gopacket.RegisterLayerType(1810, gopacket.LayerTypeMetadata{
		Name: "Marker", Decoder: gopacket.DecodeFunc(decodeMarker)})
)

// Importing this package maps EtherType 0x8809 to the Slow Protocols layer,
// so layers.Ethernet hands such frames to it, both in gopacket.NewPacket and
// in a DecodingLayerParser.
func init() {
	layers.EthernetTypeMetadata[EtherType] = layers.EnumMetadata{
		DecodeWith: LayerTypeSlowProtocols,
		Name:       "SlowProtocols",
		LayerType:  LayerTypeSlowProtocols,
	}
}

// SlowProtocols is the dispatch layer of EtherType 0x8809: it reads the
// subtype and hands the whole PDU, subtype included (each PDU's format starts
// with it), to the LACP or Marker layer. Its Contents is the subtype octet and
// its Payload the whole PDU.
type SlowProtocols struct {
	layers.BaseLayer
	Subtype Subtype
}

// Compile-time checks that the layers plug into gopacket.
var (
	_ gopacket.DecodingLayer     = (*SlowProtocols)(nil)
	_ gopacket.DecodingLayer     = (*LACPDU)(nil)
	_ gopacket.DecodingLayer     = (*MarkerPDU)(nil)
	_ gopacket.SerializableLayer = (*LACPDU)(nil)
	_ gopacket.SerializableLayer = (*MarkerPDU)(nil)
	_ gopacket.Layer             = (*SlowProtocols)(nil)
)

func (*SlowProtocols) LayerType() gopacket.LayerType { return LayerTypeSlowProtocols }

// CanDecode implements gopacket.DecodingLayer.
func (*SlowProtocols) CanDecode() gopacket.LayerClass { return LayerTypeSlowProtocols }

// NextLayerType implements gopacket.DecodingLayer.
func (s *SlowProtocols) NextLayerType() gopacket.LayerType {
	switch s.Subtype {
	case SubtypeLACP:
		return LayerTypeLACP
	case SubtypeMarker:
		return LayerTypeMarker
	}
	return gopacket.LayerTypePayload
}

// DecodeFromBytes implements gopacket.DecodingLayer.
func (s *SlowProtocols) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < 1 {
		df.SetTruncated()
		return ErrTruncated
	}
	s.Subtype = Subtype(data[0])
	s.Contents, s.Payload = data[:1], data
	return nil
}

// The PDU types stay plain comparable values (an engine compares what it
// would say with what it last said), so they keep no slices of the decoded
// bytes: LayerContents re-encodes, and LayerPayload is empty.

// LayerType implements gopacket.Layer.
func (*LACPDU) LayerType() gopacket.LayerType { return LayerTypeLACP }

// LayerContents implements gopacket.Layer: the PDU as p encodes.
func (p *LACPDU) LayerContents() []byte { b, _ := p.MarshalBinary(); return b }

// LayerPayload implements gopacket.Layer: an LACPDU carries no payload.
func (*LACPDU) LayerPayload() []byte { return nil }

// CanDecode implements gopacket.DecodingLayer.
func (*LACPDU) CanDecode() gopacket.LayerClass { return LayerTypeLACP }

// NextLayerType implements gopacket.DecodingLayer.
func (*LACPDU) NextLayerType() gopacket.LayerType { return gopacket.LayerTypeZero }

// DecodeFromBytes implements gopacket.DecodingLayer. It does not retain data.
func (p *LACPDU) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	return feedback(p.UnmarshalBinary(data), df)
}

// SerializeTo implements gopacket.SerializableLayer.
func (p *LACPDU) SerializeTo(b gopacket.SerializeBuffer, _ gopacket.SerializeOptions) error {
	buf, err := b.PrependBytes(PDULen)
	if err != nil {
		return err
	}
	p.put(buf)
	return nil
}

// LayerType implements gopacket.Layer.
func (*MarkerPDU) LayerType() gopacket.LayerType { return LayerTypeMarker }

// LayerContents implements gopacket.Layer: the PDU as m encodes.
func (m *MarkerPDU) LayerContents() []byte { b, _ := m.MarshalBinary(); return b }

// LayerPayload implements gopacket.Layer: a Marker PDU carries no payload.
func (*MarkerPDU) LayerPayload() []byte { return nil }

// CanDecode implements gopacket.DecodingLayer.
func (*MarkerPDU) CanDecode() gopacket.LayerClass { return LayerTypeMarker }

// NextLayerType implements gopacket.DecodingLayer.
func (*MarkerPDU) NextLayerType() gopacket.LayerType { return gopacket.LayerTypeZero }

// DecodeFromBytes implements gopacket.DecodingLayer. It does not retain data.
func (m *MarkerPDU) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	return feedback(m.UnmarshalBinary(data), df)
}

// SerializeTo implements gopacket.SerializableLayer.
func (m *MarkerPDU) SerializeTo(b gopacket.SerializeBuffer, _ gopacket.SerializeOptions) error {
	buf, err := b.PrependBytes(PDULen)
	if err != nil {
		return err
	}
	m.put(buf)
	return nil
}

func feedback(err error, df gopacket.DecodeFeedback) error {
	if err == ErrTruncated {
		df.SetTruncated()
	}
	return err
}

// The gopacket.NewPacket decoders go through the DecodingLayer interface, as
// gopacket/layers does, which also keeps the layer-type variables free of an
// initialization cycle.
func decodeSlowProtocols(data []byte, p gopacket.PacketBuilder) error {
	return decodeLayer(&SlowProtocols{}, data, p)
}

func decodeLACP(data []byte, p gopacket.PacketBuilder) error {
	return decodeLayer(&LACPDU{}, data, p)
}

func decodeMarker(data []byte, p gopacket.PacketBuilder) error {
	return decodeLayer(&MarkerPDU{}, data, p)
}

type decodingLayer interface {
	gopacket.DecodingLayer
	gopacket.Layer
}

func decodeLayer(d decodingLayer, data []byte, p gopacket.PacketBuilder) error {
	if err := d.DecodeFromBytes(data, p); err != nil {
		return err
	}
	p.AddLayer(d)
	next := d.NextLayerType()
	if next == gopacket.LayerTypeZero {
		return nil
	}
	return p.NextDecoder(next)
}
