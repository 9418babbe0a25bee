package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/aws/aws-sdk-go-v2/aws"
	dx "github.com/aws/aws-sdk-go-v2/service/directconnect"
	"github.com/aws/aws-sdk-go-v2/service/directconnect/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology"
	"github.com/dxsim/dxsim/topology/afpacket"
)

// nsfRate is the probe's rate: a datagram a millisecond.
const nsfRate = 1000

// TestServeRestartKeepsForwarding restarts `dxsim serve` twice, cleanly (SIGTERM) and by a crash (SIGKILL), with a LAG
// of two members carrying a private VIF, while UDP datagrams cross the VIF's
// VLAN at 1,000 a second from the customer router's address to Amazon's.
// Across each restart the LAG's and the VIF's TAPs are the same interfaces
// (adopted, not made again), LACP stays collecting and distributing on both
// sides (every LACPDU on a member, from either side, says Sync, Collecting
// and Distributing: no renegotiation, no timeout), and the probe loses only
// what was sent while no process ran; the outage is logged. It runs on the
// userspace data plane on the host, and on kernel bonds in scripts/vmtest,
// where the restart must not touch forwarding at all. DXSIM_NSF_BIN runs
// another dxsim binary (an older one, for the figure before).
func TestServeRestartKeepsForwarding(t *testing.T) {
	prefix := randomServePrefix(t)
	catalogue := prefixTestSetup(t, prefix)
	dir := t.TempDir()
	bin := os.Getenv("DXSIM_NSF_BIN")
	if bin == "" {
		bin = testDxsim(t, dir)
	}
	dataplane := faultBackend(t)
	args := []string{"--dataplane", dataplane, "--state", filepath.Join(dir, "state"), "--listen", "127.0.0.1:0",
		"--prefix", prefix, "--catalogue", catalogue, "--customer-router", "none", "--log-level", "info"}
	logs := &crashLog{}
	run := 1
	cur := crashStartServe(t, bin, args, run, logs)
	t.Cleanup(func() {
		cur.kill()
		if t.Failed() {
			t.Logf("serve logs:\n%s", logs)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := dxClient(cur.addr, "any", "thing")

	lag, err := c.CreateLag(ctx, &dx.CreateLagInput{NumberOfConnections: 2, Location: aws.String("EqDC2"),
		ConnectionsBandwidth: aws.String("10Gbps"), LagName: aws.String("nsf")})
	require.NoError(t, err)
	lagID, device := aws.ToString(lag.LagId), aws.ToString(lag.AwsDevice)
	var members []string
	for _, m := range lag.Connections {
		members = append(members, aws.ToString(m.ConnectionId))
	}
	vif, err := c.CreatePrivateVirtualInterface(ctx, &dx.CreatePrivateVirtualInterfaceInput{ConnectionId: aws.String(lagID),
		NewPrivateVirtualInterface: &types.NewPrivateVirtualInterface{VirtualInterfaceName: aws.String("nsf"), Vlan: 777, Asn: 65000,
			AddressFamily: types.AddressFamilyIPv4, AmazonAddress: aws.String("169.254.77.1/30"), CustomerAddress: aws.String("169.254.77.2/30"),
			VirtualGatewayId: aws.String("vgw-0123456789abcdef0")}})
	require.NoError(t, err)
	vifID := aws.ToString(vif.VirtualInterfaceId)
	awsNS, custNS := topology.Namespaces(prefix, device)
	nsfWaitLAG(ctx, t, c, lagID, members)
	t.Logf("%s data plane: LAG %s (members %v) carrying %s on %s", dataplane, lagID, members, vifID, device)

	rx := nsfListen(t, awsNS, "169.254.77.1:7777")
	tx := nsfListen(t, custNS, "169.254.77.2:0")
	p := startNSFProbe(tx, rx, &net.UDPAddr{IP: net.ParseIP("169.254.77.1"), Port: 7777})
	defer p.stop()
	require.Eventually(t, func() bool { return p.received() > 0 }, 30*time.Second, 10*time.Millisecond, "no datagram crossed the VIF")
	index := nsfIndexes(t, awsNS, lagID, vifID)

	for _, how := range []struct {
		name string
		sig  syscall.Signal
	}{{"SIGTERM", syscall.SIGTERM}, {"SIGKILL", syscall.SIGKILL}} {
		pdus := nsfCaptureLACP(t, awsNS, members[0])
		time.Sleep(1500 * time.Millisecond) // traffic and LACPDUs before
		before := p.mark()
		stopAt := time.Now()
		require.NoError(t, cur.cmd.Process.Signal(how.sig))
		<-cur.exited
		exited := time.Now()
		run++
		cur = crashStartServe(t, bin, args, run, logs)
		c = dxClient(cur.addr, "any", "thing")
		// Past the partner's 3 s current_while: a side the restart had
		// left silent would have been timed out by now.
		time.Sleep(4 * time.Second)
		o := p.outageSince(before)
		seen := pdus.stop()
		t.Logf("%s: serve exited %v after the signal, the next served %v after that (%v after the signal); probe outage %.0f ms "+
			"(nothing arrived; by the numbers sent %.0f ms; the sender late by up to %.0f ms; %d of %d datagrams lost); %d LACPDUs on %s",
			how.name, exited.Sub(stopAt).Round(time.Millisecond), cur.serving.Sub(exited).Round(time.Millisecond),
			cur.serving.Sub(stopAt).Round(time.Millisecond), o.ms, o.bySeq, o.late, o.lost, o.sent, len(seen), members[0])
		checkKeptForwarding(t, how.name, seen, o, stopAt, 300)
		assert.Equal(t, index, nsfIndexes(t, awsNS, lagID, vifID), "%s: the LAG's and the VIF's TAPs were made again, not adopted", how.name)
		if dataplane == "userspace" {
			assert.Regexp(t, fmt.Sprintf(`\[run %d\] .*msg="userspace engine resumed" ns=%s .*lacp_resumed=1 lacp_renegotiating=0 members=2 vlans=1`, run, awsNS),
				logs.String(), "%s: the AWS side's engine did not resume from its checkpoint", how.name)
		}
		nsfWaitLAG(ctx, t, c, lagID, members)
	}
}

// checkKeptForwarding checks a restart's capture and probe: every LACPDU,
// from both sides, says Sync, Collecting and Distributing (no
// renegotiation, no timeout), and the probe lost less than limit ms.
func checkKeptForwarding(t *testing.T, what string, seen []nsfPDU, o nsfOutage, stopAt time.Time, limit float64) {
	t.Helper()
	var out, in int
	for _, pdu := range seen {
		const cd = 0x08 | 0x10 | 0x20 // Synchronization, Collecting, Distributing
		if pdu.out {
			out++
		} else {
			in++
		}
		assert.Equal(t, byte(cd), pdu.state&cd, "%s: a LACPDU %s at +%v without Sync, Collecting and Distributing (actor state %#02x): LACP renegotiated",
			what, pdu.dir(), pdu.at.Sub(stopAt).Round(time.Millisecond), pdu.state)
	}
	assert.Positive(t, out, "%s: no LACPDU from the AWS side after the restart", what)
	assert.Positive(t, in, "%s: no LACPDU from the customer side after the restart", what)
	// A sender the scheduler stalls (a restart busies both cores) makes a
	// gap of its own: the data plane's part is what exceeds it.
	assert.Less(t, o.ms-o.late, limit, "%s: the probe's outage (arrivals)", what)
	assert.Less(t, o.bySeq-o.late, limit, "%s: the probe's outage (numbers sent)", what)
}

// testDxsim is a dxsim binary to run: built from this package, or where no
// Go toolchain is (scripts/vmtest's VM) this test binary, run as dxsim.
func testDxsim(t *testing.T, dir string) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err == nil {
		return crashBuildDxsim(t, dir)
	}
	self, err := os.Executable()
	require.NoError(t, err)
	t.Setenv(asDxsimEnv, "1") // the serves it starts inherit it
	return self
}

// nsfWaitLAG waits until the LAG and its members are available.
func nsfWaitLAG(ctx context.Context, t *testing.T, c *dx.Client, lagID string, members []string) {
	t.Helper()
	require.Eventually(t, func() bool {
		out, err := c.DescribeLags(ctx, &dx.DescribeLagsInput{LagId: aws.String(lagID)})
		if err != nil || len(out.Lags) != 1 || string(out.Lags[0].LagState) != sim.StateAvailable {
			return false
		}
		n := 0
		for _, m := range out.Lags[0].Connections {
			if string(m.ConnectionState) == sim.StateAvailable {
				n++
			}
		}
		return n == len(members)
	}, time.Minute, 20*time.Millisecond, "LAG %s available with its members", lagID)
}

// nsfIndexes are the interface indexes of the named links in ns.
func nsfIndexes(t *testing.T, ns string, names ...string) map[string]int {
	t.Helper()
	h, err := netns.GetFromName(ns)
	require.NoError(t, err)
	defer h.Close()
	nh, err := netlink.NewHandleAt(h, unix.NETLINK_ROUTE)
	require.NoError(t, err)
	defer nh.Close()
	out := map[string]int{}
	for _, n := range names {
		l, err := nh.LinkByName(n)
		require.NoError(t, err, "%s in %s", n, ns)
		out[n] = l.Attrs().Index
	}
	return out
}

// nsfListen opens a UDP socket in the named namespace; it stays there.
func nsfListen(t *testing.T, ns, addr string) *net.UDPConn {
	t.Helper()
	h, err := netns.GetFromName(ns)
	require.NoError(t, err)
	defer h.Close()
	var conn *net.UDPConn
	err = func() error {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		orig, err := netns.Get()
		if err != nil {
			return err
		}
		defer orig.Close()
		if err := netns.Set(h); err != nil {
			return err
		}
		defer func() { _ = netns.Set(orig) }()
		a, err := net.ResolveUDPAddr("udp4", addr)
		if err != nil {
			return err
		}
		conn, err = net.ListenUDP("udp4", a)
		return err
	}()
	require.NoError(t, err, "UDP socket on %s in %s", addr, ns)
	t.Cleanup(func() { conn.Close() })
	return conn
}

// nsfProbe sends a datagram every millisecond, numbered by the millisecond
// it is sent in (a sender the scheduler runs late, or that the kernel blocks
// while its datagrams wait for ARP, skips numbers rather than send a
// backlog at once), and records which arrive.
type nsfProbe struct {
	done chan struct{}

	mu    sync.Mutex
	start time.Time
	sent  map[uint64]bool
	got   map[uint64]bool
	last  uint64      // the last number sent
	sends []time.Time // send times, in order
	times []time.Time // arrival times (the kernel's), in order
}

func startNSFProbe(tx, rx *net.UDPConn, to *net.UDPAddr) *nsfProbe {
	p := &nsfProbe{done: make(chan struct{}), start: time.Now(), sent: map[uint64]bool{}, got: map[uint64]bool{}}
	go func() {
		buf := make([]byte, 8)
		for {
			select {
			case <-p.done:
				return
			default:
			}
			seq := uint64(time.Since(p.start) * nsfRate / time.Second)
			binary.BigEndian.PutUint64(buf, seq)
			_, _ = tx.WriteToUDP(buf, to) // lost while the VLAN has no carrier
			p.mu.Lock()
			p.sent[seq], p.last = true, seq
			p.sends = append(p.sends, time.Now())
			p.mu.Unlock()
			time.Sleep(time.Until(p.start.Add(time.Duration(seq+1) * time.Second / nsfRate)))
		}
	}()
	// The kernel stamps each datagram as it arrives, so that a receiver the
	// scheduler runs late does not hide a gap by reading a backlog at once.
	if rc, err := rx.SyscallConn(); err == nil {
		_ = rc.Control(func(fd uintptr) { _ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1) })
	}
	go func() {
		buf, oob := make([]byte, 64), make([]byte, 128)
		for {
			n, oobn, _, _, err := rx.ReadMsgUDP(buf, oob)
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				continue
			}
			if n < 8 {
				continue
			}
			now := time.Now()
			if cms, err := unix.ParseSocketControlMessage(oob[:oobn]); err == nil {
				for _, cm := range cms {
					if cm.Header.Level == unix.SOL_SOCKET && cm.Header.Type == unix.SO_TIMESTAMPNS && len(cm.Data) >= 16 {
						ts := (*unix.Timespec)(unsafe.Pointer(&cm.Data[0]))
						now = time.Unix(ts.Unix())
					}
				}
			}
			p.mu.Lock()
			p.got[binary.BigEndian.Uint64(buf)] = true
			p.times = append(p.times, now)
			p.mu.Unlock()
		}
	}()
	return p
}

