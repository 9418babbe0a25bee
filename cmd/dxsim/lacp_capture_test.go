package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket/pcapgo"
	"github.com/vishvananda/netlink"

	"github.com/dxsim/dxsim/topology/afpacket"
	"github.com/dxsim/dxsim/topology/netnstest"
)

func TestLACPCaptureWritesPcapng(t *testing.T) {
	ns, h := netnstest.NewNS(t)
	if err := h.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "dxsim-a"}, PeerName: "dxsim-b"}); err != nil {
		t.Fatal(err)
	}
	var a netlink.Link
	for _, name := range []string{"dxsim-a", "dxsim-b"} {
		l, err := h.LinkByName(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.LinkSetUp(l); err != nil {
			t.Fatal(err)
		}
		if name == "dxsim-a" {
			a = l
		}
	}
	tx, err := afpacket.Open(afpacket.Config{NetNS: ns, Ifindex: a.Attrs().Index, IgnoreOutgoing: true})
	if err != nil {
		t.Fatal(err)
	}
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
			if err := tx.WriteFrame(f, 0); err != nil {
				t.Fatal(err)
			}
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("dxsim lacp capture: %v\n%s", err, stderr.String())
			}
			running = false
		case <-tick.C:
		case <-timeout:
			t.Fatal("dxsim lacp capture -c 2 did not end")
		}
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	r, err := pcapgo.NewNgReader(bytes.NewReader(b), pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		n++
		intf, _ := r.Interface(ci.InterfaceIndex)
		if !bytes.Equal(data, frame) || intf.Name != "dxsim-b" {
			t.Errorf("frame %d on %q: % x, want the LACPDU on dxsim-b", n, intf.Name, data[:16])
		}
	}
	if n != 2 {
		t.Errorf("pcapng holds %d frames, want 2 (-c 2)", n)
	}
}
