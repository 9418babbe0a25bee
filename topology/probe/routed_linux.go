package probe

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dxsim/dxsim/topology/internal/nsthread"
)

// Routed is a running routed probe.
type Routed struct {
	cfg   RoutedConfig
	run   uint64
	echo  *net.UDPConn // in ToNS
	conn  *net.UDPConn // in FromNS
	to    netip.AddrPort
	start time.Time

	seq      uint64
	sent     atomic.Uint64
	stopTx   chan struct{}
	txDone   chan struct{}
	rxDone   chan struct{}
	echoDone chan struct{}
	stopOnce sync.Once

	mu        sync.Mutex
	arrivals  []Arrival
	malformed int
	result    Result
}

// StartRouted starts the echo and the sender.
func StartRouted(cfg RoutedConfig) (*Routed, error) {
	cfg.setDefaults()
	if !cfg.From.IsValid() || !cfg.To.IsValid() || cfg.From.Is4() != cfg.To.Is4() {
		return nil, fmt.Errorf("probe: routed from %s to %s: two addresses of one family are needed", cfg.From, cfg.To)
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	r := &Routed{cfg: cfg, run: binary.BigEndian.Uint64(b[:]), stopTx: make(chan struct{}), txDone: make(chan struct{}),
		rxDone: make(chan struct{}), echoDone: make(chan struct{})}
	r.to = netip.AddrPortFrom(cfg.To, RoutedPort)
	to := net.UDPAddrFromAddrPort(r.to)
	if err := nsthread.Do(cfg.ToNS, func() (err error) {
		r.echo, err = net.ListenUDP("udp", to)
		return err
	}); err != nil {
		return nil, fmt.Errorf("probe: the echo on %s: %w", to, err)
	}
	// Not connected: a connected socket needs a route at once, and the
	// probe may start while there is none (a session reset by the very
	// operation it measures).
	from := net.UDPAddrFromAddrPort(netip.AddrPortFrom(cfg.From, 0))
	if err := nsthread.Do(cfg.FromNS, func() (err error) {
		r.conn, err = net.ListenUDP("udp", from)
		return err
	}); err != nil {
		r.echo.Close()
		return nil, fmt.Errorf("probe: the sender from %s: %w", from, err)
	}
	r.start = time.Now()
	go r.serveEcho()
	go r.receive()
	go r.send()
	return r, nil
}

// serveEcho sends every datagram back where it came from.
func (r *Routed) serveEcho() {
	defer close(r.echoDone)
	buf := make([]byte, 512)
	for {
		n, from, err := r.echo.ReadFromUDPAddrPort(buf)
		if err != nil {
			return // closed
		}
		if _, _, _, err := decodeRouted(buf[:n]); err != nil {
			continue // not the probe's: nothing to answer
		}
		_, _ = r.echo.WriteToUDPAddrPort(buf[:n], from)
	}
}

// send sends a datagram every 1/Rate seconds, making up at once for a late
// tick, as the layer-2 probe does.
func (r *Routed) send() {
	defer close(r.txDone)
	period := time.Second / time.Duration(r.cfg.Rate)
	t := time.NewTicker(period)
	defer t.Stop()
	buf := make([]byte, routedLen)
	for {
		due := uint64(time.Since(r.start)/period) + 1
		for ; r.seq < due; r.seq++ {
			// No route (a session down with nothing else to take over)
			// refuses it: lost, as it would be.
			_, _ = r.conn.WriteToUDPAddrPort(encodeRouted(buf, r.run, r.seq, time.Now()), r.to)
			r.sent.Store(r.seq + 1)
		}
		select {
		case <-r.stopTx:
			return
		case <-t.C:
		}
	}
}

func (r *Routed) receive() {
	defer close(r.rxDone)
	buf := make([]byte, 512)
	for {
		n, from, err := r.conn.ReadFromUDPAddrPort(buf)
		at := time.Now()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if from.Addr().Unmap() != r.to.Addr() || from.Port() != r.to.Port() {
			continue // not the echo's
		}
		run, seq, sent, err := decodeRouted(buf[:n])
		r.mu.Lock()
		if err != nil || run != r.run {
			r.malformed++
		} else {
			r.arrivals = append(r.arrivals, Arrival{Seq: seq, Sent: sent, At: at})
		}
		r.mu.Unlock()
	}
}

// Last is the latest echo received, false before the first.
func (r *Routed) Last() (Arrival, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.arrivals) == 0 {
		return Arrival{}, false
	}
	return r.arrivals[len(r.arrivals)-1], true
}

// Sent is how many datagrams have been sent so far.
func (r *Routed) Sent() uint64 { return r.sent.Load() }

// Stop stops sending, waits for the echoes in flight (until Drain passes
// with none arriving, a second at most), and returns what the probe saw.
// Later calls return the same Result.
func (r *Routed) Stop() Result {
	r.stopOnce.Do(func() {
		close(r.stopTx)
		<-r.txDone
		for i := time.Duration(0); i < time.Second; i += r.cfg.Drain {
			r.mu.Lock()
			n := len(r.arrivals)
			r.mu.Unlock()
			time.Sleep(r.cfg.Drain)
			r.mu.Lock()
			quiet := n == len(r.arrivals)
			r.mu.Unlock()
			if quiet {
				break
			}
		}
		r.conn.Close()
		r.echo.Close()
		<-r.rxDone
		<-r.echoDone
		r.mu.Lock()
		r.result = summarise(r.cfg.Rate, r.sent.Load(), r.arrivals)
		r.result.Ignored = r.malformed
		r.mu.Unlock()
	})
	return r.result
}
