package probe

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/dxsim/dxsim/topology/afpacket"
)

// Probe is a running probe. Stop ends it.
type Probe struct {
	cfg    Config
	run    uint64
	tx, rx *afpacket.Conn
	rxh    *netlink.Handle
	src    net.HardwareAddr
	dst    net.HardwareAddr
	txIdx  int

	accept atomic.Pointer[map[int]string] // ifindex → name

	retiredMu sync.Mutex
	retired   map[string]time.Time // port → frames after this no longer count

	mu       sync.Mutex
	arrivals []Arrival
	ignored  int
	last     Arrival

	start    time.Time // when frame 0 was due
	seq      uint64    // the next frame to send; the sender's alone
	sent     atomic.Uint64
	stopTx   chan struct{}
	txDone   chan struct{}
	rxDone   chan struct{}
	stopOnce sync.Once
	result   Result
}

// Start opens the receiver, then starts sending: the first frame has been
// sent when it returns, so a link change made right after has a frame
// before it, and a caller need not wait for one. Every interface named in
// cfg.Accept and cfg.Port must exist.
func Start(cfg Config) (*Probe, error) {
	cfg.setDefaults()
	p := &Probe{cfg: cfg, stopTx: make(chan struct{}), txDone: make(chan struct{}), rxDone: make(chan struct{})}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("probe: run ID: %w", err)
	}
	p.run = binary.BigEndian.Uint64(b[:])
	if err := p.open(); err != nil {
		p.closeAll()
		return nil, err
	}
	p.start = p.cfg.Now()
	buf := make([]byte, FrameLen)
	p.sendDue(buf)
	go p.receive()
	go p.send(buf)
	return p, nil
}

func (p *Probe) open() error {
	txh, err := netlink.NewHandleAt(p.cfg.SendNS, unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("probe: netlink in the sender's namespace: %w", err)
	}
	defer txh.Close()
	l, err := txh.LinkByName(p.cfg.Port)
	if err != nil {
		return fmt.Errorf("probe: sender port %s: %w", p.cfg.Port, err)
	}
	p.txIdx, p.src = l.Attrs().Index, l.Attrs().HardwareAddr
	if p.rxh, err = netlink.NewHandleAt(p.cfg.RecvNS, unix.NETLINK_ROUTE); err != nil {
		return fmt.Errorf("probe: netlink in the receiver's namespace: %w", err)
	}
	if err := p.Accept(p.cfg.Accept...); err != nil {
		return err
	}
	p.dst = p.cfg.Dst
	if p.dst == nil {
		p.dst = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	}
	filter, err := afpacket.EtherTypeFilter(EtherType)
	if err != nil {
		return fmt.Errorf("probe: filter: %w", err)
	}
	if p.rx, err = afpacket.Open(afpacket.Config{NetNS: p.cfg.RecvNS, Filter: filter, IgnoreOutgoing: true}); err != nil {
		return fmt.Errorf("probe: receiver: %w", err)
	}
	// The sender receives nothing: a filter that rejects every frame.
	none := []afpacket.RawInstruction{{Op: 0x06, K: 0}} // BPF_RET|BPF_K 0
	if p.tx, err = afpacket.Open(afpacket.Config{NetNS: p.cfg.SendNS, Ifindex: p.txIdx, Filter: none, IgnoreOutgoing: true}); err != nil {
		return fmt.Errorf("probe: sender: %w", err)
	}
	return nil
}

// Accept sets the interfaces of the receiver's namespace whose frames count,
// replacing those accepted before.
func (p *Probe) Accept(ports ...string) error {
	m := make(map[int]string, len(ports))
	for _, name := range ports {
		l, err := p.rxh.LinkByName(name)
		if err != nil {
			return fmt.Errorf("probe: receiver interface %s: %w", name, err)
		}
		m[l.Attrs().Index] = name
	}
	p.accept.Store(&m)
	return nil
}

// Retire stops counting frames that arrive on port after t, including any
// already counted: traffic that reached a member's port after it went down
// did not reach the LAG. The port stays accepted until then.
func (p *Probe) Retire(port string, t time.Time) {
	p.retiredMu.Lock()
	if p.retired == nil {
		p.retired = map[string]time.Time{}
	}
	p.retired[port] = t
	p.retiredMu.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.last.Port == port && p.last.At.After(t) {
		p.last = Arrival{}
		for _, a := range p.arrivals {
			if p.counts(a) && a.At.After(p.last.At) {
				p.last = a
			}
		}
	}
}

