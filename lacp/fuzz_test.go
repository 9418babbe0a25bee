package lacp

import (
	"errors"
	"io"
	"os"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
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
			if err != nil {
				t.Fatal(err)
			}
			var q LACPDU
			if err := q.UnmarshalBinary(out); err != nil || q != p {
				t.Fatalf("LACPDU round trip: %+v -> %x -> %+v, %v", p, out, q, err)
			}
		}
		var m MarkerPDU
		if err := m.UnmarshalBinary(b); err == nil {
			out, _ := m.MarshalBinary()
			var n MarkerPDU
			if err := n.UnmarshalBinary(out); err != nil || n != m {
				t.Fatalf("Marker round trip: %+v -> %x -> %+v, %v", m, out, n, err)
			}
		}

		frame := append(append(SlowProtocolsAddr[:0:0], SlowProtocolsAddr[:]...), 2, 0, 0, 0, 0, 1, 0x88, 0x09)
		frame = append(frame, b...)
		if err := parser.DecodeLayers(frame, &decoded); err == nil && len(decoded) == 3 && decoded[2] == LayerTypeLACP && dlpPDU != p {
			t.Fatalf("DecodingLayerParser %+v, UnmarshalBinary %+v", dlpPDU, p)
		}
		pkt := gopacket.NewPacket(frame, layers.LayerTypeEthernet, gopacket.NoCopy)
		if l, ok := pkt.Layer(LayerTypeLACP).(*LACPDU); ok && *l != p {
			t.Fatalf("NewPacket %+v, UnmarshalBinary %+v", *l, p)
		}
		if _, st, pdu, err := ParseFrame(frame); len(b) > 0 && (err != nil || st != Subtype(b[0]) || len(pdu) != len(b)) {
			t.Fatalf("ParseFrame = %v, %d bytes, %v", st, len(pdu), err)
		}
	})
}

// goldenFrames returns the frames of the golden Linux capture.
func goldenFrames(tb testing.TB) [][]byte {
	tb.Helper()
	f, err := os.Open(goldenPcap)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	var frames [][]byte
	for {
		data, _, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return frames
		}
		if err != nil {
			tb.Fatal(err)
		}
		frames = append(frames, data)
	}
}
