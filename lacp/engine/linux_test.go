package engine_test

import (
	"encoding/binary"
	"os"
	"testing"
	"time"

	"github.com/dxsim/dxsim/lacp"
	"github.com/dxsim/dxsim/lacp/engine"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// linuxCapture is the project's capture of two Linux 802.3ad bonds (see
// lacp/testdata): the customer's bond is up throughout; the DX side's
// ports are enslaved into an up bond one by one.
const linuxCapture = "../testdata/linux-bond-fast-3members.pcap"

type capturedPDU struct {
	at  time.Time
	pdu lacp.LACPDU
}

// readPcap reads the LACPDUs of a classic (microsecond) pcap file.
func readPcap(t *testing.T, path string) []capturedPDU {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.True(t, len(b) >= 24 && binary.LittleEndian.Uint32(b) == 0xa1b2c3d4, "%s: not a little-endian microsecond pcap", path)
	var out []capturedPDU
	for off := 24; off+16 <= len(b); {
		sec, usec := binary.LittleEndian.Uint32(b[off:]), binary.LittleEndian.Uint32(b[off+4:])
		n := int(binary.LittleEndian.Uint32(b[off+8:]))
		off += 16
		require.LessOrEqual(t, off+n, len(b), "%s: truncated record", path)
		_, subtype, pdu, err := lacp.ParseFrame(b[off : off+n])
		off += n
		require.NoError(t, err, "%s: frame %d", path, len(out)+1)
		require.Equal(t, lacp.SubtypeLACP, subtype, "%s: frame %d", path, len(out)+1)
		c := capturedPDU{at: time.Unix(int64(sec), int64(usec)*1000).UTC()}
		require.NoError(t, c.pdu.UnmarshalBinary(pdu))
		out = append(out, c)
	}
	return out
}

// TestAgainstLinuxCapture puts an engine configured like the DX side's Linux
// bond (same System, key 15, lacp_rate fast, the 8 s selection timer) in
// that bond's place and replays the customer bond's half of the capture to
// it, each port coming up when Linux enslaved it. The engine's first LACPDU
// is the very one Linux sent, and each port starts collecting and
// distributing within Linux's 100 ms tick granularity (plus its rate limit)
// of when the Linux bond did: the first after about 8 s, the others after
// about 2 s.
func TestAgainstLinuxCapture(t *testing.T) {
	t.Parallel()
	pdus := readPcap(t, linuxCapture)
	customer := pdus[0].pdu.Actor.System

	var dx lacp.PortInfo
	up := map[uint16]time.Time{}          // when Linux enslaved each DX port: its first PDU
	linuxUsable := map[uint16]time.Time{} // when the DX bond said Collecting+Distributing
	var firstLinux = map[uint16]lacp.LACPDU{}
	for _, c := range pdus {
		a := c.pdu.Actor
		if a.System == customer {
			continue
		}
		dx = a
		if _, ok := up[a.Port]; !ok {
			up[a.Port], firstLinux[a.Port] = c.at, c.pdu
		}
		if _, ok := linuxUsable[a.Port]; !ok && a.State.Has(lacp.StateCollecting|lacp.StateDistributing) {
			linuxUsable[a.Port] = c.at
		}
	}
	require.Len(t, up, 3, "capture has ports %v, usable %v; want 3 of each", up, linuxUsable)
	require.Len(t, linuxUsable, 3, "capture has ports %v, usable %v; want 3 of each", up, linuxUsable)

	e, err := engine.New(engine.Config{
		SystemPriority: dx.SystemPriority,
		System:         dx.System,
		Key:            dx.Key,
		SelectionDelay: engine.LinuxSelectionDelay,
	})
	require.NoError(t, err)
	usableAt := map[uint16]time.Time{}
	var first = map[uint16]lacp.LACPDU{}
	observe := func(now time.Time) {
		for _, tx := range e.AppendTransmits(nil) {
			if _, ok := first[tx.Port]; !ok {
				first[tx.Port] = tx.LACPDU
			}
		}
		for _, s := range e.Ports() {
			if _, ok := usableAt[s.Number]; !ok && s.Collecting() && s.Distributing() {
				usableAt[s.Number] = now
			}
		}
	}
	// advanceTo runs the engine's timers up to t.
	advanceTo := func(t time.Time) {
		for {
			d, ok := e.NextDeadline()
			if !ok || d.After(t) {
				break
			}
			e.Advance(d)
			observe(d)
		}
	}
	pending := []uint16{1, 2, 3}
	for _, c := range pdus {
		for len(pending) > 0 && !up[pending[0]].After(c.at) {
			// Enslaving: the port joins the bond, then comes up.
			port, at := pending[0], up[pending[0]]
			advanceTo(at)
			require.NoError(t, e.AddPort(at, engine.PortConfig{Number: port}))
			require.NoError(t, e.SetPortUp(at, port, true))
			observe(at)
			pending = pending[1:]
		}
		advanceTo(c.at)
		if c.pdu.Actor.System != customer {
			continue
		}
		if _, err := e.Port(c.pdu.Actor.Port); err != nil {
			continue // not enslaved yet: the DX port is standalone and speaks no LACP
		}
		require.NoError(t, e.Receive(c.at, c.pdu.Actor.Port, &c.pdu))
		observe(c.at)
	}

	for port := uint16(1); port <= 3; port++ {
		assert.Equal(t, firstLinux[port], first[port], "port %d first LACPDU", port)
		got, ok := usableAt[port]
		if !assert.True(t, ok, "port %d never collecting and distributing", port) {
			continue
		}
		want := linuxUsable[port]
		const tolerance = 300 * time.Millisecond // Linux's 100 ms tick and one-PDU-per-333-ms transmit pacing
		assert.WithinDuration(t, want, got, tolerance, "port %d usable %v after enslaving, Linux %v", port, got.Sub(up[port]), want.Sub(up[port]))
		t.Logf("port %d: usable %v after enslaving (Linux: %v)", port, got.Sub(up[port]).Round(time.Millisecond), want.Sub(up[port]).Round(time.Millisecond))
	}
}
