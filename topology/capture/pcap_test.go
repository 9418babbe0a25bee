package capture

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/gopacket/gopacket/pcapgo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testFrames() []Frame {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC)
	return []Frame{
		{Time: t0, Port: "dxcon-a", Direction: DirectionIn, Data: lacpFrame(1), Length: 124},
		{Time: t0.Add(time.Millisecond), Port: "dxcon-b", Direction: DirectionOut, Data: lacpFrame(2), Length: 124},
		{Time: t0.Add(2 * time.Millisecond), Port: "dxcon-a", Direction: DirectionOut, Data: lacpFrame(3), Length: 124},
	}
}

func TestPcapngKeepsPortDirectionAndTime(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w := NewPcapngWriter(&buf)
	want := testFrames()
	for _, f := range want {
		require.NoError(t, w.WriteFrame(f))
	}
	require.NoError(t, w.Flush())
	got := readPcapng(t, buf.Bytes())
	require.Len(t, got, len(want), "frames read back")
	for i := range want {
		w, g := want[i], got[i]
		assert.Equal(t, w.Port, g.Port, "frame %d: port", i)
		assert.Equal(t, w.Direction, g.Direction, "frame %d: direction", i)
		assert.WithinDuration(t, w.Time, g.Time, 0, "frame %d: time", i)
		assert.Equal(t, w.Data, g.Data, "frame %d: data", i)
	}
}

// A capture in which nothing arrived is still a pcapng file naming the
// ports it watched, and declared ports keep their order whatever port
// speaks first.
func TestPcapngNamesDeclaredPorts(t *testing.T) {
	t.Parallel()
	var empty bytes.Buffer
	w := NewPcapngWriter(&empty, "dxcon-a", "dxcon-b")
	require.NoError(t, w.Flush())
	r, err := pcapgo.NewNgReader(bytes.NewReader(empty.Bytes()), pcapgo.DefaultNgReaderOptions)
	require.NoError(t, err, "an empty capture must still be pcapng")
	_, _, err = r.ReadPacketData()
	assert.ErrorIs(t, err, io.EOF, "no frame")
	require.Equal(t, 2, r.NInterfaces())
	for i, name := range []string{"dxcon-a", "dxcon-b"} {
		intf, err := r.Interface(i)
		require.NoError(t, err)
		assert.Equal(t, name, intf.Name, "interface %d", i)
	}

	var buf bytes.Buffer
	w = NewPcapngWriter(&buf, "dxcon-a", "dxcon-b")
	frames := testFrames()
	require.NoError(t, w.WriteFrame(frames[1])) // dxcon-b speaks first
	require.NoError(t, w.WriteFrame(Frame{Time: frames[1].Time, Port: "dxcon-c", Data: lacpFrame(3)}))
	require.NoError(t, w.Flush())
	got := readPcapng(t, buf.Bytes())
	require.Len(t, got, 2)
	assert.Equal(t, "dxcon-b", got[0].Port)
	assert.Equal(t, "dxcon-c", got[1].Port, "a port not declared still gets its own interface")
	r, err = pcapgo.NewNgReader(bytes.NewReader(buf.Bytes()), pcapgo.DefaultNgReaderOptions)
	require.NoError(t, err)
	for range 2 {
		_, _, _ = r.ReadPacketData()
	}
	intf, err := r.Interface(0)
	require.NoError(t, err)
	assert.Equal(t, "dxcon-a", intf.Name, "declared ports come first, in order")
}

func TestPcapRoundTrip(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w, err := NewPcapWriter(&buf, 2048)
	require.NoError(t, err)
	want := testFrames()
	for _, f := range want {
		require.NoError(t, w.WriteFrame(f))
	}
	r, err := pcapgo.NewReader(&buf)
	require.NoError(t, err)
	for i, f := range want {
		data, ci, err := r.ReadPacketData()
		require.NoError(t, err, "frame %d", i)
		assert.Equal(t, f.Data, data, "frame %d: data", i)
		assert.WithinDuration(t, f.Time, ci.Timestamp, 0, "frame %d: time", i)
	}
}

// readPcapng reads a pcapng file back into frames, port and direction
// included, the way Wireshark would show them.
func readPcapng(t *testing.T, b []byte) []Frame {
	t.Helper()
	r, err := pcapgo.NewNgReader(bytes.NewReader(b), pcapgo.DefaultNgReaderOptions)
	require.NoError(t, err)
	var out []Frame
	for {
		data, ci, opts, err := r.ReadPacketDataWithOptions()
		if err != nil {
			break
		}
		intf, err := r.Interface(ci.InterfaceIndex)
		require.NoError(t, err)
		f := Frame{Time: ci.Timestamp, Port: intf.Name, Data: data, Length: ci.Length}
		if opts.Flags != nil {
			switch opts.Flags.Direction {
			case pcapgo.NgEpbFlagDirectionInbound:
				f.Direction = DirectionIn
			case pcapgo.NgEpbFlagDirectionOutbound:
				f.Direction = DirectionOut
			}
		}
		out = append(out, f)
	}
	return out
}

// lacpFrame is a 124-byte LACPDU frame whose actor port number is port.
func lacpFrame(port uint16) []byte {
	f := make([]byte, 124)
	copy(f, []byte{0x01, 0x80, 0xc2, 0x00, 0x00, 0x02, 0x02, 0xdd, 0, 0, 0, byte(port), 0x88, 0x09})
	pdu := f[14:]
	pdu[0], pdu[1] = 1, 1 // subtype LACP, version 1
	pdu[2], pdu[3] = 1, 20
	pdu[4], pdu[5] = 0x80, 0x00 // actor system priority
	copy(pdu[6:12], []byte{0x02, 0xdd, 0, 0, 0, 1})
	pdu[12], pdu[13] = 0, 1 // key
	pdu[14], pdu[15] = 0, 0xff
	pdu[16], pdu[17] = byte(port>>8), byte(port)
	pdu[18] = 0x47
	pdu[22], pdu[23] = 2, 20
	pdu[42], pdu[43] = 3, 16
	return f
}
