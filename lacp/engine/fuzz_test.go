package engine_test

import (
	"errors"
	"testing"
	"time"

	"github.com/dxsim/dxsim/lacp"
	"github.com/dxsim/dxsim/lacp/engine"
	"github.com/dxsim/dxsim/lacp/engine/enginetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// convergedPair returns two engines with one LAG member, usable both ways.
func convergedPair(t testing.TB) (*enginetest.Net, *engine.Engine, *engine.Engine) {
	a, b := newEngine(t, sysA, 1, nil), newEngine(t, sysB, 1, nil)
	net := enginetest.New()
	pair(t, net, a, b, 1, 0)
	runUntil(t, net, time.Minute, bothWays(a, b, 1))
	return net, a, b
}

func seedFrames(t testing.TB) [][]byte {
	valid := lacp.LACPDU{
		Version: lacp.Version,
		Actor:   lacp.PortInfo{SystemPriority: 65535, System: sysB, Key: 15, PortPriority: 255, Port: 1, State: 0x3f},
		Partner: lacp.PortInfo{SystemPriority: 65535, System: sysA, Key: 15, PortPriority: 255, Port: 1, State: 0x3f},
	}
	frame, err := valid.MarshalFrame(mac(sysB, 1))
	require.NoError(t, err)
	marker, err := (&lacp.MarkerPDU{Version: 1, RequesterPort: 1, RequesterSystem: sysB, RequesterTransaction: 7}).MarshalFrame(mac(sysB, 1))
	require.NoError(t, err)
	badLen := append([]byte(nil), frame...)
	badLen[lacp.HeaderLen+3] = 19
	ipv4 := append([]byte(nil), frame...)
	ipv4[12], ipv4[13] = 0x08, 0x00
	oam := append([]byte(nil), frame...)
	oam[lacp.HeaderLen] = 3
	return [][]byte{frame, marker, frame[:60], frame[:lacp.HeaderLen+1], badLen, ipv4, oam, nil}
}

// FuzzReceive feeds arbitrary frames to a port of an engine in a working
// LAG. Nothing panics; every frame is accounted for in exactly one counter
// and a rejected one leaves the port's state untouched; the engine's
// invariants hold afterwards and as time goes on.
func FuzzReceive(f *testing.F) {
	for _, s := range seedFrames(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		net, a, _ := convergedPair(t)
		before := status(t, a, 1)
		err := a.ReceiveFrame(net.Now, 1, frame)
		after := status(t, a, 1)
		c0, c1 := before.Counters, after.Counters
		switch {
		case errors.Is(err, engine.ErrMalformed):
			assert.Equal(t, c0.RxMalformed+1, c1.RxMalformed, "malformed frame not counted: %+v", c1)
		case errors.Is(err, engine.ErrNotLACP):
			assert.Equal(t, c0.RxIgnored+1, c1.RxIgnored, "foreign frame not counted: %+v", c1)
		case err != nil:
			require.FailNow(t, "unexpected error", "%v", err)
		default:
			assert.Equal(t, c0.RxLACPDUs+c0.RxMarkers+1, c1.RxLACPDUs+c1.RxMarkers, "accepted frame not counted: %+v", c1)
		}
		if err != nil {
			assert.Equal(t, before.Actor, after.Actor, "rejected frame changed the port's actor")
			assert.Equal(t, before.Partner, after.Partner, "rejected frame changed the port's partner")
			assert.Equal(t, before.Mux, after.Mux, "rejected frame changed the port's mux")
		}
		checkInvariants(t, a)
		require.NoError(t, net.RunFor(10*time.Second))
		checkInvariants(t, a)
	})
}

