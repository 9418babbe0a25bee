package lacp

import (
	"errors"
	"io"
	"os"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/stretchr/testify/require"
)

// FuzzDecode feeds arbitrary bytes after an Ethernet header to every decoding
// path: nothing may panic, and whatever decodes must survive a round trip.
// Crashers found by `go test -fuzz FuzzDecode ./lacp/` land in
// testdata/fuzz/FuzzDecode and stay as regression inputs.
func FuzzDecode(f *testing.F) {
	for _, tc := range lacpduTests {
		f.Add(pad(unhex(f, tc.wire)))
	}
	for _, tc := range markerTests {
		f.Add(pad(unhex(f, tc.wire)))
	}
	f.Add([]byte{1})
	f.Add([]byte{})
	for _, frame := range goldenFrames(f) {
		f.Add(frame[HeaderLen:])
	}

	var (
		eth    layers.Ethernet
		slow   SlowProtocols
		dlpPDU LACPDU
		marker MarkerPDU
	)
	parser := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &slow, &dlpPDU, &marker)
	parser.IgnorePanic = true // let a panic fail the fuzz run
	decoded := make([]gopacket.LayerType, 0, 4)

	f.Fuzz(func(t *testing.T, b []byte) {
		var p LACPDU
		if err := p.UnmarshalBinary(b); err == nil {
			out, err := p.MarshalBinary()
			require.NoError(t, err)
			var q LACPDU
			require.NoError(t, q.UnmarshalBinary(out), "LACPDU round trip: %+v -> %x", p, out)
			require.Equal(t, p, q, "LACPDU round trip: %+v -> %x", p, out)
		}
		var m MarkerPDU
		if err := m.UnmarshalBinary(b); err == nil {
			out, _ := m.MarshalBinary()
			var n MarkerPDU
			require.NoError(t, n.UnmarshalBinary(out), "Marker round trip: %+v -> %x", m, out)
			require.Equal(t, m, n, "Marker round trip: %+v -> %x", m, out)
		}

		frame := append(append(SlowProtocolsAddr[:0:0], SlowProtocolsAddr[:]...), 2, 0, 0, 0, 0, 1, 0x88, 0x09)
		frame = append(frame, b...)
		if err := parser.DecodeLayers(frame, &decoded); err == nil && len(decoded) == 3 && decoded[2] == LayerTypeLACP {
			require.Equal(t, p, dlpPDU, "DecodingLayerParser against UnmarshalBinary")
		}
		pkt := gopacket.NewPacket(frame, layers.LayerTypeEthernet, gopacket.NoCopy)
		if l, ok := pkt.Layer(LayerTypeLACP).(*LACPDU); ok {
			require.Equal(t, p, *l, "NewPacket against UnmarshalBinary")
		}
		_, st, pdu, err := ParseFrame(frame)
		if len(b) > 0 {
			require.NoError(t, err, "ParseFrame")
			require.Equal(t, Subtype(b[0]), st, "ParseFrame subtype")
			require.Len(t, pdu, len(b), "ParseFrame PDU")
		}
	})
}

// goldenFrames returns the frames of the golden Linux capture.
func goldenFrames(tb testing.TB) [][]byte {
	tb.Helper()
	f, err := os.Open(goldenPcap)
	require.NoError(tb, err)
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	require.NoError(tb, err)
	var frames [][]byte
	for {
		data, _, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return frames
		}
		require.NoError(tb, err)
		frames = append(frames, data)
	}
}
