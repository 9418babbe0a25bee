package lacp

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tshark runs Wireshark's dissector on a pcap, or skips the test when tshark
// is not installed (scripts/test installs it).
func tshark(t *testing.T, pcap string, args ...string) []byte {
	t.Helper()
	path, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark is not installed (apt-get install tshark); the golden test covers the decoder without it")
	}
	cmd := exec.Command(path, append([]string{"-n", "-r", pcap}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "tshark %v\n%s", args, stderr.String())
	return out
}

func writePcap(t *testing.T, frames [][]byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pdus.pcap")
	f, err := os.Create(path)
	require.NoError(t, err)
	w := pcapgo.NewWriter(f)
	require.NoError(t, w.WriteFileHeader(65535, layers.LinkTypeEthernet))
	ts := time.Unix(1700000000, 0)
	for i, frame := range frames {
		ci := gopacket.CaptureInfo{Timestamp: ts.Add(time.Duration(i) * time.Second), CaptureLength: len(frame), Length: len(frame)}
		require.NoError(t, w.WritePacket(ci, frame))
	}
	require.NoError(t, f.Close())
	return path
}

// TestWiresharkReadsOurPDUs checks the encoder against Wireshark's dissector:
// no frame is malformed or flagged, and every field reads back as written.
func TestWiresharkReadsOurPDUs(t *testing.T) {
	t.Parallel()
	var pdus []LACPDU
	for _, tc := range lacpduTests {
		pdus = append(pdus, tc.pdu)
	}
	for s := range 256 {
		pdus = append(pdus, LACPDU{Version: Version,
			Actor:   PortInfo{SystemPriority: 32768, System: SystemID{2, 0, 0, 0, 0, 1}, Key: 1, PortPriority: 255, Port: 7, State: State(s)},
			Partner: PortInfo{SystemPriority: 1, System: SystemID{2, 0, 0, 0, 0, 2}, Key: 2, PortPriority: 128, Port: 9, State: ^State(s)}})
	}
	var frames [][]byte
	for i := range pdus {
		frame, err := pdus[i].MarshalFrame(testSrc)
		require.NoError(t, err)
		frames = append(frames, frame)
	}
	markers := []MarkerPDU{markerTests[0].pdu, markerTests[1].pdu}
	for i := range markers {
		frame, _ := markers[i].MarshalFrame(testSrc)
		frames = append(frames, frame)
	}
	pcap := writePcap(t, frames)

	flagged := tshark(t, pcap, "-Y", "_ws.malformed || _ws.expert || lacp.wrong_tlv_type || lacp.wrong_tlv_length || marker.wrong_tlv_type || marker.wrong_tlv_length || marker.wrong_pad_value || frame.len != 124")
	assert.Empty(t, string(flagged), "Wireshark flags frames we wrote")

	header := strings.Split(strings.TrimSpace(string(goldenHeader(t))), "\t")
	var args []string
	for _, f := range header {
		args = append(args, "-e", f)
	}
	rows := readTSV(t, bytes.NewReader(tshark(t, pcap, append([]string{"-Y", "lacp", "-T", "fields", "-E", "header=y"}, args...)...)))
	require.Len(t, rows, len(pdus), "Wireshark read %d LACPDUs, we wrote %d", len(rows), len(pdus))
	for i := range pdus {
		for field, v := range wiresharkFields(&pdus[i]) {
			assert.Equal(t, v, rows[i][field], "LACPDU %d: Wireshark's %s", i, field)
		}
	}

	mrows := readTSV(t, bytes.NewReader(tshark(t, pcap, "-Y", "marker", "-T", "fields", "-E", "header=y", "-E", "occurrence=f",
		"-e", "marker.tlvType", "-e", "marker.tlvLen", "-e", "marker.requesterPort", "-e", "marker.requesterSystem", "-e", "marker.requesterTransId")))
	require.Len(t, mrows, len(markers), "Wireshark read %d Marker PDUs, we wrote %d", len(mrows), len(markers))
	for i, m := range markers {
		typ := "0x01"
		if m.Response {
			typ = "0x02"
		}
		want := map[string]string{
			"marker.tlvType": typ, "marker.tlvLen": "0x10",
			"marker.requesterPort":    fmt.Sprint(m.RequesterPort),
			"marker.requesterSystem":  m.RequesterSystem.String(),
			"marker.requesterTransId": fmt.Sprint(m.RequesterTransaction),
		}
		for field, v := range want {
			assert.Equal(t, v, mrows[i][field], "Marker %d: Wireshark's %s", i, field)
		}
	}
}

// goldenHeader is the field list of the golden reading, so both tests ask
// Wireshark for the same fields.
func goldenHeader(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(goldenTSV)
	require.NoError(t, err)
	line, _, _ := bytes.Cut(b, []byte("\n"))
	return line
}