// A Marker Information PDU is answered on the same port with a Marker
// Response carrying the same information.
func TestMarkerResponder(t *testing.T) {
	t.Parallel()
	net, a, _ := convergedPair(t)
	a.AppendTransmits(nil)
	info := lacp.MarkerPDU{Version: 1, RequesterPort: 1, RequesterSystem: sysB, RequesterTransaction: 42}
	frame, err := info.MarshalFrame(mac(sysB, 1))
	require.NoError(t, err)
	require.NoError(t, a.ReceiveFrame(net.Now, 1, frame))
	tx := a.AppendTransmits(nil)
	require.Len(t, tx, 1, "transmits %+v, want one Marker Response to %+v", tx, info)
	require.Equal(t, engine.TransmitMarkerResponse, tx[0].Kind, "transmits %+v, want one Marker Response to %+v", tx, info)
	require.Equal(t, info.Reply(), tx[0].Marker, "transmits %+v, want one Marker Response to %+v", tx, info)
	out, err := tx[0].AppendFrame(nil)
	require.NoError(t, err)
	_, subtype, pdu, err := lacp.ParseFrame(out)
	if assert.NoError(t, err, "response frame") && assert.Equal(t, lacp.SubtypeMarker, subtype, "response frame subtype") {
		var got lacp.MarkerPDU
		if assert.NoError(t, got.UnmarshalBinary(pdu), "response frame") {
			assert.Equal(t, info.Reply(), got, "response frame decodes to")
		}
	}
	assert.Equal(t, mac(sysA, 1), out[6:12], "response source, want the port's MAC")
}

func TestReceiveFrameRejects(t *testing.T) {
	t.Parallel()
	seeds := seedFrames(t)
	for _, tc := range []struct {
		name  string
		frame []byte
		want  error
	}{
		{"truncated", seeds[2], engine.ErrMalformed},
		{"header only", seeds[3], engine.ErrMalformed},
		{"bad TLV length", seeds[4], engine.ErrMalformed},
		{"IPv4", seeds[5], engine.ErrNotLACP},
		{"OAM subtype", seeds[6], engine.ErrNotLACP},
		{"empty", seeds[7], engine.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			net, a, _ := convergedPair(t)
			err := a.ReceiveFrame(net.Now, 1, tc.frame)
			assert.ErrorIs(t, err, tc.want)
			if tc.name == "bad TLV length" {
				assert.ErrorIs(t, err, lacp.ErrBadTLVLength, "the error does not carry the codec's reason")
			}
		})
	}
	// A PDU value that names no Actor port is malformed too.
	net, a, _ := convergedPair(t)
	assert.ErrorIs(t, a.Receive(net.Now, 1, &lacp.LACPDU{Version: 1}), engine.ErrMalformed, "Receive of a zero PDU")
	assert.ErrorIs(t, a.ReceiveFrame(net.Now, 7, seeds[0]), engine.ErrUnknownPort, "ReceiveFrame on an unknown port")
}

// FuzzReceivePDUs feeds a port of a working LAG a sequence of well-formed
// LACPDUs with arbitrary contents (each 37 bytes of input: Actor, Partner,
// and a delay in units of 50 ms), interleaved with the real partner's own,
// and checks the engine's invariants after each, then that the LAG recovers
// once the stray PDUs stop.
func FuzzReceivePDUs(f *testing.F) {
	f.Add(make([]byte, 37))
	f.Add([]byte("\xff\xff\x02\xc0\x00\x00\x00\x0b\x00\x0f\x00\xff\x00\x01\x3f\xff\xff\x02\xdc\x00\x00\x00\x0a\x00\x0f\x00\xff\x00\x01\x3f\x10"))
	f.Add([]byte("\x00\x01\x02\xc0\x00\x00\x00\x0b\x00\x63\x00\x01\x00\x02\x0d\x00\x01\x02\xdc\x00\x00\x00\x0a\x00\x0f\x00\x01\x00\x01\x0f\x01\x05"))
	f.Fuzz(func(t *testing.T, data []byte) {
		net, a, b := convergedPair(t)
		for len(data) >= 37 {
			var pdu lacp.LACPDU
			frame := make([]byte, lacp.PDULen)
			frame[0], frame[1] = 1, 1
			frame[2], frame[3], frame[22], frame[23], frame[42], frame[43] = 1, 20, 2, 20, 3, 16
			copy(frame[4:19], data[0:15])
			copy(frame[24:39], data[15:30])
			require.NoError(t, pdu.UnmarshalBinary(frame))
			if err := a.Receive(net.Now, 1, &pdu); err != nil {
				require.ErrorIs(t, err, engine.ErrMalformed)
			}
			checkInvariants(t, a)
			require.NoError(t, net.RunFor(time.Duration(data[36])*50*time.Millisecond))
			checkInvariants(t, a)
			data = data[37:]
		}
		// The stray PDUs stop; the real partner's carry on.
		_, ok, err := net.RunUntil(net.Now.Add(time.Minute), bothWays(a, b, 1))
		require.NoError(t, err, "LAG did not recover; A %+v", status(t, a, 1))
		require.True(t, ok, "LAG did not recover; A %+v", status(t, a, 1))
	})
}
