package userspace

import (
	"bytes"
	"hash/fnv"
	"testing"
)

func TestTagUntagRoundTrip(t *testing.T) {
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
	if !bytes.Equal(tagged, want) {
		t.Fatalf("tag = % x\nwant  % x", tagged, want)
	}
	vid, inner, ok := untag(tagged)
	if !ok || vid != 101 || !bytes.Equal(inner, frame) {
		t.Fatalf("untag = %d % x %v, want 101 and the original frame", vid, inner, ok)
	}
	if _, _, ok := untag(frame); ok {
		t.Error("untag found a tag in an untagged frame")
	}
	if got := tag(nil, want, 4095|0xf000); got[14] != 0x0f || got[15] != 0xff {
		t.Errorf("tag keeps priority bits: % x", got[12:16])
	}
}

func TestFlowHashIsPerMACPair(t *testing.T) {
	a := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x08, 0x00, 1}
	b := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x08, 0x06, 2, 3}
	c := []byte{1, 2, 3, 4, 5, 7, 7, 8, 9, 10, 11, 12, 0x08, 0x00, 1}
	if flowHash(a) != flowHash(b) {
		t.Error("frames of one MAC pair hash apart")
	}
	if flowHash(a) == flowHash(c) {
		t.Error("frames of different MAC pairs hash together")
	}
}

func TestFlowHashIsFNV1a(t *testing.T) {
	frame := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x08, 0x00}
	h := fnv.New32a()
	h.Write(frame[:12])
	if got, want := flowHash(frame), h.Sum32(); got != want {
		t.Fatalf("flowHash = %#x, want FNV-1a of the MACs %#x", got, want)
	}
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
