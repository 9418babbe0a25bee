package lacp

import (
	"bytes"
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

var testSrc = net.HardwareAddr{0xda, 0xc8, 0x69, 0xc7, 0x5b, 0x2d}

func TestNewPacketDecodesLACP(t *testing.T) {
	want := lacpduTests[0].pdu
	frame, _ := want.MarshalFrame(testSrc)
	pkt := gopacket.NewPacket(frame, layers.LayerTypeEthernet, gopacket.Default)
	if el := pkt.ErrorLayer(); el != nil {
		t.Fatalf("decode error: %v", el.Error())
	}
	var types []gopacket.LayerType
	for _, l := range pkt.Layers() {
		types = append(types, l.LayerType())
	}
	wantTypes := []gopacket.LayerType{layers.LayerTypeEthernet, LayerTypeSlowProtocols, LayerTypeLACP}
	if len(types) != len(wantTypes) || types[0] != wantTypes[0] || types[1] != wantTypes[1] || types[2] != wantTypes[2] {
		t.Fatalf("layers = %v, want %v", types, wantTypes)
	}
	got, ok := pkt.Layer(LayerTypeLACP).(*LACPDU)
	if !ok || *got != want {
		t.Fatalf("LACP layer = %+v, want %+v", got, want)
	}
	if !bytes.Equal(got.LayerContents(), frame[HeaderLen:]) {
		t.Errorf("LayerContents = %x", got.LayerContents())
	}
}

func TestNewPacketDecodesMarker(t *testing.T) {
	want := markerTests[0].pdu
	frame, _ := want.MarshalFrame(testSrc)
	pkt := gopacket.NewPacket(frame, layers.LayerTypeEthernet, gopacket.Default)
	got, ok := pkt.Layer(LayerTypeMarker).(*MarkerPDU)
	if !ok || *got != want {
		t.Fatalf("Marker layer = %+v (%v), want %+v", got, pkt.ErrorLayer(), want)
	}
}

func TestNewPacketReportsMalformed(t *testing.T) {
	frame, _ := lacpduTests[0].pdu.MarshalFrame(testSrc)
	frame[HeaderLen+3] = 19 // Actor TLV length
	pkt := gopacket.NewPacket(frame, layers.LayerTypeEthernet, gopacket.Default)
	if pkt.ErrorLayer() == nil {
		t.Fatal("no error layer for a bad Actor TLV length")
	}
	if pkt.Layer(LayerTypeLACP) != nil {
		t.Error("malformed PDU decoded as an LACP layer")
	}
}

func TestDecodingLayerParser(t *testing.T) {
	var (
		eth    layers.Ethernet
		slow   SlowProtocols
		pdu    LACPDU
		marker MarkerPDU
	)
	parser := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &slow, &pdu, &marker)
	decoded := make([]gopacket.LayerType, 0, 4)

	lacpFrame, _ := lacpduTests[1].pdu.MarshalFrame(testSrc)
	if err := parser.DecodeLayers(lacpFrame, &decoded); err != nil {
		t.Fatal(err)
	}
	if len(decoded) != 3 || decoded[2] != LayerTypeLACP || pdu != lacpduTests[1].pdu {
		t.Errorf("decoded %v, %+v", decoded, pdu)
	}
	if !bytes.Equal(eth.SrcMAC, testSrc) || !bytes.Equal(eth.DstMAC, SlowProtocolsAddr[:]) {
		t.Errorf("Ethernet %v -> %v", eth.SrcMAC, eth.DstMAC)
	}

	markerFrame, _ := markerTests[1].pdu.MarshalFrame(testSrc)
	if err := parser.DecodeLayers(markerFrame, &decoded); err != nil {
		t.Fatal(err)
	}
	if len(decoded) != 3 || decoded[2] != LayerTypeMarker || marker != markerTests[1].pdu {
		t.Errorf("decoded %v, %+v", decoded, marker)
	}
}

func TestSerializeLayers(t *testing.T) {
	p := lacpduTests[2].pdu
	eth := layers.Ethernet{SrcMAC: testSrc, DstMAC: SlowProtocolsAddr[:], EthernetType: EtherType}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{}, &eth, &p); err != nil {
		t.Fatal(err)
	}
	want, _ := p.MarshalFrame(testSrc)
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("SerializeLayers:\n got %x\nwant %x", buf.Bytes(), want)
	}
}
