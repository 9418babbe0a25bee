package verify

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/dxsim/dxsim/lacp"
)

var (
	dxSystem       = lacp.SystemID{0xda, 0xc8, 0x69, 0xc7, 0x5b, 0x2d}
	customerSystem = lacp.SystemID{0x3a, 0xd9, 0x7b, 0x8a, 0xc4, 0x84}
)

func readShared(t *testing.T) []Frame {
	t.Helper()
	f, err := os.Open("../testdata/linux-bond-fast-3members.pcap")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	frames, err := ReadCapture(f)
	if err != nil {
		t.Fatal(err)
	}
	return frames
}

// TestSharedLinuxCapture reads the capture of three veth connections enslaved
// one by one into a Linux 802.3ad bond (lacp_rate fast) whose partner is
// another bond. Each convergence time is the span between two frames: the DX
// side's first LACPDU on the port, and the frame after which both sides
// advertise sync, collecting and distributing.
func TestSharedLinuxCapture(t *testing.T) {
	v := New(Config{})
	for _, f := range readShared(t) {
		if err := v.ObserveFrame(f); err != nil {
			t.Fatal(err)
		}
	}
	r := v.Report()
	if r.Local != dxSystem || r.Remote != customerSystem || !r.LocalInferred {
		t.Errorf("local %s remote %s (inferred %v); want %s and %s inferred", r.Local, r.Remote, r.LocalInferred, dxSystem, customerSystem)
	}
	if len(r.Issues) != 0 || r.Malformed != 0 {
		t.Errorf("issues %v, malformed %d; want none", r.Issues, r.Malformed)
	}
	want := []struct {
		name      string
		enslaved  time.Duration // since the first frame
		converged time.Duration
	}{
		{"port 1", 1568723 * time.Microsecond, 8191077 * time.Microsecond},  // frames 7 and 30
		{"port 2", 9976801 * time.Microsecond, 2318915 * time.Microsecond},  // frames 31 and 41
		{"port 3", 12611683 * time.Microsecond, 2528264 * time.Microsecond}, // frames 42 and 60
	}
	if len(r.Ports) != len(want) {
		t.Fatalf("%d ports, want %d: %+v", len(r.Ports), len(want), r.Ports)
	}
	pdus := 0
	for i, w := range want {
		p := r.Ports[i]
		pdus += p.PDUs
		got, ok := p.ConvergedAfter()
		if p.Name != w.name || !ok || got != w.converged || p.Enslaved.Sub(r.Start) != w.enslaved || p.EnslavedMarked {
			t.Errorf("%s: enslaved at %v, converged after %v (%v); want %s enslaved at %v, converged after %v",
				p.Name, p.Enslaved.Sub(r.Start), got, ok, w.name, w.enslaved, w.converged)
		}
		if p.Local.System != dxSystem || p.Local.Port != uint16(i+1) || p.Remote.System != customerSystem || p.Remote.Port != uint16(i+1) {
			t.Errorf("%s joins %v and %v", p.Name, p.Local, p.Remote)
		}
		// The customer bond spoke from the start, defaulted, before the DX
		// port was enslaved.
		if (i == 0 && !p.FirstRemote.Equal(r.Start)) || !p.FirstRemote.Before(p.FirstLocal) {
			t.Errorf("%s: first remote PDU %v, first local %v", p.Name, p.FirstRemote.Sub(r.Start), p.FirstLocal.Sub(r.Start))
		}
		if at, ok := p.First(SideRemote, EventDefaultedCleared); !ok || at.Before(p.Enslaved) {
			t.Errorf("%s: remote left defaulted at %v (%v), before enslaving", p.Name, at.Sub(r.Start), ok)
		}
	}
	if pdus != 73 {
		t.Errorf("%d PDUs on the timeline, the capture has 73", pdus)
	}
	// What the capture implies: the first member took about 8.3 s, each
	// later one a fraction of that, because the bond's aggregator was
	// already selected.
	first, _ := r.Ports[0].ConvergedAfter()
	for _, p := range r.Ports[1:] {
		if d, _ := p.ConvergedAfter(); d > 3*time.Second || d*3 > first {
			t.Errorf("%s converged after %v, the first after %v", p.Name, d, first)
		}
	}
}

func TestReportIsEmptyWithoutPDUs(t *testing.T) {
	r := New(Config{Local: dxSystem}).Report()
	if len(r.Ports) != 0 || r.Local != dxSystem {
		t.Errorf("report %+v", r)
	}
}

func TestObserveFrameCountsWhatItDoesNotTime(t *testing.T) {
	v := New(Config{})
	pdu := lacp.LACPDU{Version: 1, Actor: lacp.PortInfo{System: dxSystem, Port: 1}}
	frame, _ := pdu.MarshalFrame(dxSystem[:])
	frame[lacp.HeaderLen+3] = 19
	if err := v.ObserveFrame(Frame{Data: frame}); !errors.Is(err, lacp.ErrBadTLVLength) {
		t.Errorf("malformed LACPDU: %v", err)
	}
	m := lacp.MarkerPDU{Version: 1}
	mf, _ := m.MarshalFrame(dxSystem[:])
	if err := v.ObserveFrame(Frame{Data: mf}); err != nil {
		t.Error(err)
	}
	mf[lacp.HeaderLen] = 3 // OAM
	if err := v.ObserveFrame(Frame{Data: mf}); err != nil {
		t.Error(err)
	}
	mf[12] = 0x08 // IPv4
	if err := v.ObserveFrame(Frame{Data: mf}); !errors.Is(err, ErrNotLACP) {
		t.Errorf("IPv4 frame: %v", err)
	}
	r := v.Report()
	if r.Malformed != 1 || r.Markers != 1 || r.OtherSubtypes != 1 || len(r.Ports) != 0 {
		t.Errorf("malformed %d, markers %d, other %d, ports %d", r.Malformed, r.Markers, r.OtherSubtypes, len(r.Ports))
	}
}
