package engine_test

import (
	"errors"
	"testing"
	"time"

	"github.com/dxsim/dxsim/lacp"
	"github.com/dxsim/dxsim/lacp/engine"
	"github.com/dxsim/dxsim/lacp/engine/enginetest"
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
	if err != nil {
		t.Fatal(err)
	}
	marker, err := (&lacp.MarkerPDU{Version: 1, RequesterPort: 1, RequesterSystem: sysB, RequesterTransaction: 7}).MarshalFrame(mac(sysB, 1))
	if err != nil {
		t.Fatal(err)
	}
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
			if c1.RxMalformed != c0.RxMalformed+1 {
				t.Errorf("malformed frame not counted: %+v", c1)
			}
		case errors.Is(err, engine.ErrNotLACP):
			if c1.RxIgnored != c0.RxIgnored+1 {
				t.Errorf("foreign frame not counted: %+v", c1)
			}
		case err != nil:
			t.Fatalf("unexpected error %v", err)
		default:
			if c1.RxLACPDUs+c1.RxMarkers != c0.RxLACPDUs+c0.RxMarkers+1 {
				t.Errorf("accepted frame not counted: %+v", c1)
			}
		}
		if err != nil && (after.Actor != before.Actor || after.Partner != before.Partner || after.Mux != before.Mux) {
			t.Errorf("rejected frame changed the port:\nbefore %+v\nafter  %+v", before, after)
		}
		checkInvariants(t, a)
		if err := net.RunFor(10 * time.Second); err != nil {
			t.Fatal(err)
		}
		checkInvariants(t, a)
	})
}

// A Marker Information PDU is answered on the same port with a Marker
// Response carrying the same information.
func TestMarkerResponder(t *testing.T) {
	net, a, _ := convergedPair(t)
	a.AppendTransmits(nil)
	info := lacp.MarkerPDU{Version: 1, RequesterPort: 1, RequesterSystem: sysB, RequesterTransaction: 42}
	frame, err := info.MarshalFrame(mac(sysB, 1))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.ReceiveFrame(net.Now, 1, frame); err != nil {
		t.Fatal(err)
	}
	tx := a.AppendTransmits(nil)
	if len(tx) != 1 || tx[0].Kind != engine.TransmitMarkerResponse || tx[0].Marker != info.Reply() {
		t.Fatalf("transmits %+v, want one Marker Response to %+v", tx, info)
	}
	out, err := tx[0].AppendFrame(nil)
	if err != nil {
		t.Fatal(err)
	}
	_, subtype, pdu, err := lacp.ParseFrame(out)
	var got lacp.MarkerPDU
	if err != nil || subtype != lacp.SubtypeMarker || got.UnmarshalBinary(pdu) != nil || got != info.Reply() {
		t.Errorf("response frame decodes to %+v (%v)", got, err)
	}
	if src := out[6:12]; string(src) != string(mac(sysA, 1)) {
		t.Errorf("response from %x, want the port's MAC", src)
	}
}

func TestReceiveFrameRejects(t *testing.T) {
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
			net, a, _ := convergedPair(t)
			err := a.ReceiveFrame(net.Now, 1, tc.frame)
			if !errors.Is(err, tc.want) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
			if tc.name == "bad TLV length" && !errors.Is(err, lacp.ErrBadTLVLength) {
				t.Errorf("error %v does not carry the codec's reason", err)
			}
		})
	}
	// A PDU value that names no Actor port is malformed too.
	net, a, _ := convergedPair(t)
	if err := a.Receive(net.Now, 1, &lacp.LACPDU{Version: 1}); !errors.Is(err, engine.ErrMalformed) {
		t.Errorf("Receive of a zero PDU: %v", err)
	}
	if err := a.ReceiveFrame(net.Now, 7, seeds[0]); !errors.Is(err, engine.ErrUnknownPort) {
		t.Errorf("ReceiveFrame on an unknown port: %v", err)
	}
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
			if err := pdu.UnmarshalBinary(frame); err != nil {
				t.Fatal(err)
			}
			err := a.Receive(net.Now, 1, &pdu)
			if err != nil && !errors.Is(err, engine.ErrMalformed) {
				t.Fatal(err)
			}
			checkInvariants(t, a)
			if err := net.RunFor(time.Duration(data[36]) * 50 * time.Millisecond); err != nil {
				t.Fatal(err)
			}
			checkInvariants(t, a)
			data = data[37:]
		}
		// The stray PDUs stop; the real partner's carry on.
		if _, ok, err := net.RunUntil(net.Now.Add(time.Minute), bothWays(a, b, 1)); err != nil || !ok {
			t.Fatalf("LAG did not recover: %v, %v; A %+v", ok, err, status(t, a, 1))
		}
	})
}
