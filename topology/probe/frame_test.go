package probe

import (
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEncodeDecode(t *testing.T) {
	t.Parallel()
	dst := net.HardwareAddr{0x02, 0, 0, 0, 0, 1}
	src := net.HardwareAddr{0x02, 0, 0, 0, 0, 2}
	h := Header{Run: 0x0102030405060708, Seq: 42, Sent: time.Unix(1700000000, 123456789)}
	b := Encode(make([]byte, FrameLen), dst, src, h)
	require.Len(t, b, FrameLen, "frame length")
	want := []byte{
		0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x88, 0xb5,
		'D', 'X', 'S', 'P', 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 42,
	}
	require.Equal(t, want, b[:len(want)], "frame start")
	got, err := Decode(b)
	require.NoError(t, err)
	assert.Equal(t, h.Run, got.Run, "decoded run")
	assert.Equal(t, h.Seq, got.Seq, "decoded seq")
	assert.True(t, got.Sent.Equal(h.Sent), "decoded sent %v, want %v", got.Sent, h.Sent)
	// A frame that still carries an 802.1Q tag decodes the same.
	tagged := append(append(append([]byte(nil), b[:12]...), 0x81, 0x00, 0x00, 0x65), b[12:]...)
	got, err = Decode(tagged)
	require.NoError(t, err, "tagged")
	assert.Equal(t, uint64(42), got.Seq, "tagged: %+v", got)
}

func TestDecodeRejects(t *testing.T) {
	t.Parallel()
	good := Encode(make([]byte, FrameLen), nil, nil, Header{Seq: 1})
	for name, f := range map[string][]byte{
		"short":           good[:20],
		"other ethertype": append(append([]byte(nil), good[:12]...), append([]byte{0x88, 0x09}, good[14:]...)...),
		"bad magic":       append(append([]byte(nil), good[:14]...), append([]byte("XXXX"), good[18:]...)...),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := Decode(f)
			assert.ErrorIs(t, err, ErrNotProbe)
		})
	}
}
