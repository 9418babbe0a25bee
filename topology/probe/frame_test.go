package probe

import (
	"errors"
	"net"
	"testing"
	"time"
)

func TestEncodeDecode(t *testing.T) {
	dst := net.HardwareAddr{0x02, 0, 0, 0, 0, 1}
	src := net.HardwareAddr{0x02, 0, 0, 0, 0, 2}
	h := Header{Run: 0x0102030405060708, Seq: 42, Sent: time.Unix(1700000000, 123456789)}
	b := Encode(make([]byte, FrameLen), dst, src, h)
	if len(b) != FrameLen {
		t.Fatalf("frame is %d bytes, want %d", len(b), FrameLen)
	}
	want := []byte{
		0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x88, 0xb5,
		'D', 'X', 'S', 'P', 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 42,
	}
	if string(b[:len(want)]) != string(want) {
		t.Fatalf("frame starts % x, want % x", b[:len(want)], want)
	}
	got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Run != h.Run || got.Seq != h.Seq || !got.Sent.Equal(h.Sent) {
		t.Fatalf("decoded %+v, want %+v", got, h)
	}
	// A frame that still carries an 802.1Q tag decodes the same.
	tagged := append(append(append([]byte(nil), b[:12]...), 0x81, 0x00, 0x00, 0x65), b[12:]...)
	if got, err := Decode(tagged); err != nil || got.Seq != 42 {
		t.Fatalf("tagged: %+v, %v", got, err)
	}
}

func TestDecodeRejects(t *testing.T) {
	good := Encode(make([]byte, FrameLen), nil, nil, Header{Seq: 1})
	for name, f := range map[string][]byte{
		"short":           good[:20],
		"other ethertype": append(append([]byte(nil), good[:12]...), append([]byte{0x88, 0x09}, good[14:]...)...),
		"bad magic":       append(append([]byte(nil), good[:14]...), append([]byte("XXXX"), good[18:]...)...),
	} {
		if _, err := Decode(f); !errors.Is(err, ErrNotProbe) {
			t.Errorf("%s: err %v, want ErrNotProbe", name, err)
		}
	}
}
