package lacp

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// unhex decodes hex written with any spacing.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	require.NoError(t, err)
	return b
}

// pad appends the zero octets that end every Slow Protocols PDU.
func pad(b []byte) []byte { return append(b, make([]byte, PDULen-len(b))...) }

var lacpduTests = []struct {
	name string
	pdu  LACPDU
	wire string // the 60 octets up to and including the Terminator
}{
	{
		// Frame 30 of linux-bond-fast-3members.pcap: the DX port, collecting
		// and distributing, echoing its partner.
		name: "linux fast in sync",
		pdu: LACPDU{
			Version: 1,
			Actor: PortInfo{SystemPriority: 65535, System: SystemID{0xda, 0xc8, 0x69, 0xc7, 0x5b, 0x2d},
				Key: 15, PortPriority: 255, Port: 1, State: 0x3f},
			Partner: PortInfo{SystemPriority: 65535, System: SystemID{0x3a, 0xd9, 0x7b, 0x8a, 0xc4, 0x84},
				Key: 15, PortPriority: 255, Port: 1, State: 0x3f},
		},
		wire: `01 01
			01 14 ffff dac869c75b2d 000f 00ff 0001 3f 000000
			02 14 ffff 3ad97b8ac484 000f 00ff 0001 3f 000000
			03 10 0000 000000000000000000000000
			00 00`,
	},
	{
		// Frame 1: a standalone Linux port, defaulted and expired, its
		// partner the kernel's default (system 0, key 1, state Timeout).
		name: "linux defaulted",
		pdu: LACPDU{
			Version: 1,
			Actor: PortInfo{SystemPriority: 65535, System: SystemID{0x3a, 0xd9, 0x7b, 0x8a, 0xc4, 0x84},
				Key: 15, PortPriority: 255, Port: 1, State: 0xc7},
			Partner: PortInfo{SystemPriority: 65535, Key: 1, PortPriority: 255, Port: 1, State: StateTimeout},
		},
		wire: `01 01
			01 14 ffff 3ad97b8ac484 000f 00ff 0001 c7 000000
			02 14 ffff 000000000000 0001 00ff 0001 02 000000
			03 10 0000 000000000000000000000000
			00 00`,
	},
	{
		name: "every field distinct",
		pdu: LACPDU{
			Version: 1,
			Actor: PortInfo{SystemPriority: 0x0102, System: SystemID{0x03, 0x04, 0x05, 0x06, 0x07, 0x08},
				Key: 0x090a, PortPriority: 0x0b0c, Port: 0x0d0e, State: 0x0f},
			Partner: PortInfo{SystemPriority: 0x1112, System: SystemID{0x13, 0x14, 0x15, 0x16, 0x17, 0x18},
				Key: 0x191a, PortPriority: 0x1b1c, Port: 0x1d1e, State: 0x1f},
			CollectorMaxDelay: 0x2122,
		},
		wire: `01 01
			01 14 0102 030405060708 090a 0b0c 0d0e 0f 000000
			02 14 1112 131415161718 191a 1b1c 1d1e 1f 000000
			03 10 2122 000000000000000000000000
			00 00`,
	},
}

func TestLACPDUMarshal(t *testing.T) {
	t.Parallel()
	for _, tc := range lacpduTests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			want := pad(unhex(t, tc.wire))
			got, err := tc.pdu.MarshalBinary()
			require.NoError(t, err)
			assert.Equal(t, want, got, "MarshalBinary")
		})
	}
}

func TestLACPDUUnmarshal(t *testing.T) {
	t.Parallel()
	for _, tc := range lacpduTests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got LACPDU
			require.NoError(t, got.UnmarshalBinary(pad(unhex(t, tc.wire))))
			assert.Equal(t, tc.pdu, got, "UnmarshalBinary")
		})
	}
}

func TestLACPDUUnmarshalErrors(t *testing.T) {
	t.Parallel()
	valid, _ := lacpduTests[0].pdu.MarshalBinary()
	with := func(off int, v ...byte) []byte {
		b := bytes.Clone(valid)
		copy(b[off:], v)
		return b
	}
	v2 := func(off int, v ...byte) []byte {
		b := with(off, v...)
		b[1] = 2
		return b
	}
	for _, tc := range []struct {
		name    string
		in      []byte
		want    error
		wantOff int // offset a TLVError names; 0 for other errors
	}{
		{"empty", nil, ErrTruncated, 0},
		{"subtype only", valid[:1], ErrTruncated, 0},
		{"short by one", valid[:PDULen-1], ErrTruncated, 0},
		{"marker subtype", with(0, 2), ErrBadSubtype, 0},
		{"OAM subtype", with(0, 3), ErrBadSubtype, 0},
		{"actor type", with(2, 2), ErrBadTLVType, 2},
		{"actor length", with(3, 19), ErrBadTLVLength, 2},
		{"partner type", with(22, 1), ErrBadTLVType, 22},
		{"partner length", with(23, 21), ErrBadTLVLength, 22},
		{"collector type", with(42, 4), ErrBadTLVType, 42},
		{"collector length", with(43, 20), ErrBadTLVLength, 42},
		{"terminator length", with(59, 2), ErrBadTLVLength, 58},
		{"v1 extra TLV", with(58, 4, 2), ErrBadTLVType, 58},
		{"v2 TLV too short", v2(58, 5, 1), ErrBadTLVLength, 58},
		// A version 2 TLV that runs past the end of the input.
		{"v2 without terminator", v2(58, 5, 52), ErrTruncated, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var p LACPDU
			err := p.UnmarshalBinary(tc.in)
			require.ErrorIs(t, err, tc.want, "UnmarshalBinary")
			if tc.want == ErrTruncated {
				assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
			}
			var tlvErr *TLVError
			require.Equal(t, tc.wantOff != 0, errors.As(err, &tlvErr), "UnmarshalBinary = %#v: is it a TLVError", err)
			if tlvErr != nil {
				assert.Equal(t, tc.wantOff, tlvErr.Offset, "TLVError.Offset")
			}
		})
	}
}

func TestLACPDUIgnoresVersionAndReserved(t *testing.T) {
	t.Parallel()
	want := lacpduTests[2].pdu
	b, _ := want.MarshalBinary()
	b[1] = 7 // receivers do not check the version
	for i := 60; i < PDULen; i++ {
		b[i] = 0xff // nor the reserved octets
	}
	b[19], b[20], b[21] = 0xaa, 0xbb, 0xcc
	var got LACPDU
	require.NoError(t, got.UnmarshalBinary(b))
	want.Version = 7
	assert.Equal(t, want, got)
}

func TestLACPDUVersion2SkipsExtraTLVs(t *testing.T) {
	t.Parallel()
	want := lacpduTests[0].pdu
	want.Version = 2
	b, _ := want.MarshalBinary()
	// A 6-octet TLV of type 4, then the Terminator.
	copy(b[58:], []byte{4, 6, 1, 2, 3, 4, 0, 0})
	var got LACPDU
	n, err := got.decode(b)
	require.NoError(t, err)
	assert.Equal(t, want, got, "decode")
	assert.Equal(t, PDULen, n, "decode length")
}

func TestAppendBinaryAppends(t *testing.T) {
	t.Parallel()
	p := lacpduTests[0].pdu
	b, err := p.AppendBinary([]byte{0xee})
	require.NoError(t, err)
	want, _ := p.MarshalBinary()
	assert.Len(t, b, 1+PDULen, "AppendBinary")
	assert.Equal(t, append([]byte{0xee}, want...), b, "AppendBinary")
}
