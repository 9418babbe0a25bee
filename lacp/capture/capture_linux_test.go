package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/dxsim/dxsim/lacp/capture/afpacket"
	"github.com/dxsim/dxsim/topology/netnstest"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// pair makes a veth pair dxsim-a/dxsim-b, up, in a fresh namespace.
func pair(t *testing.T) (netns.NsHandle, *netlink.Handle) {
	t.Helper()
	ns, h := netnstest.NewNS(t)
	makeVeth(t, ns, h)
	return ns, h
}

func makeVeth(t *testing.T, ns netns.NsHandle, h *netlink.Handle) {
	t.Helper()
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "dxsim-a"}, PeerName: "dxsim-b"}
	if err := h.LinkAdd(veth); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"dxsim-a", "dxsim-b"} {
		setUp(t, h, n, true)
	}
	waitLive(t, ns, h)
}

// waitLive sends probe frames from dxsim-a until one arrives on dxsim-b: a
// veth that has just come up drops what it is given until the kernel has
// activated its queue. The probes' EtherType is not one a capture takes.
func waitLive(t *testing.T, ns netns.NsHandle, h *netlink.Handle) {
	t.Helper()
	const probe = 0x88b6
	filter, err := afpacket.EtherTypeFilter(probe)
	if err != nil {
		t.Fatal(err)
	}
	s := newSender(t, ns, h, "dxsim-a")
	defer s.conn.Close()
	b, err := h.LinkByName("dxsim-b")
	if err != nil {
		t.Fatal(err)
	}
	rx, err := afpacket.Open(afpacket.Config{NetNS: ns, Ifindex: b.Attrs().Index, Filter: filter})
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	frame := otherFrame(probe)
	buf := make([]byte, 128)
	for deadline := time.Now().Add(waitLimit); time.Now().Before(deadline); {
		s.send(frame)
		_ = rx.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		if _, _, err := rx.ReadFrame(buf); err == nil {
			return
		}
	}
	t.Fatal("the veth pair passes no frames")
}

