package lacp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// goldenPcap holds LACPDUs written by Linux 802.3ad bonds;
// goldenTSV is Wireshark's reading of it (testdata/wireshark-golden.sh).
const (
	goldenPcap = "testdata/linux-bond-fast-3members.pcap"
	goldenTSV  = "testdata/linux-bond-fast-3members.tshark.tsv"
)

// readTSV reads tshark -T fields -E header=y output into one map per row.
func readTSV(t *testing.T, r io.Reader) []map[string]string {
	t.Helper()
	sc := bufio.NewScanner(r)
	var header []string
	var rows []map[string]string
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if header == nil {
			header = cols
			continue
		}
		require.Len(t, cols, len(header), "tshark row %d against the header's columns", len(rows)+1)
		row := make(map[string]string, len(cols))
		for i, c := range cols {
			row[header[i]] = c
		}
		rows = append(rows, row)
	}
	require.NoError(t, sc.Err())
	return rows
}

// wiresharkFields spells p's fields as tshark -T fields prints them.
func wiresharkFields(p *LACPDU) map[string]string {
	f := map[string]string{
		"slow.subtype":             "0x01",
		"lacp.version":             fmt.Sprintf("0x%02x", p.Version),
		"lacp.collector.max_delay": fmt.Sprint(p.CollectorMaxDelay),
	}
	for side, info := range map[string]PortInfo{"actor": p.Actor, "partner": p.Partner} {
		f["lacp."+side+".sys_priority"] = fmt.Sprint(info.SystemPriority)
		f["lacp."+side+".sysid"] = info.System.String()
		f["lacp."+side+".key"] = fmt.Sprint(info.Key)
		f["lacp."+side+".port_priority"] = fmt.Sprint(info.PortPriority)
		f["lacp."+side+".port"] = fmt.Sprint(info.Port)
		f["lacp."+side+".state"] = fmt.Sprintf("0x%02x", uint8(info.State))
		f["lacp."+side+".state_str"] = info.State.String()
	}
	return f
}

func TestGoldenCaptureMatchesWireshark(t *testing.T) {
	t.Parallel()
	tsv, err := os.Open(goldenTSV)
	require.NoError(t, err)
	defer tsv.Close()
	want := readTSV(t, tsv)

	pcapFile, err := os.Open(goldenPcap)
	require.NoError(t, err)
	defer pcapFile.Close()
	r, err := pcapgo.NewReader(pcapFile)
	require.NoError(t, err)

	var (
		eth    layers.Ethernet
		slow   SlowProtocols
		pdu    LACPDU
		marker MarkerPDU
	)
	parser := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &slow, &pdu, &marker)
	var decoded []gopacket.LayerType
	n := 0
	for ; ; n++ {
		data, _, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		require.Less(t, n, len(want), "capture has more frames than Wireshark read (%d)", len(want))
		require.NoError(t, parser.DecodeLayers(data, &decoded), "frame %d", n+1)
		require.Len(t, decoded, 3, "frame %d: decoded %v", n+1, decoded)
		require.Equal(t, LayerTypeLACP, decoded[2], "frame %d: decoded %v", n+1, decoded)
		generic, _ := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.Default).Layer(LayerTypeLACP).(*LACPDU)
		if assert.NotNil(t, generic, "frame %d: NewPacket decoded no LACPDU, DecodingLayerParser %+v", n+1, pdu) {
			assert.Equal(t, pdu, *generic, "frame %d: NewPacket against DecodingLayerParser", n+1)
		}
		got := wiresharkFields(&pdu)
		got["eth.src"] = net.HardwareAddr(eth.SrcMAC).String()
		for field, v := range got {
			if assert.Contains(t, want[n], field, "frame %d: Wireshark has no %s", n+1, field) {
				assert.Equal(t, want[n][field], v, "frame %d: %s against Wireshark", n+1, field)
			}
		}
	}
	assert.Equal(t, len(want), n, "decoded %d frames, Wireshark read %d", n, len(want))
	assert.Equal(t, 73, n, "decoded %d frames; the capture has 73", n)
}
