package afpacket

import (
	"bytes"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/dxsim/dxsim/topology/netnstest"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func vethPair(t *testing.T) (netns.NsHandle, int, int) {
	t.Helper()
	ns, h := netnstest.NewNS(t)
	if err := h.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "dxsim-a"}, PeerName: "dxsim-b"}); err != nil {
		t.Fatal(err)
	}
	var idx [2]int
	for i, n := range []string{"dxsim-a", "dxsim-b"} {
		l, err := h.LinkByName(n)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.LinkSetUp(l); err != nil {
			t.Fatal(err)
		}
		idx[i] = l.Attrs().Index
	}
	waitLive(t, ns, idx[0], idx[1])
	return ns, idx[0], idx[1]
}

// waitLive sends probe frames from ifindex a until one arrives on b: a veth
// that has just come up drops what it is given until the kernel has
// activated its queue.
func waitLive(t *testing.T, ns netns.NsHandle, a, b int) {
	t.Helper()
	const probe = 0x88b6
	filter, err := EtherTypeFilter(probe)
	if err != nil {
		t.Fatal(err)
	}
	tx := openT(t, Config{NetNS: ns, Ifindex: a, IgnoreOutgoing: true, Filter: filter})
	rx := openT(t, Config{NetNS: ns, Ifindex: b, Filter: filter})
	frame := make([]byte, 60)
	copy(frame, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0xdd, 0, 0, 0, 1, probe >> 8, probe & 0xff})
	buf := make([]byte, 128)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if err := tx.WriteFrame(frame, 0); err != nil {
			t.Fatal(err)
		}
		_ = rx.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		if _, _, err := rx.ReadFrame(buf); err == nil {
			tx.Close()
			rx.Close()
			return
		}
	}
	t.Fatal("the veth pair passes no frames")
}

func openT(t *testing.T, cfg Config) *Conn {
	t.Helper()
	c, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// read reads one frame, failing the test if none comes.
func read(t *testing.T, c *Conn) ([]byte, Info) {
	t.Helper()
	buf := make([]byte, 2048)
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, info, err := c.ReadFrame(buf)
	if err != nil {
		t.Fatal(err)
	}
	return buf[:n], info
}

// TestVLANTagComesAsMetadata pins down what topology/userspace relies on:
// a tagged frame sent on one end of a veth arrives at the other end's packet
// socket untagged, with its tag in PACKET_AUXDATA.
func TestVLANTagComesAsMetadata(t *testing.T) {
	ns, a, b := vethPair(t)
	filter, err := EtherTypeFilter(0x88b5)
	if err != nil {
		t.Fatal(err)
	}
	tx := openT(t, Config{NetNS: ns, Ifindex: a, IgnoreOutgoing: true, Filter: filter})
	rx := openT(t, Config{NetNS: ns, Ifindex: b, Filter: filter})
	inner := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0xdd, 0, 0, 0, 1, 0x88, 0xb5, 'h', 'i'}
	inner = append(inner, make([]byte, 60-len(inner))...)
	tagged := append(append(append([]byte{}, inner[:12]...), 0x81, 0x00, 0x20, 0x65), inner[12:]...) // PCP 1, VID 101
	if err := tx.WriteFrame(tagged, 0); err != nil {
		t.Fatal(err)
	}
	got, info := read(t, rx)
	if !info.VLANValid || info.VLAN != 0x2065 || info.VLANTPID != 0x8100 {
		t.Errorf("VLAN metadata %#x valid=%v, want VID 101", info.VLAN, info.VLANValid)
	}
	if !bytes.Equal(got, inner) {
		t.Errorf("frame read % x, want the untagged % x", got, inner)
	}
	if info.Direction != DirectionIn || info.Ifindex != b || info.Time.IsZero() || info.Length != len(inner) {
		t.Errorf("info %+v, want in on ifindex %d with a time", info, b)
	}

	// The sender asked not to see its own frames.
	_ = tx.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, _, err := tx.ReadFrame(make([]byte, 2048)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("IgnoreOutgoing socket read %v, want nothing", err)
	}
}

func TestCloseUnblocksRead(t *testing.T) {
	ns, a, _ := vethPair(t)
	// A filter nobody matches: the veth's own IPv6 chatter must not end the
	// read.
	none, err := EtherTypeFilter(0xffff)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Open(Config{NetNS: ns, Ifindex: a, Filter: none})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, _, err := c.ReadFrame(make([]byte, 2048))
		done <- err
	}()
	time.Sleep(10 * time.Millisecond) // let the read block; it must end either way
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Error("read after Close succeeded")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not unblock a pending read")
	}
}

// A lent-buffer read holds no buffer while it waits, reads the frame whole
// into the one it returns, and gives the buffer back when it fails.
func TestReadFrameLentHoldsNoBufferWhileWaiting(t *testing.T) {
	ns, a, b := vethPair(t)
	filter, err := EtherTypeFilter(0x88b5)
	if err != nil {
		t.Fatal(err)
	}
	tx := openT(t, Config{NetNS: ns, Ifindex: a, IgnoreOutgoing: true, Filter: filter})
	rx := openT(t, Config{NetNS: ns, Ifindex: b, Filter: filter})
	bufs := NewBuffers(2048)

	type result struct {
		buf *[]byte
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		buf, n, _, err := rx.ReadFrameLent(bufs)
		done <- result{buf, n, err}
	}()
	// The read has looked, found nothing, given its buffer back and waits.
	deadline := time.Now().Add(10 * time.Second)
	for bufs.Got() == 0 || bufs.Lent() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("waiting read: got %d buffers, holds %d", bufs.Got(), bufs.Lent())
		}
		time.Sleep(time.Millisecond)
	}
	select {
	case r := <-done:
		t.Fatalf("read returned %v before anything was sent", r.err)
	default:
	}

	frame := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0xdd, 0, 0, 0, 1, 0x88, 0xb5, 'l', 'e', 'n', 't'}
	frame = append(frame, make([]byte, 60-len(frame))...)
	if err := tx.WriteFrame(frame, 0); err != nil {
		t.Fatal(err)
	}
	var r result
	select {
	case r = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("no frame read")
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	if !bytes.Equal((*r.buf)[:r.n], frame) || bufs.Lent() != 1 {
		t.Fatalf("read % x holding %d buffers, want % x holding 1", (*r.buf)[:r.n], bufs.Lent(), frame)
	}
	bufs.Put(r.buf)

	_ = rx.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if buf, _, _, err := rx.ReadFrameLent(bufs); !errors.Is(err, os.ErrDeadlineExceeded) || buf != nil {
		t.Fatalf("read past its deadline = %v, %v; want no buffer and ErrDeadlineExceeded", buf, err)
	}
	if bufs.Lent() != 0 {
		t.Fatalf("a failed read holds %d buffers", bufs.Lent())
	}
}
