package userspace

import (
	"bytes"
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
