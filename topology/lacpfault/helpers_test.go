package lacpfault

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/lacp"
)

// goldenPcap holds LACPDUs written by real Linux 802.3ad bonds.
const goldenPcap = "../../lacp/testdata/linux-bond-fast-3members.pcap"

// goldenFrames reads every frame of goldenPcap.
func goldenFrames(t *testing.T) [][]byte {
	t.Helper()
	f, err := os.Open(goldenPcap)
	require.NoError(t, err)
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	require.NoError(t, err)
	var out [][]byte
	for {
		data, _, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		out = append(out, data)
	}
	require.Len(t, out, 73, "the golden capture has 73 frames")
	return out
}

// decode decodes an LACPDU frame with the lacp package.
func decode(t *testing.T, frame []byte) lacp.LACPDU {
	t.Helper()
	_, sub, pdu, err := lacp.ParseFrame(frame)
	require.NoError(t, err)
	require.Equal(t, lacp.SubtypeLACP, sub)
	var p lacp.LACPDU
	require.NoError(t, p.UnmarshalBinary(pdu))
	return p
}

var (
	macA = net.HardwareAddr{0x02, 0xdd, 0, 0, 0, 0x0a}
	macB = net.HardwareAddr{0x02, 0xdd, 0, 0, 0, 0x0b}
)

// pduFrame builds the LACPDU frame a port with MAC src sends: actor key
// actorKey and state actorState, echoing partnerKey and partnerState.
func pduFrame(t *testing.T, src net.HardwareAddr, actorKey uint16, actorState lacp.State, partnerKey uint16, partnerState lacp.State) []byte {
	t.Helper()
	p := lacp.LACPDU{
		Version: lacp.Version,
		Actor: lacp.PortInfo{
			SystemPriority: 65535, System: lacp.SystemID(src), Key: actorKey,
			PortPriority: 255, Port: 1, State: actorState,
		},
		Partner: lacp.PortInfo{
			SystemPriority: 65535, System: lacp.SystemID{0x02, 0xee, 0, 0, 0, 1}, Key: partnerKey,
			PortPriority: 255, Port: 2, State: partnerState,
		},
		CollectorMaxDelay: 0,
	}
	b, err := p.MarshalFrame(src)
	require.NoError(t, err)
	return b
}

// diff lists the offsets where a and b differ.
func diff(a, b []byte) []int {
	var out []int
	for i := range max(len(a), len(b)) {
		if i >= len(a) || i >= len(b) || a[i] != b[i] {
			out = append(out, i)
		}
	}
	return out
}
