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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWiresharkReadsPcapng writes frames as a capture does and has Wireshark's
// dissector read them back: each frame's interface, direction, time and LACP
// actor port, with no malformed or expert warnings. It skips when tshark is
// not installed (scripts/test installs it).
func TestWiresharkReadsPcapng(t *testing.T) {
	t.Parallel()
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark is not installed (apt-get install tshark)")
	}
	path := filepath.Join(t.TempDir(), "lacp.pcapng")
	var buf bytes.Buffer
	w := NewPcapngWriter(&buf)
	frames := testFrames()
	for _, f := range frames {
		require.NoError(t, w.WriteFrame(f))
	}
	require.NoError(t, w.Flush())
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
	cmd := exec.Command(tshark, "-n", "-r", path, "-T", "fields", "-E", "separator=,",
		"-e", "frame.interface_name", "-e", "frame.packet_flags_direction",
		"-e", "frame.time_epoch", "-e", "lacp.actor.port", "-e", "_ws.malformed", "-e", "_ws.expert")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "tshark\n%s", stderr.String())
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	require.Len(t, lines, len(frames), "tshark read:\n%s", out)
	for i, line := range lines {
		f := frames[i]
		cols := strings.Split(line, ",")
		require.Len(t, cols, 6, "frame %d: tshark printed %q", i, line)
		// The direction's spelling varies by Wireshark version: compare its
		// value (1 inbound, 2 outbound).
		dir, err := strconv.ParseUint(cols[1], 0, 32)
		require.NoError(t, err, "frame %d: direction %q", i, cols[1])
		wantDir := map[Direction]uint64{DirectionIn: 1, DirectionOut: 2}[f.Direction]
		wantTime := fmt.Sprintf("%d.%09d", f.Time.Unix(), f.Time.Nanosecond())
		wantPort := strconv.Itoa(i + 1) // lacpFrame(i+1)
		assert.Equal(t, f.Port, cols[0], "frame %d: tshark reads %q: interface", i, line)
		assert.Equal(t, wantDir, dir, "frame %d: tshark reads %q: direction", i, line)
		assert.Equal(t, wantTime, cols[2], "frame %d: tshark reads %q: time", i, line)
		assert.Equal(t, wantPort, cols[3], "frame %d: tshark reads %q: actor port", i, line)
		assert.Empty(t, cols[4], "frame %d: tshark reads %q: malformed", i, line)
		assert.Empty(t, cols[5], "frame %d: tshark reads %q: expert flags", i, line)
	}
}