func (p *nsfProbe) stop() { close(p.done) }

func (p *nsfProbe) received() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.got)
}

// mark is where an outage is measured from: the number being sent now, and
// the time.
func (p *nsfProbe) mark() nsfMark {
	p.mu.Lock()
	defer p.mu.Unlock()
	return nsfMark{seq: p.last, at: time.Now()}
}

type nsfMark struct {
	seq uint64
	at  time.Time
}

type nsfOutage struct {
	sent, lost int
	// ms is the longest time nothing arrived, less one interval: datagrams
	// the kernel held for ARP and delivered once the link was back count
	// at their arrival, not as sent.
	ms float64
	// bySeq is the longest run of numbers (milliseconds) of which nothing
	// arrived, whenever it did.
	bySeq float64
	// late is the longest the sender went without sending (the scheduler
	// running it late): an outage that long may be the sender's alone.
	late float64
}

// outageSince measures from m on, but for the last 100 ms (still on their
// way).
func (p *nsfProbe) outageSince(m nsfMark) nsfOutage {
	p.mu.Lock()
	defer p.mu.Unlock()
	var o nsfOutage
	prev := m.seq
	for seq := m.seq; seq < p.last-nsfRate/10; seq++ {
		if p.sent[seq] {
			o.sent++
			if !p.got[seq] {
				o.lost++
			}
		}
		if p.got[seq] {
			if seq > prev+1 {
				o.bySeq = max(o.bySeq, float64(seq-prev-1)*1000/nsfRate)
			}
			prev = seq
		}
	}
	var prevSend time.Time
	for _, at := range p.sends {
		if at.Before(m.at) {
			continue
		}
		if !prevSend.IsZero() {
			o.late = max(o.late, (at.Sub(prevSend)-time.Second/nsfRate).Seconds()*1000)
		}
		prevSend = at
	}
	var last time.Time
	for _, at := range p.times {
		if at.Before(m.at) {
			continue
		}
		if !last.IsZero() {
			o.ms = max(o.ms, (at.Sub(last)-time.Second/nsfRate).Seconds()*1000)
		}
		last = at
	}
	return o
}

