package lacp

import (
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var testSrc = net.HardwareAddr{0xda, 0xc8, 0x69, 0xc7, 0x5b, 0x2d}

func TestNewPacketDecodesLACP(t *testing.T) {
	t.Parallel()
	want := lacpduTests[0].pdu
	frame, _ := want.MarshalFrame(testSrc)
	pkt := gopacket.NewPacket(frame, layers.LayerTypeEthernet, gopacket.Default)
	if el := pkt.ErrorLayer(); el != nil {
		require.FailNow(t, "decode error", "%v", el.Error())
	}
	var types []gopacket.LayerType
	for _, l := range pkt.Layers() {
		types = append(types, l.LayerType())
	}
	wantTypes := []gopacket.LayerType{layers.LayerTypeEthernet, LayerTypeSlowProtocols, LayerTypeLACP}
	require.Equal(t, wantTypes, types, "layers")
	got, ok := pkt.Layer(LayerTypeLACP).(*LACPDU)
	require.True(t, ok, "LACP layer = %+v, want %+v", pkt.Layer(LayerTypeLACP), want)
	require.Equal(t, want, *got, "LACP layer")
	assert.Equal(t, frame[HeaderLen:], got.LayerContents(), "LayerContents")
}

func TestNewPacketDecodesMarker(t *testing.T) {
	t.Parallel()
	want := markerTests[0].pdu
	frame, _ := want.MarshalFrame(testSrc)
	pkt := gopacket.NewPacket(frame, layers.LayerTypeEthernet, gopacket.Default)
	got, ok := pkt.Layer(LayerTypeMarker).(*MarkerPDU)
	require.True(t, ok, "Marker layer = %+v (%v), want %+v", pkt.Layer(LayerTypeMarker), pkt.ErrorLayer(), want)
	assert.Equal(t, want, *got, "Marker layer (%v)", pkt.ErrorLayer())
}

func TestNewPacketReportsMalformed(t *testing.T) {
	t.Parallel()
	frame, _ := lacpduTests[0].pdu.MarshalFrame(testSrc)
	frame[HeaderLen+3] = 19 // Actor TLV length
	pkt := gopacket.NewPacket(frame, layers.LayerTypeEthernet, gopacket.Default)
	require.NotNil(t, pkt.ErrorLayer(), "no error layer for a bad Actor TLV length")
	assert.Nil(t, pkt.Layer(LayerTypeLACP), "malformed PDU decoded as an LACP layer")
}

func TestDecodingLayerParser(t *testing.T) {
	t.Parallel()
	var (
		eth    layers.Ethernet
		slow   SlowProtocols
		pdu    LACPDU
		marker MarkerPDU
	)
	parser := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &slow, &pdu, &marker)
	decoded := make([]gopacket.LayerType, 0, 4)

	lacpFrame, _ := lacpduTests[1].pdu.MarshalFrame(testSrc)
	require.NoError(t, parser.DecodeLayers(lacpFrame, &decoded))
	if assert.Len(t, decoded, 3, "decoded %v", decoded) {
		assert.Equal(t, LayerTypeLACP, decoded[2], "decoded %v", decoded)
	}
	assert.Equal(t, lacpduTests[1].pdu, pdu, "decoded LACPDU")
	assert.Equal(t, testSrc, eth.SrcMAC, "Ethernet source")
	assert.Equal(t, net.HardwareAddr(SlowProtocolsAddr[:]), eth.DstMAC, "Ethernet destination")

	markerFrame, _ := markerTests[1].pdu.MarshalFrame(testSrc)
	require.NoError(t, parser.DecodeLayers(markerFrame, &decoded))
	if assert.Len(t, decoded, 3, "decoded %v", decoded) {
		assert.Equal(t, LayerTypeMarker, decoded[2], "decoded %v", decoded)
	}
	assert.Equal(t, markerTests[1].pdu, marker, "decoded Marker PDU")
}

func TestSerializeLayers(t *testing.T) {
	t.Parallel()
	p := lacpduTests[2].pdu
	eth := layers.Ethernet{SrcMAC: testSrc, DstMAC: SlowProtocolsAddr[:], EthernetType: EtherType}
	buf := gopacket.NewSerializeBuffer()
	require.NoError(t, gopacket.SerializeLayers(buf, gopacket.SerializeOptions{}, &eth, &p))
	want, _ := p.MarshalFrame(testSrc)
	assert.Equal(t, want, buf.Bytes(), "SerializeLayers")
}
