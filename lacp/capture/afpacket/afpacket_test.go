package afpacket

import (
	"encoding/binary"
	"testing"

	"golang.org/x/net/bpf"
)

func TestEtherTypeFilterAcceptsOnlyItsEtherType(t *testing.T) {
	prog, err := EtherTypeFilter(0x8809)
	if err != nil {
		t.Fatal(err)
	}
	insns, ok := bpf.Disassemble(prog)
	if !ok {
		t.Fatal("filter does not disassemble")
	}
	vm, err := bpf.NewVM(insns)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		et     uint16
		accept bool
	}{{0x8809, true}, {0x0800, false}, {0x8100, false}, {0x88b5, false}, {0x0988, false}} {
		frame := make([]byte, 60)
		binary.BigEndian.PutUint16(frame[12:], tc.et)
		n, err := vm.Run(frame)
		if err != nil {
			t.Fatal(err)
		}
		if got := n >= len(frame); got != tc.accept {
			t.Errorf("EtherType %#04x: accepted %d bytes, want accept=%v", tc.et, n, tc.accept)
		}
	}
}

func TestDirectionString(t *testing.T) {
	for d, want := range map[Direction]string{DirectionIn: "in", DirectionOut: "out", DirectionUnknown: "unknown"} {
		if d.String() != want {
			t.Errorf("%d.String() = %q, want %q", d, d.String(), want)
		}
	}
}

func TestVnetHdrShift(t *testing.T) {
	var h VnetHdr
	h[0], h[1] = vnetNeedsCsum, 1 // NEEDS_CSUM, GSO TCPv4
	putU16(h[2:], 66)             // hdr_len
	putU16(h[6:], 34)             // csum_start
	putU16(h[8:], 16)             // csum_offset
	h.Shift(-4)
	if getU16(h[2:]) != 62 || getU16(h[6:]) != 30 || getU16(h[8:]) != 16 {
		t.Errorf("after Shift(-4): hdr_len %d csum_start %d csum_offset %d, want 62 30 16",
			getU16(h[2:]), getU16(h[6:]), getU16(h[8:]))
	}
	var none VnetHdr
	none.Shift(4)
	if none != (VnetHdr{}) {
		t.Errorf("Shift changed an empty header: % x", none)
	}
}
