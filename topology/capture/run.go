package capture

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/dxsim/dxsim/topology/afpacket"
)

// ErrNoSuchPort is returned by Open for a port that does not exist.
var ErrNoSuchPort = errors.New("capture: no such port")

// links looks interfaces up in the capture's namespace.
type links interface {
	index(name string) (int, error) // wraps ErrNoSuchPort when missing
	name(ifindex int) (string, error)
	close()
}

// Capture is a running capture. Its methods are safe for concurrent use.
type Capture struct {
	cfg    Config
	links  links
	frames chan Frame
	done   chan struct{}
	wg     sync.WaitGroup
	conns  []*afpacket.Conn
	once   sync.Once

	nFrames, nDowns, nRebinds, nErrors atomic.Uint64

	namesMu sync.Mutex
	names   map[int]string // namespace-wide capture: ifindex -> port
}

// Frames delivers captured frames in the order each socket read them; it is
// closed by Close.
func (c *Capture) Frames() <-chan Frame { return c.frames }

// Stats returns the capture's counters so far.
func (c *Capture) Stats() Stats {
	s := Stats{
		Frames:  c.nFrames.Load(),
		Downs:   c.nDowns.Load(),
		Rebinds: c.nRebinds.Load(),
		Errors:  c.nErrors.Load(),
	}
	for _, conn := range c.conns {
		s.Dropped += conn.Drops()
	}
	return s
}

// Close stops the capture: it closes the sockets, waits for the readers to
// end and then closes Frames; frames already queued on Frames can still be
// received, frames still in the kernel's socket buffers are dropped.
func (c *Capture) Close() error {
	var err error
	c.once.Do(func() {
		close(c.done)
		for _, conn := range c.conns {
			err = errors.Join(err, conn.Close())
		}
		c.wg.Wait()
		c.links.close()
		close(c.frames)
	})
	return err
}

func (c *Capture) closed() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// reader reads one socket. port is "" for a namespace-wide socket.
type reader struct {
	c       *Capture
	conn    *afpacket.Conn
	port    string
	ifindex int
	suspect bool // the port went down; it may have been deleted and remade
}

func (r *reader) run() {
	defer r.c.wg.Done()
	buf := make([]byte, r.c.cfg.SnapLen)
	for {
		n, info, err := r.conn.ReadFrame(buf)
		if r.c.closed() {
			return
		}
		switch {
		case err == nil:
			if r.suspect {
				r.suspect = false
				_ = r.conn.SetReadDeadline(time.Time{})
			}
			if !r.deliver(buf[:n], info) {
				return
			}
		case errors.Is(err, syscall.ENETDOWN):
			r.c.nDowns.Add(1)
			r.c.cfg.Logger.Debug("capture: port down, listening on", "port", r.port)
			r.watch()
		case errors.Is(err, os.ErrDeadlineExceeded):
			r.recheck()
			r.watch()
		default:
			r.c.nErrors.Add(1)
			r.c.cfg.Logger.Warn("capture: read", "port", r.port, "err", err)
			// Unknown errors are not expected to clear at once: wait before
			// reading again rather than spin, and look the port up again.
			if !r.pause() {
				return
			}
			r.watch()
		}
	}
}

// pause waits RecheckInterval; false when the capture closed meanwhile.
func (r *reader) pause() bool {
	t := time.NewTimer(r.c.cfg.RecheckInterval)
	defer t.Stop()
	select {
	case <-r.c.done:
		return false
	case <-t.C:
		return true
	}
}

// watch arms a read deadline so that the port is looked up again while no
// frame arrives.
func (r *reader) watch() {
	if r.port == "" {
		return
	}
	r.suspect = true
	// A socket deadline is the runtime poller's, on the real clock.
	_ = r.conn.SetReadDeadline(time.Now().Add(r.c.cfg.RecheckInterval))
}

// recheck rebinds the socket if its port was deleted and made again.
func (r *reader) recheck() {
	if r.port == "" {
		return
	}
	idx, err := r.c.links.index(r.port)
	if err != nil || idx == r.ifindex {
		return // still gone, or the same interface
	}
	if err := r.conn.Bind(idx); err != nil {
		r.c.nErrors.Add(1)
		r.c.cfg.Logger.Warn("capture: rebind", "port", r.port, "ifindex", idx, "err", err)
		return
	}
	r.c.nRebinds.Add(1)
	r.c.cfg.Logger.Info("capture: port made again, rebound", "port", r.port, "old_ifindex", r.ifindex, "ifindex", idx)
	r.ifindex = idx
}

func (r *reader) deliver(b []byte, info afpacket.Info) bool {
	f := Frame{
		Time:      info.Time,
		Port:      r.port,
		Ifindex:   info.Ifindex,
		Direction: info.Direction,
		Length:    info.Length,
		Data:      withTag(b, info),
	}
	if info.VLANValid {
		f.Length += 4 // the tag put back
	}
	if f.Time.IsZero() {
		f.Time = r.c.cfg.Now()
	}
	if f.Port == "" {
		f.Port = r.c.portName(info.Ifindex)
	}
	// Counted before it is handed over, so that whoever has received a
	// frame sees it counted.
	r.c.nFrames.Add(1)
	select {
	case r.c.frames <- f:
		return true
	case <-r.c.done:
		r.c.nFrames.Add(^uint64(0)) // not delivered after all
		return false
	}
}

func (c *Capture) portName(ifindex int) string {
	c.namesMu.Lock()
	defer c.namesMu.Unlock()
	if n, ok := c.names[ifindex]; ok {
		return n
	}
	n, err := c.links.name(ifindex)
	if err != nil {
		return fmt.Sprintf("if%d", ifindex)
	}
	c.names[ifindex] = n
	return n
}

// withTag copies a frame, putting back the VLAN tag the kernel moved into
// metadata, as libpcap does, so that the capture shows the frame as it was
// on the wire.
func withTag(b []byte, info afpacket.Info) []byte {
	if !info.VLANValid || len(b) < 12 {
		return append([]byte(nil), b...)
	}
	out := make([]byte, 0, len(b)+4)
	out = append(out, b[:12]...)
	out = binary.BigEndian.AppendUint16(out, info.VLANTPID)
	out = binary.BigEndian.AppendUint16(out, info.VLAN)
	return append(out, b[12:]...)
}
