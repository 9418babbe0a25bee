package lacp

import (
	"bytes"
	"errors"
	"net"
	"testing"
)

func TestMarshalFrame(t *testing.T) {
	src := net.HardwareAddr{0xda, 0xc8, 0x69, 0xc7, 0x5b, 0x2d}
	p := lacpduTests[0].pdu
	frame, err := p.MarshalFrame(src)
	if err != nil {
		t.Fatal(err)
	}
	want := append(unhex(t, "0180c2000002 dac869c75b2d 8809"), pad(unhex(t, lacpduTests[0].wire))...)
	if !bytes.Equal(frame, want) || len(frame) != FrameLen {
		t.Fatalf("MarshalFrame:\n got %x\nwant %x", frame, want)
	}

	gotSrc, st, pdu, err := ParseFrame(frame)
	if err != nil {
		t.Fatal(err)
	}
	var got LACPDU
	if err := got.UnmarshalBinary(pdu); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(gotSrc, src) || st != SubtypeLACP || got != p {
		t.Errorf("ParseFrame = %v, %v, %+v", gotSrc, st, got)
	}
}

func TestMarkerFrame(t *testing.T) {
	m := markerTests[1].pdu
	frame, err := m.MarshalFrame(net.HardwareAddr{2, 0, 0, 0, 0, 1})
	if err != nil {
		t.Fatal(err)
	}
	_, st, pdu, err := ParseFrame(frame)
	if err != nil || st != SubtypeMarker {
		t.Fatalf("ParseFrame = %v, %v", st, err)
	}
	var got MarkerPDU
	if err := got.UnmarshalBinary(pdu); err != nil || got != m {
		t.Errorf("UnmarshalBinary = %+v, %v; want %+v", got, err, m)
	}
}

func TestFrameErrors(t *testing.T) {
	p := lacpduTests[0].pdu
	if _, err := p.MarshalFrame(net.HardwareAddr{1, 2, 3}); !errors.Is(err, ErrBadAddress) {
		t.Errorf("MarshalFrame(3-byte MAC) = %v, want ErrBadAddress", err)
	}
	frame, _ := p.MarshalFrame(net.HardwareAddr{2, 0, 0, 0, 0, 1})
	if _, _, _, err := ParseFrame(frame[:HeaderLen]); !errors.Is(err, ErrTruncated) {
		t.Errorf("ParseFrame(header only) = %v, want ErrTruncated", err)
	}
	frame[12], frame[13] = 0x88, 0xcc // LLDP
	if _, _, _, err := ParseFrame(frame); !errors.Is(err, ErrNotSlowProtocols) {
		t.Errorf("ParseFrame(LLDP) = %v, want ErrNotSlowProtocols", err)
	}
}