func setUp(t *testing.T, h *netlink.Handle, name string, up bool) {
	t.Helper()
	l, err := h.LinkByName(name)
	if err != nil {
		t.Fatal(err)
	}
	if up {
		err = h.LinkSetUp(l)
	} else {
		err = h.LinkSetDown(l)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// sender sends raw frames out of one port of ns.
type sender struct {
	t    *testing.T
	conn *afpacket.Conn
}

func newSender(t *testing.T, ns netns.NsHandle, h *netlink.Handle, port string) *sender {
	t.Helper()
	l, err := h.LinkByName(port)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := afpacket.Open(afpacket.Config{NetNS: ns, Ifindex: l.Attrs().Index, IgnoreOutgoing: true,
		Filter: rejectAll(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &sender{t: t, conn: conn}
}

func rejectAll(t *testing.T) []afpacket.RawInstruction {
	t.Helper()
	// A filter for an EtherType nobody sends: the sender reads nothing.
	f, err := afpacket.EtherTypeFilter(0xffff)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (s *sender) send(frame []byte) {
	s.t.Helper()
	if err := s.conn.WriteFrame(frame, 0); err != nil {
		s.t.Fatal(err)
	}
}

func otherFrame(et uint16) []byte {
	f := make([]byte, 60)
	copy(f, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0xdd, 0, 0, 0, 9})
	binary.BigEndian.PutUint16(f[12:], et)
	return f
}

const waitLimit = 10 * time.Second

func next(t *testing.T, c *Capture) Frame {
	t.Helper()
	select {
	case f, ok := <-c.Frames():
		if !ok {
			t.Fatal("Frames closed")
		}
		return f
	case <-time.After(waitLimit):
		t.Fatal("no frame captured")
	}
	panic("unreachable")
}

func open(t *testing.T, cfg Config) *Capture {
	t.Helper()
	c, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestCaptureFiltersInKernelAndRecordsDirection(t *testing.T) {
	ns, h := pair(t)
	rx := open(t, Config{NetNS: ns, Ports: []string{"dxsim-b"}})
	txSide := open(t, Config{NetNS: ns, Ports: []string{"dxsim-a"}})
	s := newSender(t, ns, h, "dxsim-a")

	// Frames of other EtherTypes go first: had the filter let them through,
	// they would be read before the LACPDU that follows them.
	s.send(otherFrame(0x0800))
	s.send(otherFrame(0x88b5))
	s.send(lacpFrame(7))

	got := next(t, rx)
	if !bytes.Equal(got.Data, lacpFrame(7)) {
		t.Fatalf("first frame captured on dxsim-b is %x, want the LACPDU", got.Data[:14])
	}
	if got.Port != "dxsim-b" || got.Direction != DirectionIn || got.Time.IsZero() || got.Length != 124 {
		t.Errorf("captured %s %s len %d at %v, want dxsim-b in 124", got.Port, got.Direction, got.Length, got.Time)
	}
	out := next(t, txSide)
	if !bytes.Equal(out.Data, lacpFrame(7)) || out.Direction != DirectionOut || out.Port != "dxsim-a" {
		t.Errorf("sender side captured %s %s %x, want the LACPDU going out of dxsim-a", out.Port, out.Direction, out.Data[:14])
	}
	if rx.Stats().Frames != 1 {
		t.Errorf("dxsim-b delivered %d frames, want only the LACPDU", rx.Stats().Frames)
	}
}

func TestCaptureWholeNamespaceNamesPorts(t *testing.T) {
	ns, h := pair(t)
	c := open(t, Config{NetNS: ns})
	s := newSender(t, ns, h, "dxsim-a")
	s.send(otherFrame(0x0800))
	s.send(lacpFrame(3))
	seen := map[string]Direction{}
	for len(seen) < 2 {
		f := next(t, c)
		if !bytes.Equal(f.Data, lacpFrame(3)) {
			t.Fatalf("captured a frame that is not the LACPDU on %s: %x", f.Port, f.Data[:14])
		}
		seen[f.Port] = f.Direction
	}
	if seen["dxsim-a"] != DirectionOut || seen["dxsim-b"] != DirectionIn {
		t.Errorf("saw %v, want dxsim-a out and dxsim-b in", seen)
	}
}

func TestCaptureKeepsListeningAcrossBounce(t *testing.T) {
	ns, h := pair(t)
	c := open(t, Config{NetNS: ns, Ports: []string{"dxsim-b"}})
	s := newSender(t, ns, h, "dxsim-a")

	s.send(lacpFrame(1))
	next(t, c)
	setUp(t, h, "dxsim-b", false)
	setUp(t, h, "dxsim-b", true)
	// The sending end drops frames until the kernel has reactivated its
	// queue after the carrier came back; offer the frame until it passes.
	f := sendUntilCaptured(t, s, c, lacpFrame(2))
	if !bytes.Equal(f.Data, lacpFrame(2)) {
		t.Fatalf("after the bounce captured %x, want the second LACPDU", f.Data)
	}
	// The reader saw ENETDOWN before the frame it delivered after it.
	if st := c.Stats(); st.Downs == 0 || st.Errors != 0 {
		t.Errorf("stats after a bounce %+v, want Downs > 0 and no errors", st)
	}
}

func TestCaptureRebindsToPortMadeAgain(t *testing.T) {
	ns, h := pair(t)
	c := open(t, Config{NetNS: ns, Ports: []string{"dxsim-b"}, RecheckInterval: 10 * time.Millisecond})
	s := newSender(t, ns, h, "dxsim-a")
	s.send(lacpFrame(1))
	next(t, c)

	l, err := h.LinkByName("dxsim-a")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.LinkDel(l); err != nil {
		t.Fatal(err)
	}
	s.conn.Close()
	makeVeth(t, ns, h)
	s = newSender(t, ns, h, "dxsim-a")

	// The capture rebinds on its own schedule; offer the frame until it is
	// captured.
	f := sendUntilCaptured(t, s, c, lacpFrame(2))
	if !bytes.Equal(f.Data, lacpFrame(2)) {
		t.Fatalf("captured %x, want the LACPDU sent on the new pair", f.Data)
	}
	if st := c.Stats(); st.Rebinds != 1 {
		t.Errorf("Rebinds = %d, want 1", st.Rebinds)
	}
}

// sendUntilCaptured sends frame every 20 ms until c delivers a frame, and
// returns that frame.
func sendUntilCaptured(t *testing.T, s *sender, c *Capture, frame []byte) Frame {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		s.send(frame)
		select {
		case f := <-c.Frames():
			return f
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing captured; stats %+v", c.Stats())
		}
	}
}

func TestCaptureToPcapngReadsBack(t *testing.T) {
	ns, h := pair(t)
	c := open(t, Config{NetNS: ns, Ports: []string{"dxsim-a", "dxsim-b"}})
	s := newSender(t, ns, h, "dxsim-a")
	var buf bytes.Buffer
	w := NewPcapngWriter(&buf)
	write := func(f Frame) {
		if err := w.WriteFrame(f); err != nil {
			t.Fatal(err)
		}
	}
	s.send(lacpFrame(1))
	write(next(t, c))
	write(next(t, c))
	setUp(t, h, "dxsim-b", false)
	setUp(t, h, "dxsim-b", true)
	write(sendUntilCaptured(t, s, c, lacpFrame(2)))
	write(next(t, c)) // the same frame on the other port
	c.Close()
	for f := range c.Frames() { // resends that were captured too
		write(f)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	frames := readPcapng(t, buf.Bytes())
	count := map[string]int{}
	for _, f := range frames {
		count[f.Port+"/"+f.Direction.String()]++
		if f.Length != 124 || f.Time.IsZero() {
			t.Errorf("frame %+v: want 124 bytes and a time", f)
		}
	}
	if count["dxsim-a/out"] < 2 || count["dxsim-b/in"] != count["dxsim-a/out"] || len(frames) != 2*count["dxsim-b/in"] {
		t.Errorf("pcapng holds %v, want each frame out of dxsim-a and into dxsim-b", count)
	}
}

func TestOpenMissingPort(t *testing.T) {
	ns, _ := netnstest.NewNS(t)
	_, err := Open(Config{NetNS: ns, Ports: []string{"dxsim-none"}})
	if !errors.Is(err, ErrNoSuchPort) {
		t.Fatalf("Open on a missing port: %v, want ErrNoSuchPort", err)
	}
}

func TestCaptureCountsKernelDrops(t *testing.T) {
	ns, h := pair(t)
	// Nobody reads Frames: the reader blocks on the channel and the
	// socket's buffer (about 200 KiB by default) overflows.
	c := open(t, Config{NetNS: ns, Ports: []string{"dxsim-b"}, Buffer: 1})
	s := newSender(t, ns, h, "dxsim-a")
	const sent = 5000
	for range sent {
		s.send(lacpFrame(1))
	}
	deadline := time.Now().Add(waitLimit)
	for {
		st := c.Stats()
		if st.Dropped > 0 && st.Dropped < sent {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v after %d frames into a stalled capture, want some dropped", st, sent)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// What the socket kept still flows once the consumer reads again.
	for range 3 {
		if f := next(t, c); !bytes.Equal(f.Data, lacpFrame(1)) {
			t.Fatalf("after the overflow captured %x", f.Data)
		}
	}
}

// TestCaptureKeepsVLANTags: the kernel moves a received frame's 802.1Q tag
// into metadata; the capture puts it back, so the frame is recorded as it
// was on the wire.
func TestCaptureKeepsVLANTags(t *testing.T) {
	ns, h := pair(t)
	c := open(t, Config{NetNS: ns, Ports: []string{"dxsim-b"}, EtherType: 0x88b5})
	s := newSender(t, ns, h, "dxsim-a")
	frame := otherFrame(0x8100)
	frame = append(frame[:14], append([]byte{0x20, 0x65, 0x88, 0xb5}, frame[14:56]...)...) // PCP 1, VID 101
	s.send(frame)
	f := next(t, c)
	if !bytes.Equal(f.Data, frame) || f.Length != len(frame) {
		t.Errorf("captured % x (length %d)\nwant     % x", f.Data, f.Length, frame)
	}
}
