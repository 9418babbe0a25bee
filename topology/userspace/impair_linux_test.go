package userspace

import (
	"encoding/binary"
	"errors"
	"net"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/lacp"
	"github.com/dxsim/dxsim/topology/netnstest"
)

// TestImpairmentTimesOutLACPMember: a member that loses every frame it
// sends loses its LACPDUs too, so its partner times it out (3 s, short
// timeouts); the impairment stays with the port when it leaves the LAG and
// joins again; cleared, the member is taken back.
func TestImpairmentTimesOutLACPMember(t *testing.T) {
	netnstest.RequireRoot(t)
	aws := newSide(t, "aws", New)
	cust := newSide(t, "customer", New)
	connect(t, aws, "dxcon-i0", cust, "cust-i0")
	awsMAC, _ := net.ParseMAC("02:dd:00:00:00:11")
	custMAC, _ := net.ParseMAC("02:cc:00:00:00:11")
	require.NoError(t, aws.h.CreateLAG(LAGConfig{Name: "dxlag-i", MinLinks: 1, SystemMAC: awsMAC}))
	require.NoError(t, cust.h.CreateLAG(LAGConfig{Name: "dxlag-i", MinLinks: 1, SystemMAC: custMAC}))
	aws.join("dxlag-i", "dxcon-i0")
	cust.join("dxlag-i", "cust-i0")
	aws.waitUsable("dxlag-i", "dxcon-i0")
	cust.waitUsable("dxlag-i", "cust-i0")

	cust.drain()
	require.NoError(t, aws.h.SetImpairment("dxcon-i0", Impairment{Loss: 100}))
	set := time.Now()
	out := func(e Event) bool {
		return e.Kind == EventMember && e.Member == "cust-i0" && !e.Actor.Has(lacp.StateCollecting|lacp.StateDistributing)
	}
	cust.waitFor("cust-i0 timed out", out)
	took := time.Since(set)
	t.Logf("100%% loss: the partner took the member out after %s", took.Round(time.Millisecond))
	assert.Greater(t, took, 1500*time.Millisecond, "out before the short timeout could run")
	assert.Less(t, took, 6*time.Second, "the short timeout is 3 s")
	imp, st := aws.h.Impairment("dxcon-i0")
	assert.Equal(t, Impairment{Loss: 100}, imp)
	assert.Positive(t, st.Lost, "LACPDUs lost: %+v", st)
	assert.Zero(t, st.Sent, "frames through 100%% loss: %+v", st)

	// Out of the LAG and in again: still lost.
	require.NoError(t, aws.h.RemoveMember("dxlag-i", "dxcon-i0"))
	aws.join("dxlag-i", "dxcon-i0")
	time.Sleep(3500 * time.Millisecond) // past the short timeout
	_, again := aws.h.Impairment("dxcon-i0")
	assert.Greater(t, again.Lost, st.Lost, "the member made again lost nothing")
	assert.Zero(t, again.Sent)
	status, err := cust.h.LAGStatus("dxlag-i")
	require.NoError(t, err)
	require.Len(t, status.Members, 1)
	assert.False(t, status.Members[0].CollectingDistributing(), "the partner took back a member that sends nothing: %+v", status)

	require.NoError(t, aws.h.SetImpairment("dxcon-i0", Impairment{}))
	aws.waitUsable("dxlag-i", "dxcon-i0")
	cust.waitUsable("dxlag-i", "cust-i0")
	imp, st = aws.h.Impairment("dxcon-i0")
	assert.Zero(t, imp, "cleared")
	assert.Zero(t, st, "cleared")
}

