package lacp

import (
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMarshalFrame(t *testing.T) {
	t.Parallel()
	src := net.HardwareAddr{0xda, 0xc8, 0x69, 0xc7, 0x5b, 0x2d}
	p := lacpduTests[0].pdu
	frame, err := p.MarshalFrame(src)
	require.NoError(t, err)
	want := append(unhex(t, "0180c2000002 dac869c75b2d 8809"), pad(unhex(t, lacpduTests[0].wire))...)
	require.Equal(t, want, frame, "MarshalFrame")
	require.Len(t, frame, FrameLen, "MarshalFrame")

	gotSrc, st, pdu, err := ParseFrame(frame)
	require.NoError(t, err)
	var got LACPDU
	require.NoError(t, got.UnmarshalBinary(pdu))
	assert.Equal(t, src, gotSrc, "ParseFrame source")
	assert.Equal(t, SubtypeLACP, st, "ParseFrame subtype")
	assert.Equal(t, p, got, "ParseFrame PDU")
}

func TestMarkerFrame(t *testing.T) {
	t.Parallel()
	m := markerTests[1].pdu
	frame, err := m.MarshalFrame(net.HardwareAddr{2, 0, 0, 0, 0, 1})
	require.NoError(t, err)
	_, st, pdu, err := ParseFrame(frame)
	require.NoError(t, err, "ParseFrame")
	require.Equal(t, SubtypeMarker, st, "ParseFrame subtype")
	var got MarkerPDU
	if assert.NoError(t, got.UnmarshalBinary(pdu), "UnmarshalBinary") {
		assert.Equal(t, m, got, "UnmarshalBinary")
	}
}

func TestFrameErrors(t *testing.T) {
	t.Parallel()
	p := lacpduTests[0].pdu
	_, err := p.MarshalFrame(net.HardwareAddr{1, 2, 3})
	assert.ErrorIs(t, err, ErrBadAddress, "MarshalFrame(3-byte MAC)")
	frame, _ := p.MarshalFrame(net.HardwareAddr{2, 0, 0, 0, 0, 1})
	_, _, _, err = ParseFrame(frame[:HeaderLen])
	assert.ErrorIs(t, err, ErrTruncated, "ParseFrame(header only)")
	frame[12], frame[13] = 0x88, 0xcc // LLDP
	_, _, _, err = ParseFrame(frame)
	assert.ErrorIs(t, err, ErrNotSlowProtocols, "ParseFrame(LLDP)")
}
