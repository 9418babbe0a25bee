package capture

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"go.uber.org/goleak"

	"github.com/dxsim/dxsim/topology/afpacket"
	"github.com/dxsim/dxsim/topology/netnstest"
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
	require.NoError(t, h.LinkAdd(veth))
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
	require.NoError(t, err)
	s := newSender(t, ns, h, "dxsim-a")
	defer s.conn.Close()
	b, err := h.LinkByName("dxsim-b")
	require.NoError(t, err)
	rx, err := afpacket.Open(afpacket.Config{NetNS: ns, Ifindex: b.Attrs().Index, Filter: filter})
	require.NoError(t, err)
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
	require.FailNow(t, "the veth pair passes no frames")
}

func setUp(t *testing.T, h *netlink.Handle, name string, up bool) {
	t.Helper()
	l, err := h.LinkByName(name)
	require.NoError(t, err)
	if up {
		err = h.LinkSetUp(l)
	} else {
		err = h.LinkSetDown(l)
	}
	require.NoError(t, err)
}

// sender sends raw frames out of one port of ns.
type sender struct {
	t    *testing.T
	conn *afpacket.Conn
}

func newSender(t *testing.T, ns netns.NsHandle, h *netlink.Handle, port string) *sender {
	t.Helper()
	l, err := h.LinkByName(port)
	require.NoError(t, err)
	conn, err := afpacket.Open(afpacket.Config{NetNS: ns, Ifindex: l.Attrs().Index, IgnoreOutgoing: true,
		Filter: rejectAll(t)})
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return &sender{t: t, conn: conn}
}

func rejectAll(t *testing.T) []afpacket.RawInstruction {
	t.Helper()
	// A filter for an EtherType nobody sends: the sender reads nothing.
	f, err := afpacket.EtherTypeFilter(0xffff)
	require.NoError(t, err)
	return f
}

func (s *sender) send(frame []byte) {
	s.t.Helper()
	require.NoError(s.t, s.conn.WriteFrame(frame, 0))
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
		require.True(t, ok, "Frames closed")
		return f
	case <-time.After(waitLimit):
		require.FailNow(t, "no frame captured")
	}
	panic("unreachable")
}

func open(t *testing.T, cfg Config) *Capture {
	t.Helper()
	c, err := Open(cfg)
	require.NoError(t, err)
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
	require.Equal(t, lacpFrame(7), got.Data, "first frame captured on dxsim-b, want the LACPDU")
	assert.Equal(t, "dxsim-b", got.Port, "captured port")
	assert.Equal(t, DirectionIn, got.Direction, "captured direction")
	assert.False(t, got.Time.IsZero(), "captured frame has no time")
	assert.Equal(t, 124, got.Length, "captured length")
	out := next(t, txSide)
	assert.Equal(t, lacpFrame(7), out.Data, "sender side captured data, want the LACPDU")
	assert.Equal(t, DirectionOut, out.Direction, "sender side captured direction")
	assert.Equal(t, "dxsim-a", out.Port, "sender side captured port")
	assert.Equal(t, uint64(1), rx.Stats().Frames, "frames dxsim-b delivered, want only the LACPDU")
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
		require.Equal(t, lacpFrame(3), f.Data, "captured a frame that is not the LACPDU on %s", f.Port)
		seen[f.Port] = f.Direction
	}
	assert.Equal(t, DirectionOut, seen["dxsim-a"], "saw %v, want dxsim-a out and dxsim-b in", seen)
	assert.Equal(t, DirectionIn, seen["dxsim-b"], "saw %v, want dxsim-a out and dxsim-b in", seen)
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
	require.Equal(t, lacpFrame(2), f.Data, "after the bounce, want the second LACPDU")
	// The reader saw ENETDOWN before the frame it delivered after it.
	st := c.Stats()
	assert.NotZero(t, st.Downs, "stats after a bounce %+v, want Downs > 0", st)
	assert.Zero(t, st.Errors, "stats after a bounce %+v, want no errors", st)
}

func TestCaptureRebindsToPortMadeAgain(t *testing.T) {
	ns, h := pair(t)
	c := open(t, Config{NetNS: ns, Ports: []string{"dxsim-b"}, RecheckInterval: 10 * time.Millisecond})
	s := newSender(t, ns, h, "dxsim-a")
	s.send(lacpFrame(1))
	next(t, c)

	l, err := h.LinkByName("dxsim-a")
	require.NoError(t, err)
	require.NoError(t, h.LinkDel(l))
	s.conn.Close()
	makeVeth(t, ns, h)
	s = newSender(t, ns, h, "dxsim-a")

	// The capture rebinds on its own schedule; offer the frame until it is
	// captured.
	f := sendUntilCaptured(t, s, c, lacpFrame(2))
	require.Equal(t, lacpFrame(2), f.Data, "want the LACPDU sent on the new pair")
	assert.Equal(t, uint64(1), c.Stats().Rebinds, "Rebinds")
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
			require.FailNow(t, "nothing captured", "stats %+v", c.Stats())
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
		require.NoError(t, w.WriteFrame(f))
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
	require.NoError(t, w.Flush())
	frames := readPcapng(t, buf.Bytes())
	count := map[string]int{}
	for _, f := range frames {
		count[f.Port+"/"+f.Direction.String()]++
		assert.Equal(t, 124, f.Length, "frame %+v: want 124 bytes", f)
		assert.False(t, f.Time.IsZero(), "frame %+v: want a time", f)
	}
	assert.GreaterOrEqual(t, count["dxsim-a/out"], 2, "pcapng holds %v, want each frame out of dxsim-a and into dxsim-b", count)
	assert.Equal(t, count["dxsim-a/out"], count["dxsim-b/in"], "pcapng holds %v, want each frame out of dxsim-a and into dxsim-b", count)
	assert.Equal(t, 2*count["dxsim-b/in"], len(frames), "pcapng holds %v, want each frame out of dxsim-a and into dxsim-b", count)
}

func TestOpenMissingPort(t *testing.T) {
	ns, _ := netnstest.NewNS(t)
	_, err := Open(Config{NetNS: ns, Ports: []string{"dxsim-none"}})
	require.ErrorIs(t, err, ErrNoSuchPort, "Open on a missing port")
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
			require.FailNow(t, "nothing dropped", "stats %+v after %d frames into a stalled capture, want some dropped", st, sent)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// What the socket kept still flows once the consumer reads again.
	for range 3 {
		require.Equal(t, lacpFrame(1), next(t, c).Data, "after the overflow")
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
	assert.Equal(t, frame, f.Data, "captured frame")
	assert.Equal(t, len(frame), f.Length, "captured length")
}