// counts reports whether an arrival still counts (not retired).
func (p *Probe) counts(a Arrival) bool {
	p.retiredMu.Lock()
	defer p.retiredMu.Unlock()
	t, ok := p.retired[a.Port]
	return !ok || !a.At.After(t)
}

// Last is the latest frame counted, and false if none has been.
func (p *Probe) Last() (Arrival, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.last, !p.last.At.IsZero()
}

// Sent is how many frames have been sent so far.
func (p *Probe) Sent() uint64 { return p.sent.Load() }

// send sends a frame every 1/Rate seconds. A tick the scheduler delivers
// late is made up for at once, so the sequence numbers keep time: frame n
// leaves at n/Rate seconds, give or take the lateness.
func (p *Probe) send(buf []byte) {
	defer close(p.txDone)
	period := time.Second / time.Duration(p.cfg.Rate)
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		p.sendDue(buf)
		select {
		case <-p.stopTx:
			return
		case <-t.C:
		}
	}
}

// sendDue sends the frames due by now: frame n at n/Rate seconds after
// start.
func (p *Probe) sendDue(buf []byte) {
	period := time.Second / time.Duration(p.cfg.Rate)
	due := uint64(p.cfg.Now().Sub(p.start)/period) + 1
	for ; p.seq < due; p.seq++ {
		frame := Encode(buf, p.dst, p.src, Header{Run: p.run, Seq: p.seq, Sent: p.cfg.Now()})
		// A port that is down refuses the frame (ENETDOWN): it is lost,
		// as it would be on the wire.
		if err := p.tx.WriteFrame(frame, p.txIdx); err != nil && !errors.Is(err, unix.ENETDOWN) && !errors.Is(err, unix.ENXIO) {
			p.cfg.Logger.Debug("probe: send", "seq", p.seq, "err", err)
		}
		p.sent.Store(p.seq + 1)
	}
}

func (p *Probe) receive() {
	defer close(p.rxDone)
	buf := make([]byte, 256)
	for {
		n, info, err := p.rx.ReadFrame(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) || errors.Is(err, unix.EBADF) {
				return
			}
			if errors.Is(err, unix.ENETDOWN) {
				continue
			}
			select {
			case <-p.txDone:
				return
			default:
			}
			p.cfg.Logger.Debug("probe: receive", "err", err)
			time.Sleep(time.Millisecond)
			continue
		}
		h, err := Decode(buf[:n])
		if err != nil || h.Run != p.run {
			continue
		}
		at := info.Time
		if at.IsZero() {
			at = p.cfg.Now()
		}
		name, ok := (*p.accept.Load())[info.Ifindex]
		a := Arrival{Seq: h.Seq, Sent: h.Sent, At: at, Port: name}
		ok = ok && p.counts(a)
		p.mu.Lock()
		if ok {
			p.arrivals = append(p.arrivals, a)
			p.last = a
		} else {
			p.ignored++
		}
		p.mu.Unlock()
	}
}

// Stop stops sending, waits for the frames in flight (until Config.Drain
// passes with none arriving), stops receiving and returns what the probe
// saw. It may be called more than once; later calls return the same Result.
func (p *Probe) Stop() Result {
	p.stopOnce.Do(func() {
		close(p.stopTx)
		<-p.txDone
		// Frames in flight (a slow machine may hold many) are not lost:
		// wait until a whole Drain passes with none arriving, for a
		// second at most.
		for i := time.Duration(0); i < time.Second; i += p.cfg.Drain {
			p.mu.Lock()
			n := len(p.arrivals) + p.ignored
			p.mu.Unlock()
			time.Sleep(p.cfg.Drain)
			p.mu.Lock()
			quiet := n == len(p.arrivals)+p.ignored
			p.mu.Unlock()
			if quiet {
				break
			}
		}
		p.closeAll()
		<-p.rxDone
		p.mu.Lock()
		kept := p.arrivals[:0]
		for _, a := range p.arrivals {
			if p.counts(a) {
				kept = append(kept, a)
			} else {
				p.ignored++
			}
		}
		p.result = summarise(p.cfg.Rate, p.sent.Load(), kept)
		p.result.Ignored = p.ignored
		p.mu.Unlock()
	})
	return p.result
}

func (p *Probe) closeAll() {
	if p.rx != nil {
		p.rx.Close()
	}
	if p.tx != nil {
		p.tx.Close()
	}
	if p.rxh != nil {
		p.rxh.Close()
	}
}
