package capture

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestWiresharkReadsPcapng writes frames as a capture does and has Wireshark's
// dissector read them back: each frame's interface, direction, time and LACP
// actor port, with no malformed or expert warnings. It skips when tshark is
// not installed (scripts/test installs it).
func TestWiresharkReadsPcapng(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark is not installed (apt-get install tshark)")
	}
	path := filepath.Join(t.TempDir(), "lacp.pcapng")
	var buf bytes.Buffer
	w := NewPcapngWriter(&buf)
	frames := testFrames()
	for _, f := range frames {
		if err := w.WriteFrame(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(tshark, "-n", "-r", path, "-T", "fields", "-E", "separator=,",
		"-e", "frame.interface_name", "-e", "frame.packet_flags_direction",
		"-e", "frame.time_epoch", "-e", "lacp.actor.port", "-e", "_ws.malformed", "-e", "_ws.expert")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(frames) {
		t.Fatalf("tshark read %d frames, want %d:\n%s", len(lines), len(frames), out)
	}
	for i, line := range lines {
		f := frames[i]
		cols := strings.Split(line, ",")
		if len(cols) != 6 {
			t.Fatalf("frame %d: tshark printed %q", i, line)
		}
		// The direction's spelling varies by Wireshark version: compare its
		// value (1 inbound, 2 outbound).
		dir, err := strconv.ParseUint(cols[1], 0, 32)
		if err != nil {
			t.Fatalf("frame %d: direction %q: %v", i, cols[1], err)
		}
		wantDir := map[Direction]uint64{DirectionIn: 1, DirectionOut: 2}[f.Direction]
		wantTime := fmt.Sprintf("%d.%09d", f.Time.Unix(), f.Time.Nanosecond())
		wantPort := strconv.Itoa(i + 1) // lacpFrame(i+1)
		if cols[0] != f.Port || dir != wantDir || cols[2] != wantTime || cols[3] != wantPort || cols[4] != "" || cols[5] != "" {
			t.Errorf("frame %d: tshark reads %q, want port %s direction %d time %s actor port %s, no malformed or expert flags",
				i, line, f.Port, wantDir, wantTime, wantPort)
		}
	}
}
