package userspace

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/topology/afpacket"
	"github.com/dxsim/dxsim/topology/netnstest"
)

// BenchmarkLAGForwarding measures frames carried from one side's LAG TAP to
// the other's over two static members: TAP read, hash, AF_PACKET send, veth,
// AF_PACKET receive, TAP write. At most 64 frames are in flight, so the
// figure is throughput without overrunning socket buffers; frames lost
// anyway are reported. The final wait for the last window is timed too.
func BenchmarkLAGForwarding(b *testing.B) {
	netnstest.RequireRoot(b)
	aws := newSide(b, "aws", New)
	cust := newSide(b, "customer", New)
	for i := range 2 {
		connect(b, aws, fmt.Sprintf("dxcon-b%d", i), cust, fmt.Sprintf("cust-b%d", i))
	}
	for _, s := range []*side{aws, cust} {
		require.NoError(b, s.h.CreateLAG(LAGConfig{Name: "dxlag-b", MinLinks: 2, Static: true}))
		for i := range 2 {
			port := fmt.Sprintf("dxcon-b%d", i)
			if s == cust {
				port = fmt.Sprintf("cust-b%d", i)
			}
			s.setUp(port, false)
			require.NoError(b, s.h.AddMember("dxlag-b", port))
			s.setUp(port, true)
		}
		s.waitFor("carrier", func(e Event) bool { return e.Kind == EventCarrier && e.Up })
	}
	tx := tapSocket(b, aws, 0xffff)
	rx := tapSocket(b, cust, 0x88b5)
	// A frame takes a slot before it is sent and frees it when it arrives:
	// at most window frames in flight.
	const window = 64
	slots := make(chan struct{}, window)
	var got atomic.Int64
	go func() {
		buf := make([]byte, 2048)
		for {
			if _, _, err := rx.ReadFrame(buf); err != nil {
				return
			}
			got.Add(1)
			select {
			case <-slots:
			default:
			}
		}
	}()
	defer rx.Close()

	frame := make([]byte, 1514)
	copy(frame, []byte{2, 0xcc, 0, 0, 0, 9, 2, 0xdd, 0, 0, 0, 9, 0x88, 0xb5})
	lost := 0
	take := func() {
		select {
		case slots <- struct{}{}:
		case <-time.After(100 * time.Millisecond):
			lost++ // a frame in flight never arrived; reuse its slot
		}
	}
	b.SetBytes(int64(len(frame)))
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		take()
		// Vary the source MAC so that frames spread over both members.
		frame[11] = byte(i)
		if err := tx.WriteFrame(frame, 0); err != nil {
			b.Fatal(err)
		}
	}
	for range window {
		take()
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(got.Load())/elapsed.Seconds(), "frames/s")
	b.ReportMetric(float64(lost), "lost")
}

// tapSocket opens a packet socket on a side's LAG TAP letting through only
// EtherType et.
func tapSocket(b *testing.B, s *side, et uint16) *afpacket.Conn {
	b.Helper()
	l, err := s.nl.LinkByName("dxlag-b")
	require.NoError(b, err)
	filter, err := afpacket.EtherTypeFilter(et)
	require.NoError(b, err)
	c, err := afpacket.Open(afpacket.Config{NetNS: s.ns, Ifindex: l.Attrs().Index, Filter: filter, IgnoreOutgoing: true})
	require.NoError(b, err)
	b.Cleanup(func() { c.Close() })
	return c
}
