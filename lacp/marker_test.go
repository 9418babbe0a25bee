package lacp

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var markerTests = []struct {
	name string
	pdu  MarkerPDU
	wire string // up to and including the Terminator
}{
	{
		name: "information",
		pdu: MarkerPDU{Version: 1, RequesterPort: 0x0102,
			RequesterSystem: SystemID{0x03, 0x04, 0x05, 0x06, 0x07, 0x08}, RequesterTransaction: 0x090a0b0c},
		wire: `02 01 01 10 0102 030405060708 090a0b0c 0000 00 00`,
	},
	{
		name: "response",
		pdu: MarkerPDU{Version: 1, Response: true, RequesterPort: 7,
			RequesterSystem: SystemID{0xda, 0xc8, 0x69, 0xc7, 0x5b, 0x2d}, RequesterTransaction: 1},
		wire: `02 01 02 10 0007 dac869c75b2d 00000001 0000 00 00`,
	},
}

func TestMarkerMarshalUnmarshal(t *testing.T) {
	t.Parallel()
	for _, tc := range markerTests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			want := pad(unhex(t, tc.wire))
			got, err := tc.pdu.MarshalBinary()
			require.NoError(t, err)
			assert.Equal(t, want, got, "MarshalBinary")
			var m MarkerPDU
			require.NoError(t, m.UnmarshalBinary(want))
			assert.Equal(t, tc.pdu, m, "UnmarshalBinary")
		})
	}
}

func TestMarkerReplyEchoes(t *testing.T) {
	t.Parallel()
	info := markerTests[0].pdu
	r := info.Reply()
	assert.True(t, r.Response, "Reply() = %+v for %+v", r, info)
	assert.Equal(t, info.RequesterPort, r.RequesterPort, "Reply() = %+v for %+v", r, info)
	assert.Equal(t, info.RequesterSystem, r.RequesterSystem, "Reply() = %+v for %+v", r, info)
	assert.Equal(t, info.RequesterTransaction, r.RequesterTransaction, "Reply() = %+v for %+v", r, info)
}

func TestMarkerUnmarshalErrors(t *testing.T) {
	t.Parallel()
	valid, _ := markerTests[0].pdu.MarshalBinary()
	with := func(off int, v ...byte) []byte {
		b := bytes.Clone(valid)
		copy(b[off:], v)
		return b
	}
	for _, tc := range []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"short", valid[:PDULen-1], ErrTruncated},
		{"LACP subtype", with(0, 1), ErrBadSubtype},
		{"TLV type 0", with(2, 0), ErrBadTLVType},
		{"TLV type 3", with(2, 3), ErrBadTLVType},
		{"TLV length", with(3, 17), ErrBadTLVLength},
		{"terminator type", with(18, 1), ErrBadTLVType},
		{"terminator length", with(19, 1), ErrBadTLVLength},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var m MarkerPDU
			assert.ErrorIs(t, m.UnmarshalBinary(tc.in), tc.want, "UnmarshalBinary")
		})
	}
}
