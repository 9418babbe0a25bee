package afpacket

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/bpf"
)

func TestEtherTypeFilterAcceptsOnlyItsEtherType(t *testing.T) {
	t.Parallel()
	prog, err := EtherTypeFilter(0x8809)
	require.NoError(t, err)
	insns, ok := bpf.Disassemble(prog)
	require.True(t, ok, "filter does not disassemble")
	vm, err := bpf.NewVM(insns)
	require.NoError(t, err)
	for _, tc := range []struct {
		et     uint16
		accept bool
	}{{0x8809, true}, {0x0800, false}, {0x8100, false}, {0x88b5, false}, {0x0988, false}} {
		t.Run(fmt.Sprintf("%#04x", tc.et), func(t *testing.T) {
			frame := make([]byte, 60)
			binary.BigEndian.PutUint16(frame[12:], tc.et)
			n, err := vm.Run(frame)
			require.NoError(t, err)
			assert.Equal(t, tc.accept, n >= len(frame), "EtherType %#04x: accepted %d bytes", tc.et, n)
		})
	}
}

func TestDirectionString(t *testing.T) {
	t.Parallel()
	for d, want := range map[Direction]string{DirectionIn: "in", DirectionOut: "out", DirectionUnknown: "unknown"} {
		t.Run(want, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, want, d.String(), "%d.String()", d)
		})
	}
}

func TestVnetHdrShift(t *testing.T) {
	t.Parallel()
	var h VnetHdr
	h[0], h[1] = vnetNeedsCsum, 1 // NEEDS_CSUM, GSO TCPv4
	putU16(h[2:], 66)             // hdr_len
	putU16(h[6:], 34)             // csum_start
	putU16(h[8:], 16)             // csum_offset
	h.Shift(-4)
	assert.Equal(t, uint16(62), getU16(h[2:]), "after Shift(-4): hdr_len")
	assert.Equal(t, uint16(30), getU16(h[6:]), "after Shift(-4): csum_start")
	assert.Equal(t, uint16(16), getU16(h[8:]), "after Shift(-4): csum_offset")
	var none VnetHdr
	none.Shift(4)
	assert.Equal(t, VnetHdr{}, none, "Shift changed an empty header")
}