// TestImpairmentLossAndDelay measures what an impairment does to frames the
// Host sends: tagged on a port carrying a VLAN, and distributed over a
// (static) LAG's member.
func TestImpairmentLossAndDelay(t *testing.T) {
	netnstest.RequireRoot(t)
	for _, c := range []struct {
		name  string
		build func(t *testing.T, aws, cust *side) (impaired, awsIf, custIf string)
	}{
		{"vlan-on-port", func(t *testing.T, aws, cust *side) (string, string, string) {
			connect(t, aws, "dxcon-v", cust, "cust-v")
			require.NoError(t, aws.h.CreateVLAN(VLANConfig{Name: "dxvif-v", Parent: "dxcon-v", VID: 100}))
			require.NoError(t, cust.h.CreateVLAN(VLANConfig{Name: "dxvif-v", Parent: "cust-v", VID: 100}))
			return "dxcon-v", "dxvif-v", "dxvif-v"
		}},
		{"lag-member", func(t *testing.T, aws, cust *side) (string, string, string) {
			connect(t, aws, "dxcon-s", cust, "cust-s")
			for _, s := range []*side{aws, cust} {
				require.NoError(t, s.h.CreateLAG(LAGConfig{Name: "dxlag-s", MinLinks: 1, Static: true}))
			}
			aws.join("dxlag-s", "dxcon-s")
			cust.join("dxlag-s", "cust-s")
			for _, s := range []*side{aws, cust} {
				s.waitFor("LAG carrier", func(e Event) bool { return e.Kind == EventCarrier && e.Up })
			}
			return "dxcon-s", "dxlag-s", "dxlag-s"
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			aws := newSide(t, "aws", New)
			cust := newSide(t, "customer", New)
			port, awsIf, custIf := c.build(t, aws, cust)
			aws.addr(awsIf, "10.7.0.1/24")
			cust.addr(custIf, "10.7.0.2/24")
			// Both ways, so that neither side has ARP to do while measured.
			udpAcross(t, aws, "10.7.0.1", cust, "10.7.0.2")
			udpAcross(t, cust, "10.7.0.2", aws, "10.7.0.1")
			p := newProber(t, aws, "10.7.0.1", cust, "10.7.0.2")

			base := p.oneWay(t, 10)
			require.NoError(t, aws.h.SetImpairment(port, Impairment{Loss: 30}))
			const n = 2000
			got := p.count(t, n)
			lost := float64(n-got) / n * 100
			_, st := aws.h.Impairment(port)
			t.Logf("30%% loss: %d of %d datagrams arrived (%.1f%% lost); the port counted %+v", got, n, lost, st)
			assert.GreaterOrEqual(t, lost, 15.0)
			assert.LessOrEqual(t, lost, 45.0)
			assert.GreaterOrEqual(t, st.Lost, uint64(n-got)*9/10, "losses not counted")

			require.NoError(t, aws.h.SetImpairment(port, Impairment{Delay: 100 * time.Millisecond}))
			delayed := p.oneWay(t, 10)
			t.Logf("one way: %s unimpaired, %s with 100 ms of delay", base, delayed)
			assert.GreaterOrEqual(t, delayed[0], 100*time.Millisecond, "the fastest frame beat the delay")
			assert.Less(t, delayed[len(delayed)/2], 600*time.Millisecond, "the median frame took far longer than the delay")

			require.NoError(t, aws.h.SetImpairment(port, Impairment{}))
			cleared := p.oneWay(t, 10)
			t.Logf("cleared: %s", cleared)
			assert.Less(t, cleared[len(cleared)/2], 50*time.Millisecond, "still delayed once cleared")
			// Not exactly all: a busy host's sockets drop a few too.
			assert.GreaterOrEqual(t, p.count(t, n), n*95/100, "frames lost once cleared")
		})
	}
}

// drain discards the events s's Host has reported so far.
func (s *side) drain() {
	for {
		select {
		case <-s.h.Events():
		default:
			return
		}
	}
}

// prober sends numbered datagrams from one side to the other.
type prober struct {
	tx, rx *net.UDPConn
	dst    *net.UDPAddr
	seq    uint32
}

func newProber(t *testing.T, from *side, src string, to *side, dst string) *prober {
	t.Helper()
	p := &prober{tx: listenUDP(t, from, src), rx: listenUDP(t, to, dst), dst: &net.UDPAddr{IP: net.ParseIP(dst), Port: 7777}}
	t.Cleanup(func() {
		p.tx.Close()
		p.rx.Close()
	})
	return p
}

// oneWay times n datagrams one at a time, sender to receiver (one clock),
// and returns their times, sorted. A datagram lost fails the test.
func (p *prober) oneWay(t *testing.T, n int) []time.Duration {
	t.Helper()
	var took []time.Duration
	buf := make([]byte, 64)
	for range n {
		p.seq++
		sent := time.Now()
		_, err := p.tx.WriteToUDP(binary.BigEndian.AppendUint32(nil, p.seq), p.dst)
		require.NoError(t, err)
		for {
			require.NoError(t, p.rx.SetReadDeadline(time.Now().Add(2*time.Second)))
			m, _, err := p.rx.ReadFromUDP(buf)
			require.NoError(t, err, "datagram %d", p.seq)
			if m == 4 && binary.BigEndian.Uint32(buf) == p.seq {
				break
			}
		}
		took = append(took, time.Since(sent))
	}
	slices.Sort(took)
	return took
}

// count sends n datagrams, paced, and counts those that arrive.
func (p *prober) count(t *testing.T, n int) int {
	t.Helper()
	first := p.seq + 1
	var (
		wg   sync.WaitGroup
		seen = map[uint32]bool{}
		last = first + uint32(n) - 1
	)
	wg.Go(func() {
		buf := make([]byte, 64)
		for {
			_ = p.rx.SetReadDeadline(time.Now().Add(time.Second))
			m, _, err := p.rx.ReadFromUDP(buf)
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return // quiet for a second: the rest were lost
			}
			if err != nil {
				t.Errorf("receiving: %v", err)
				return
			}
			if s := binary.BigEndian.Uint32(buf); m == 4 && s >= first && s <= last {
				seen[s] = true
				if len(seen) == n {
					return
				}
			}
		}
	})
	for i := range n {
		p.seq++
		_, err := p.tx.WriteToUDP(binary.BigEndian.AppendUint32(nil, p.seq), p.dst)
		require.NoError(t, err)
		if i%10 == 9 {
			time.Sleep(time.Millisecond)
		}
	}
	wg.Wait()
	return len(seen)
}
