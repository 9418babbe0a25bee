package userspace

import (
	"hash/fnv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTagUntagRoundTrip(t *testing.T) {
	t.Parallel()
	frame := []byte{
		1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 16, // MACs
		0x08, 0x00, 0xde, 0xad, 0xbe, 0xef,
	}
	tagged := tag(nil, frame, 101)
	want := []byte{
		1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 16,
		0x81, 0x00, 0x00, 101,
		0x08, 0x00, 0xde, 0xad, 0xbe, 0xef,
	}
	require.Equal(t, want, tagged, "tag")
	vid, inner, ok := untag(tagged)
	require.True(t, ok, "untag found no tag in a tagged frame")
	require.Equal(t, uint16(101), vid, "untag: VLAN ID")
	require.Equal(t, frame, inner, "untag: want the original frame")
	_, _, ok = untag(frame)
	assert.False(t, ok, "untag found a tag in an untagged frame")
	got := tag(nil, want, 4095|0xf000)
	assert.Equal(t, []byte{0x0f, 0xff}, got[14:16], "tag keeps priority bits: % x", got[12:16])
}

func TestFlowHashIsPerMACPair(t *testing.T) {
	t.Parallel()
	a := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x08, 0x00, 1}
	b := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x08, 0x06, 2, 3}
	c := []byte{1, 2, 3, 4, 5, 7, 7, 8, 9, 10, 11, 12, 0x08, 0x00, 1}
	assert.Equal(t, flowHash(a), flowHash(b), "frames of one MAC pair hash apart")
	assert.NotEqual(t, flowHash(a), flowHash(c), "frames of different MAC pairs hash together")
}

func TestFlowHashIsFNV1a(t *testing.T) {
	t.Parallel()
	frame := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x08, 0x00}
	h := fnv.New32a()
	h.Write(frame[:12])
	assert.Equal(t, h.Sum32(), flowHash(frame), "flowHash, want FNV-1a of the MACs")
}

func BenchmarkTagUntag(b *testing.B) {
	frame := make([]byte, 1514)
	frame[12], frame[13] = 0x08, 0x00
	buf := make([]byte, 0, 1518)
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		buf = tag(buf[:0], frame, 101)
		if _, _, ok := untag(buf); !ok {
			b.Fatal("no tag")
		}
	}
}

func BenchmarkFlowHash(b *testing.B) {
	frame := make([]byte, 1514)
	b.ReportAllocs()
	for b.Loop() {
		_ = flowHash(frame)
	}
}
