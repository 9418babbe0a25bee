package lacpfault

import (
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/dxsim/dxsim/topology/afpacket"
	"github.com/dxsim/dxsim/topology/internal/nsthread"
	"github.com/dxsim/dxsim/topology/netnstest"
)

// end is one end of a veth pair, in its own namespace.
type end struct {
	ns   netns.NsHandle
	h    *netlink.Handle
	name string
	idx  int
	tx   *afpacket.Conn
}

const (
	etherProbe = 0x88b6 // local experimental: the veth's liveness probe
	etherOther = 0x88b5 // local experimental: "not LACP"
)

// vethPair makes a veth pair across two fresh namespaces, up and passing
// frames.
func vethPair(t *testing.T) (a, b *end) {
	t.Helper()
	nsA, hA := netnstest.NewNS(t)
	nsB, hB := netnstest.NewNS(t)
	require.NoError(t, hA.LinkAdd(&netlink.Veth{
		LinkAttrs: netlink.LinkAttrs{Name: "dxf-a"}, PeerName: "dxf-b", PeerNamespace: netlink.NsFd(int(nsB)),
	}))
	a, b = &end{ns: nsA, h: hA, name: "dxf-a"}, &end{ns: nsB, h: hB, name: "dxf-b"}
	for _, e := range []*end{a, b} {
		l, err := e.h.LinkByName(e.name)
		require.NoError(t, err)
		require.NoError(t, e.h.LinkSetUp(l))
		e.idx = l.Attrs().Index
		e.tx, err = afpacket.Open(afpacket.Config{NetNS: e.ns, Ifindex: e.idx, IgnoreOutgoing: true})
		require.NoError(t, err)
		t.Cleanup(func() { e.tx.Close() })
	}
	waitLive(t, a, b)
	return a, b
}

// waitLive sends probes until one arrives: a veth that has just come up
// drops what it is given until the kernel has activated its queue.
func waitLive(t *testing.T, a, b *end) {
	t.Helper()
	rx := openRx(t, b, etherProbe)
	frame := make([]byte, 60)
	copy(frame, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0xdd, 0, 0, 0, 1, etherProbe >> 8, etherProbe & 0xff})
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		a.send(t, frame)
		if _, ok := rx.read(t, 20*time.Millisecond); ok {
			return
		}
	}
	require.FailNow(t, "the veth pair passes no frames")
}

// send sends frame and reports whether it left: a frame the egress program
// drops fails the send with ENOBUFS (the qdisc layer's NET_XMIT_DROP).
func (e *end) send(t *testing.T, frame []byte) bool {
	t.Helper()
	err := e.tx.WriteFrame(frame, 0)
	if errors.Is(err, unix.ENOBUFS) {
		return false
	}
	require.NoError(t, err)
	return true
}

func (e *end) set(t *testing.T, f Fault) {
	t.Helper()
	require.NoError(t, Set(e.ns, e.name, f))
}

func (e *end) counters(t *testing.T) Counters {
	t.Helper()
	c, err := Stats(e.ns, e.name)
	require.NoError(t, err)
	return c
}

// rx is a packet socket bound to one EtherType rather than ETH_P_ALL: the
// kernel hands it frames after tc ingress has run (a tap sees them before),
// and never the frames its interface sends.
type rx struct{ fd int }

func openRx(t *testing.T, e *end, etherType uint16) *rx {
	t.Helper()
	proto := htons(etherType)
	var fd int
	require.NoError(t, nsthread.Do(e.ns, func() error {
		var err error
		fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(proto))
		return err
	}))
	t.Cleanup(func() { unix.Close(fd) })
	require.NoError(t, unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: proto, Ifindex: e.idx}))
	return &rx{fd: fd}
}

// read returns the next frame, or false when none came within d.
func (r *rx) read(t *testing.T, d time.Duration) ([]byte, bool) {
	t.Helper()
	tv := unix.NsecToTimeval(d.Nanoseconds())
	require.NoError(t, unix.SetsockoptTimeval(r.fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv))
	buf := make([]byte, 2048)
	n, _, err := unix.Recvfrom(r.fd, buf, 0)
	if err == unix.EAGAIN || err == unix.EINTR {
		return nil, false
	}
	require.NoError(t, err)
	return buf[:n], true
}

// none checks that nothing arrives within d.
func (r *rx) none(t *testing.T, d time.Duration, why string) {
	t.Helper()
	if f, ok := r.read(t, d); ok {
		require.FailNow(t, "a frame arrived: "+why, "% x", f)
	}
}

// next waits for a frame, generously.
func (r *rx) next(t *testing.T, why string) []byte {
	t.Helper()
	f, ok := r.read(t, 2*time.Second)
	require.True(t, ok, "no frame arrived: %s", why)
	return f
}

func htons(v uint16) uint16 {
	var b [2]byte
	binary.BigEndian.PutUint16(b[:], v)
	return binary.NativeEndian.Uint16(b[:])
}

// otherFrame is a frame of another EtherType, whose bytes must pass as they are.
func otherFrame(src []byte, seq byte) []byte {
	f := make([]byte, 124)
	copy(f, []byte{0x01, 0x80, 0xc2, 0x00, 0x00, 0x02})
	copy(f[6:], src)
	binary.BigEndian.PutUint16(f[12:], etherOther)
	for i := 14; i < len(f); i++ {
		f[i] = byte(i) ^ seq
	}
	f[14] = 1 // LACP's subtype, under another EtherType
	return f
}