// nsfPDU is a LACPDU seen on a member.
type nsfPDU struct {
	at    time.Time
	out   bool // sent from the namespace the capture is in
	state byte // its actor state
}

func (p nsfPDU) dir() string {
	if p.out {
		return "from the AWS side"
	}
	return "from the customer side"
}

type nsfCapture struct {
	c    *afpacket.Conn
	done chan struct{}
	once sync.Once
	wg   sync.WaitGroup
	mu   sync.Mutex
	pdus []nsfPDU
}

// nsfCaptureLACP records the LACPDUs on a port, both ways, until stop.
func nsfCaptureLACP(t *testing.T, ns, port string) *nsfCapture {
	t.Helper()
	h, err := netns.GetFromName(ns)
	require.NoError(t, err)
	defer h.Close()
	idx := nsfIndexes(t, ns, port)[port]
	filter, err := afpacket.EtherTypeFilter(0x8809)
	require.NoError(t, err)
	conn, err := afpacket.Open(afpacket.Config{NetNS: h, Ifindex: idx, Filter: filter})
	require.NoError(t, err)
	k := &nsfCapture{c: conn, done: make(chan struct{})}
	k.wg.Add(1)
	go func() {
		defer k.wg.Done()
		buf := make([]byte, 2048)
		for {
			select {
			case <-k.done:
				return
			default:
			}
			if err := conn.SetReadDeadline(time.Now().Add(50 * time.Millisecond)); err != nil {
				return
			}
			n, info, err := conn.ReadFrame(buf)
			if err != nil {
				if !errors.Is(err, os.ErrDeadlineExceeded) {
					time.Sleep(time.Millisecond)
				}
				continue
			}
			// Ethernet (14), subtype 1 = LACP, version, actor TLV: the
			// actor state is byte 32.
			if n < 33 || buf[14] != 1 {
				continue
			}
			k.mu.Lock()
			k.pdus = append(k.pdus, nsfPDU{at: time.Now(), out: info.Direction == afpacket.DirectionOut, state: buf[32]})
			k.mu.Unlock()
		}
	}()
	t.Cleanup(func() { k.stop() })
	return k
}

// stop ends the capture and returns what it saw, in order.
func (k *nsfCapture) stop() []nsfPDU {
	k.once.Do(func() {
		close(k.done)
		k.wg.Wait()
		k.c.Close()
	})
	k.mu.Lock()
	defer k.mu.Unlock()
	sort.SliceStable(k.pdus, func(i, j int) bool { return k.pdus[i].at.Before(k.pdus[j].at) })
	return append([]nsfPDU(nil), k.pdus...)
}
