package afpacket

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"go.uber.org/goleak"

	"github.com/dxsim/dxsim/topology/netnstest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func vethPair(t *testing.T) (netns.NsHandle, int, int) {
	t.Helper()
	ns, h := netnstest.NewNS(t)
	require.NoError(t, h.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "dxsim-a"}, PeerName: "dxsim-b"}))
	var idx [2]int
	for i, n := range []string{"dxsim-a", "dxsim-b"} {
		l, err := h.LinkByName(n)
		require.NoError(t, err)
		require.NoError(t, h.LinkSetUp(l))
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
	require.NoError(t, err)
	tx := openT(t, Config{NetNS: ns, Ifindex: a, IgnoreOutgoing: true, Filter: filter})
	rx := openT(t, Config{NetNS: ns, Ifindex: b, Filter: filter})
	frame := make([]byte, 60)
	copy(frame, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0xdd, 0, 0, 0, 1, probe >> 8, probe & 0xff})
	buf := make([]byte, 128)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		require.NoError(t, tx.WriteFrame(frame, 0))
		_ = rx.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		if _, _, err := rx.ReadFrame(buf); err == nil {
			tx.Close()
			rx.Close()
			return
		}
	}
	require.FailNow(t, "the veth pair passes no frames")
}

func openT(t *testing.T, cfg Config) *Conn {
	t.Helper()
	c, err := Open(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// read reads one frame, failing the test if none comes.
func read(t *testing.T, c *Conn) ([]byte, Info) {
	t.Helper()
	buf := make([]byte, 2048)
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, info, err := c.ReadFrame(buf)
	require.NoError(t, err)
	return buf[:n], info
}

// TestVLANTagComesAsMetadata pins down what topology/userspace relies on:
// a tagged frame sent on one end of a veth arrives at the other end's packet
// socket untagged, with its tag in PACKET_AUXDATA.
func TestVLANTagComesAsMetadata(t *testing.T) {
	ns, a, b := vethPair(t)
	filter, err := EtherTypeFilter(0x88b5)
	require.NoError(t, err)
	tx := openT(t, Config{NetNS: ns, Ifindex: a, IgnoreOutgoing: true, Filter: filter})
	rx := openT(t, Config{NetNS: ns, Ifindex: b, Filter: filter})
	inner := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0xdd, 0, 0, 0, 1, 0x88, 0xb5, 'h', 'i'}
	inner = append(inner, make([]byte, 60-len(inner))...)
	tagged := append(append(append([]byte{}, inner[:12]...), 0x81, 0x00, 0x20, 0x65), inner[12:]...) // PCP 1, VID 101
	require.NoError(t, tx.WriteFrame(tagged, 0))
	got, info := read(t, rx)
	assert.True(t, info.VLANValid, "VLAN metadata %#x valid=%v, want VID 101", info.VLAN, info.VLANValid)
	assert.Equal(t, uint16(0x2065), info.VLAN, "VLAN metadata, want PCP 1 VID 101")
	assert.Equal(t, uint16(0x8100), info.VLANTPID, "VLAN TPID")
	assert.Equal(t, inner, got, "frame read, want the untagged frame")
	assert.Equal(t, DirectionIn, info.Direction, "info %+v", info)
	assert.Equal(t, b, info.Ifindex, "info %+v", info)
	assert.False(t, info.Time.IsZero(), "info %+v, want a time", info)
	assert.Equal(t, len(inner), info.Length, "info %+v", info)

	// The sender asked not to see its own frames.
	_ = tx.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	_, _, err = tx.ReadFrame(make([]byte, 2048))
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded, "IgnoreOutgoing socket read, want nothing")
}

func TestCloseUnblocksRead(t *testing.T) {
	ns, a, _ := vethPair(t)
	// A filter nobody matches: the veth's own IPv6 chatter must not end the
	// read.
	none, err := EtherTypeFilter(0xffff)
	require.NoError(t, err)
	c, err := Open(Config{NetNS: ns, Ifindex: a, Filter: none})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() {
		_, _, err := c.ReadFrame(make([]byte, 2048))
		done <- err
	}()
	time.Sleep(10 * time.Millisecond) // let the read block; it must end either way
	require.NoError(t, c.Close())
	select {
	case err := <-done:
		assert.Error(t, err, "read after Close succeeded")
	case <-time.After(10 * time.Second):
		require.FailNow(t, "Close did not unblock a pending read")
	}
}

// A lent-buffer read holds no buffer while it waits, reads the frame whole
// into the one it returns, and gives the buffer back when it fails.
func TestReadFrameLentHoldsNoBufferWhileWaiting(t *testing.T) {
	ns, a, b := vethPair(t)
	filter, err := EtherTypeFilter(0x88b5)
	require.NoError(t, err)
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
			require.FailNow(t, "the waiting read did not give its buffer back", "got %d buffers, holds %d", bufs.Got(), bufs.Lent())
		}
		time.Sleep(time.Millisecond)
	}
	select {
	case r := <-done:
		require.FailNow(t, "read returned before anything was sent", "%v", r.err)
	default:
	}

	frame := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0xdd, 0, 0, 0, 1, 0x88, 0xb5, 'l', 'e', 'n', 't'}
	frame = append(frame, make([]byte, 60-len(frame))...)
	require.NoError(t, tx.WriteFrame(frame, 0))
	var r result
	select {
	case r = <-done:
	case <-time.After(10 * time.Second):
		require.FailNow(t, "no frame read")
	}
	require.NoError(t, r.err)
	require.Equal(t, frame, (*r.buf)[:r.n], "frame read")
	require.Equal(t, int64(1), bufs.Lent(), "buffers held after the read")
	bufs.Put(r.buf)

	_ = rx.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	buf, _, _, err := rx.ReadFrameLent(bufs)
	require.ErrorIs(t, err, os.ErrDeadlineExceeded, "read past its deadline")
	require.Nil(t, buf, "read past its deadline returned a buffer")
	require.Equal(t, int64(0), bufs.Lent(), "buffers a failed read holds")
}
