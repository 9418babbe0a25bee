package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket/pcapgo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"

	"github.com/dxsim/dxsim/topology/afpacket"
	"github.com/dxsim/dxsim/topology/netnstest"
)

func TestLACPCaptureWritesPcapng(t *testing.T) {
	ns, h := netnstest.NewNS(t)
	require.NoError(t, h.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "dxsim-a"}, PeerName: "dxsim-b"}))
	var a netlink.Link
	for _, name := range []string{"dxsim-a", "dxsim-b"} {
		l, err := h.LinkByName(name)
		require.NoError(t, err)
		require.NoError(t, h.LinkSetUp(l))
		if name == "dxsim-a" {
			a = l
		}
	}
	tx, err := afpacket.Open(afpacket.Config{NetNS: ns, Ifindex: a.Attrs().Index, IgnoreOutgoing: true})
	require.NoError(t, err)
	defer tx.Close()

	out := filepath.Join(t.TempDir(), "lacp.pcapng")
	cmd := newRootCmd()
	var stderr bytes.Buffer
	cmd.SetErr(&stderr)
	cmd.SetArgs([]string{"lacp", "capture", "--netns", fmt.Sprintf("/proc/self/fd/%d", ns), "-c", "2", "-w", out, "dxsim-b"})
	done := make(chan error, 1)
	go func() { done <- cmd.Execute() }()

	frame := make([]byte, 124)
	copy(frame, []byte{0x01, 0x80, 0xc2, 0, 0, 2, 2, 0xdd, 0, 0, 0, 1, 0x88, 0x09, 1, 1})
	other := append([]byte(nil), frame...)
	other[12], other[13] = 0x08, 0x00
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	timeout := time.After(30 * time.Second)
	for running := true; running; {
		// Until the capture has its socket, frames go unseen: keep sending.
		for _, f := range [][]byte{other, frame} {
			require.NoError(t, tx.WriteFrame(f, 0))
		}
		select {
		case err := <-done:
			require.NoError(t, err, "dxsim lacp capture\n%s", stderr.String())
			running = false
		case <-tick.C:
		case <-timeout:
			require.FailNow(t, "dxsim lacp capture -c 2 did not end")
		}
	}
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	r, err := pcapgo.NewNgReader(bytes.NewReader(b), pcapgo.DefaultNgReaderOptions)
	require.NoError(t, err)
	n := 0
	for {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		n++
		intf, _ := r.Interface(ci.InterfaceIndex)
		assert.Equal(t, frame, data, "frame %d on %q: want the LACPDU", n, intf.Name)
		assert.Equal(t, "dxsim-b", intf.Name, "frame %d: want the LACPDU on dxsim-b", n)
	}
	assert.Equal(t, 2, n, "frames in the pcapng (-c 2)")
}
