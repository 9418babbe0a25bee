package lacp

import (
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/stretchr/testify/require"
)

// The decode paths, fastest first. Run with
//
//	go test -run '^$' -bench . -benchmem ./lacp/

func benchFrame(b *testing.B) []byte {
	frame, err := lacpduTests[0].pdu.MarshalFrame(testSrc)
	require.NoError(b, err)
	return frame
}

func BenchmarkUnmarshalBinary(b *testing.B) {
	pdu := benchFrame(b)[HeaderLen:]
	var p LACPDU
	b.ReportAllocs()
	b.SetBytes(int64(len(pdu)))
	for b.Loop() {
		if err := p.UnmarshalBinary(pdu); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodingLayerParser(b *testing.B) { benchParser(b, nil) }

// A sparse container finds each layer's decoder by indexing a slice rather
// than a map.
func BenchmarkDecodingLayerParserSparse(b *testing.B) {
	benchParser(b, gopacket.DecodingLayerSparse(nil))
}

func benchParser(b *testing.B, container gopacket.DecodingLayerContainer) {
	frame := benchFrame(b)
	var (
		eth    layers.Ethernet
		slow   SlowProtocols
		pdu    LACPDU
		marker MarkerPDU
	)
	parser := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet)
	if container == nil {
		container = gopacket.DecodingLayerMap(map[gopacket.LayerType]gopacket.DecodingLayer{})
	}
	for _, d := range []gopacket.DecodingLayer{&eth, &slow, &pdu, &marker} {
		container = container.Put(d)
	}
	parser.SetDecodingLayerContainer(container)
	decoded := make([]gopacket.LayerType, 0, 4)
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if err := parser.DecodeLayers(frame, &decoded); err != nil {
			b.Fatal(err)
		}
	}
	require.Equal(b, uint16(1), pdu.Actor.Port, "decoded %+v", pdu)
}

func BenchmarkNewPacket(b *testing.B) {
	frame := benchFrame(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		pkt := gopacket.NewPacket(frame, layers.LayerTypeEthernet, gopacket.NoCopy)
		if pkt.Layer(LayerTypeLACP) == nil {
			b.Fatal(pkt.ErrorLayer())
		}
	}
}

func BenchmarkMarshalFrame(b *testing.B) {
	p := lacpduTests[0].pdu
	buf := make([]byte, 0, FrameLen)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = p.AppendFrame(buf[:0], testSrc); err != nil {
			b.Fatal(err)
		}
	}
}
