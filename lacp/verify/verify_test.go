package verify

import (
	"os"
	"testing"
	"time"

	"github.com/dxsim/dxsim/lacp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	dxSystem       = lacp.SystemID{0xda, 0xc8, 0x69, 0xc7, 0x5b, 0x2d}
	customerSystem = lacp.SystemID{0x3a, 0xd9, 0x7b, 0x8a, 0xc4, 0x84}
)

func readShared(t *testing.T) []Frame {
	t.Helper()
	f, err := os.Open("../testdata/linux-bond-fast-3members.pcap")
	require.NoError(t, err)
	defer f.Close()
	frames, err := ReadCapture(f)
	require.NoError(t, err)
	return frames
}

// TestSharedLinuxCapture reads the capture of three veth connections enslaved
// one by one into a Linux 802.3ad bond (lacp_rate fast) whose partner is
// another bond. Each convergence time is the span between two frames: the DX
// side's first LACPDU on the port, and the frame after which both sides
// advertise sync, collecting and distributing.
func TestSharedLinuxCapture(t *testing.T) {
	t.Parallel()
	v := New(Config{})
	for _, f := range readShared(t) {
		require.NoError(t, v.ObserveFrame(f))
	}
	r := v.Report()
	assert.Equal(t, dxSystem, r.Local, "local")
	assert.Equal(t, customerSystem, r.Remote, "remote")
	assert.True(t, r.LocalInferred, "local system not inferred")
	assert.Empty(t, r.Issues, "issues")
	assert.Zero(t, r.Malformed, "malformed")
	want := []struct {
		name      string
		enslaved  time.Duration // since the first frame
		converged time.Duration
	}{
		{"port 1", 1568723 * time.Microsecond, 8191077 * time.Microsecond},  // frames 7 and 30
		{"port 2", 9976801 * time.Microsecond, 2318915 * time.Microsecond},  // frames 31 and 41
		{"port 3", 12611683 * time.Microsecond, 2528264 * time.Microsecond}, // frames 42 and 60
	}
	require.Len(t, r.Ports, len(want), "ports %+v", r.Ports)
	pdus := 0
	for i, w := range want {
		p := r.Ports[i]
		pdus += p.PDUs
		t.Run(w.name, func(t *testing.T) {
			got, ok := p.ConvergedAfter()
			assert.Equal(t, w.name, p.Name, "port name")
			assert.True(t, ok, "%s never converged", p.Name)
			assert.Equal(t, w.converged, got, "%s: converged after", p.Name)
			assert.Equal(t, w.enslaved, p.Enslaved.Sub(r.Start), "%s: enslaved at", p.Name)
			assert.False(t, p.EnslavedMarked, "%s: enslaving marked rather than inferred", p.Name)
			assert.Equal(t, dxSystem, p.Local.System, "%s joins %v and %v", p.Name, p.Local, p.Remote)
			assert.Equal(t, uint16(i+1), p.Local.Port, "%s joins %v and %v", p.Name, p.Local, p.Remote)
			assert.Equal(t, customerSystem, p.Remote.System, "%s joins %v and %v", p.Name, p.Local, p.Remote)
			assert.Equal(t, uint16(i+1), p.Remote.Port, "%s joins %v and %v", p.Name, p.Local, p.Remote)
			// The customer bond spoke from the start, defaulted, before the DX
			// port was enslaved.
			if i == 0 {
				assert.WithinDuration(t, r.Start, p.FirstRemote, 0, "%s: first remote PDU %v, want at the start", p.Name, p.FirstRemote.Sub(r.Start))
			}
			assert.True(t, p.FirstRemote.Before(p.FirstLocal), "%s: first remote PDU %v, first local %v", p.Name, p.FirstRemote.Sub(r.Start), p.FirstLocal.Sub(r.Start))
			at, ok := p.First(SideRemote, EventDefaultedCleared)
			if assert.True(t, ok, "%s: remote never left defaulted", p.Name) {
				assert.False(t, at.Before(p.Enslaved), "%s: remote left defaulted at %v, before enslaving", p.Name, at.Sub(r.Start))
			}
		})
	}
	assert.Equal(t, 73, pdus, "PDUs on the timeline, the capture has 73")
	// What the capture implies: the first member took about 8.3 s, each
	// later one a fraction of that, because the bond's aggregator was
	// already selected.
	first, _ := r.Ports[0].ConvergedAfter()
	for _, p := range r.Ports[1:] {
		d, _ := p.ConvergedAfter()
		assert.LessOrEqual(t, d, 3*time.Second, "%s converged after %v, the first after %v", p.Name, d, first)
		assert.LessOrEqual(t, d*3, first, "%s converged after %v, the first after %v", p.Name, d, first)
	}
}

func TestReportIsEmptyWithoutPDUs(t *testing.T) {
	t.Parallel()
	r := New(Config{Local: dxSystem}).Report()
	assert.Empty(t, r.Ports, "report %+v", r)
	assert.Equal(t, dxSystem, r.Local, "report %+v", r)
}

func TestObserveFrameCountsWhatItDoesNotTime(t *testing.T) {
	t.Parallel()
	v := New(Config{})
	pdu := lacp.LACPDU{Version: 1, Actor: lacp.PortInfo{System: dxSystem, Port: 1}}
	frame, _ := pdu.MarshalFrame(dxSystem[:])
	frame[lacp.HeaderLen+3] = 19
	assert.ErrorIs(t, v.ObserveFrame(Frame{Data: frame}), lacp.ErrBadTLVLength, "malformed LACPDU")
	m := lacp.MarkerPDU{Version: 1}
	mf, _ := m.MarshalFrame(dxSystem[:])
	assert.NoError(t, v.ObserveFrame(Frame{Data: mf}), "Marker PDU")
	mf[lacp.HeaderLen] = 3 // OAM
	assert.NoError(t, v.ObserveFrame(Frame{Data: mf}), "OAM frame")
	mf[12] = 0x08 // IPv4
	assert.ErrorIs(t, v.ObserveFrame(Frame{Data: mf}), ErrNotLACP, "IPv4 frame")
	r := v.Report()
	assert.Equal(t, 1, r.Malformed, "malformed")
	assert.Equal(t, 1, r.Markers, "markers")
	assert.Equal(t, 1, r.OtherSubtypes, "other subtypes")
	assert.Empty(t, r.Ports, "ports")
}
