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
		if len(cols) != len(header) {
			t.Fatalf("tshark row %d has %d columns, header %d", len(rows)+1, len(cols), len(header))
		}
		row := make(map[string]string, len(cols))
		for i, c := range cols {
			row[header[i]] = c
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
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
	tsv, err := os.Open(goldenTSV)
	if err != nil {
		t.Fatal(err)
	}
	defer tsv.Close()
	want := readTSV(t, tsv)

	pcapFile, err := os.Open(goldenPcap)
	if err != nil {
		t.Fatal(err)
	}
	defer pcapFile.Close()
	r, err := pcapgo.NewReader(pcapFile)
	if err != nil {
		t.Fatal(err)
	}

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
		if err != nil {
			t.Fatal(err)
		}
		if n >= len(want) {
			t.Fatalf("capture has more frames than Wireshark read (%d)", len(want))
		}
		if err := parser.DecodeLayers(data, &decoded); err != nil {
			t.Fatalf("frame %d: %v", n+1, err)
		}
		if len(decoded) != 3 || decoded[2] != LayerTypeLACP {
			t.Fatalf("frame %d: decoded %v", n+1, decoded)
		}
		generic, _ := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.Default).Layer(LayerTypeLACP).(*LACPDU)
		if generic == nil || *generic != pdu {
			t.Errorf("frame %d: NewPacket decoded %+v, DecodingLayerParser %+v", n+1, generic, pdu)
		}
		got := wiresharkFields(&pdu)
		got["eth.src"] = net.HardwareAddr(eth.SrcMAC).String()
		for field, v := range got {
			if w, ok := want[n][field]; !ok || w != v {
				t.Errorf("frame %d: %s = %q, Wireshark %q", n+1, field, v, w)
			}
		}
	}
	if n != len(want) || n != 73 {
		t.Errorf("decoded %d frames, Wireshark read %d; the capture has 73", n, len(want))
	}
}
