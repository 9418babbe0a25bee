package afpacket

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/dxsim/dxsim/topology/internal/nsthread"
)

// Conn is an open AF_PACKET socket. Reads and writes may run concurrently;
// Close unblocks a pending read.
type Conn struct {
	f       *os.File
	rc      syscall.RawConn
	ifindex int
	vnet    bool
	oob     []byte // only touched by the (single) reader
	rbufs   [][]byte

	dropsMu sync.Mutex
	drops   uint64
}

// ethPAll is ETH_P_ALL in network byte order, as bind(2) wants it.
var ethPAll = htons(unix.ETH_P_ALL)

func htons(v uint16) uint16 {
	return binary.NativeEndian.Uint16(binary.BigEndian.AppendUint16(nil, v))
}

// Open makes a socket in cfg.NetNS, attaches cfg.Filter, and only then binds
// it (protocol ETH_P_ALL) so that nothing unfiltered is queued in between.
func Open(cfg Config) (*Conn, error) {
	var fd int
	err := nsthread.Do(cfg.NetNS, func() error {
		var err error
		// Protocol 0: the socket receives nothing until bound.
		fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("afpacket: socket: %w", err)
	}
	if err := setup(fd, cfg); err != nil {
		unix.Close(fd)
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "afpacket")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("afpacket: %w", err)
	}
	return &Conn{f: f, rc: rc, ifindex: cfg.Ifindex, vnet: cfg.VnetHdr, oob: make([]byte, 128), rbufs: make([][]byte, 2)}, nil
}

func setup(fd int, cfg Config) error {
	if len(cfg.Filter) > 0 {
		if err := attachFilter(fd, cfg.Filter); err != nil {
			return err
		}
	}
	for _, o := range []struct {
		level, name int
		on          bool
	}{
		{unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, true},
		{unix.SOL_PACKET, unix.PACKET_AUXDATA, true},
		{unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, cfg.IgnoreOutgoing},
		{unix.SOL_PACKET, unix.PACKET_VNET_HDR, cfg.VnetHdr},
	} {
		if !o.on {
			continue
		}
		if err := unix.SetsockoptInt(fd, o.level, o.name, 1); err != nil {
			return fmt.Errorf("afpacket: setsockopt %d/%d: %w", o.level, o.name, err)
		}
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: ethPAll, Ifindex: cfg.Ifindex}); err != nil {
		return fmt.Errorf("afpacket: bind to ifindex %d: %w", cfg.Ifindex, err)
	}
	return nil
}

func attachFilter(fd int, prog []bpf.RawInstruction) error {
	// bpf.RawInstruction and unix.SockFilter share the kernel's layout.
	fp := unix.SockFprog{
		Len:    uint16(len(prog)),
		Filter: (*unix.SockFilter)(unsafe.Pointer(&prog[0])),
	}
	if err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &fp); err != nil {
		return fmt.Errorf("afpacket: attach BPF filter: %w", err)
	}
	return nil
}

// Bind moves the socket to another interface of its namespace (0: all), as
// when the interface it was bound to was deleted and made again.
func (c *Conn) Bind(ifindex int) error {
	var err error
	cerr := c.rc.Control(func(fd uintptr) {
		err = unix.Bind(int(fd), &unix.SockaddrLinklayer{Protocol: ethPAll, Ifindex: ifindex})
	})
	if cerr != nil {
		return fmt.Errorf("afpacket: %w", cerr)
	}
	if err != nil {
		return fmt.Errorf("afpacket: bind to ifindex %d: %w", ifindex, err)
	}
	c.ifindex = ifindex
	return nil
}

// ReadFrame reads one frame into b. While the bound interface is down the
// kernel reports ENETDOWN once (errors.Is(err, syscall.ENETDOWN)); the socket
// stays usable and sees frames again when the interface comes back up.
func (c *Conn) ReadFrame(b []byte) (int, Info, error) {
	return c.readFrame(func() []byte { return b }, nil)
}

// ReadFrameLent reads one frame, as ReadFrame, into a buffer lent by bufs
// that it holds only while a frame is ready: it gives the buffer back before
// it waits, so an idle socket holds none. The caller gives the returned
// buffer back (bufs.Put) once done with the frame; on error there is none.
func (c *Conn) ReadFrameLent(bufs *Buffers) (*[]byte, int, Info, error) {
	loan := bufs.Loan()
	n, info, err := c.readFrame(loan.Get, loan.Idle)
	if err != nil {
		loan.Idle()
		return nil, 0, Info{}, err
	}
	return loan.Take(), n, info, nil
}

// readFrame reads one frame into the buffer get returns, calling idle (when
// not nil) each time it finds nothing to read, before it waits.
func (c *Conn) readFrame(get func() []byte, idle func()) (int, Info, error) {
	var (
		n, oobn int
		from    unix.Sockaddr
		err     error
		b       []byte
	)
	var info Info
	rerr := c.rc.Read(func(fd uintptr) bool {
		b = get()
		if c.vnet {
			c.rbufs[0], c.rbufs[1] = info.Vnet[:], b
			n, oobn, _, from, err = unix.RecvmsgBuffers(int(fd), c.rbufs, c.oob, unix.MSG_TRUNC)
			c.rbufs[1] = nil // not to keep a lent buffer from its pool
			n -= VnetHdrLen
		} else {
			n, oobn, _, from, err = unix.Recvmsg(int(fd), b, c.oob, unix.MSG_TRUNC)
		}
		if errors.Is(err, unix.EAGAIN) {
			if idle != nil {
				idle()
			}
			return false
		}
		return true
	})
	if rerr != nil {
		return 0, Info{}, rerr
	}
	if err != nil {
		return 0, Info{}, os.NewSyscallError("recvmsg", err)
	}
	info.Length, info.Direction = n, DirectionIn
	if n > len(b) {
		n = len(b)
	}
	if sa, ok := from.(*unix.SockaddrLinklayer); ok {
		info.Ifindex = sa.Ifindex
		if sa.Pkttype == unix.PACKET_OUTGOING {
			info.Direction = DirectionOut
		}
	}
	parseControl(c.oob[:oobn], &info)
	return n, info, nil
}

func parseControl(oob []byte, info *Info) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return
	}
	for _, m := range msgs {
		switch {
		case m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SCM_TIMESTAMPNS &&
			len(m.Data) >= int(unsafe.Sizeof(unix.Timespec{})):
			ts := (*unix.Timespec)(unsafe.Pointer(&m.Data[0]))
			info.Time = time.Unix(ts.Unix())
		case m.Header.Level == unix.SOL_PACKET && m.Header.Type == unix.PACKET_AUXDATA &&
			len(m.Data) >= int(unsafe.Sizeof(unix.TpacketAuxdata{})):
			aux := (*unix.TpacketAuxdata)(unsafe.Pointer(&m.Data[0]))
			if aux.Status&unix.TP_STATUS_VLAN_VALID != 0 {
				info.VLAN, info.VLANValid, info.VLANTPID = aux.Vlan_tci, true, 0x8100
				if aux.Status&unix.TP_STATUS_VLAN_TPID_VALID != 0 {
					info.VLANTPID = aux.Vlan_tpid
				}
			}
		}
	}
}

// WriteFrame sends one Ethernet frame, exactly as given, on ifindex (0: the
// interface the socket is bound to).
func (c *Conn) WriteFrame(frame []byte, ifindex int) error {
	if ifindex == 0 {
		ifindex = c.ifindex
	}
	sa := &unix.SockaddrLinklayer{Protocol: ethPAll, Ifindex: ifindex, Halen: 6}
	if len(frame) >= 6 {
		copy(sa.Addr[:], frame[:6])
	}
	var err error
	werr := c.rc.Write(func(fd uintptr) bool {
		if c.vnet {
			var none VnetHdr
			_, err = unix.SendmsgBuffers(int(fd), [][]byte{none[:], frame}, nil, sa, 0)
		} else {
			err = unix.Sendto(int(fd), frame, 0, sa)
		}
		return !errors.Is(err, unix.EAGAIN)
	})
	if werr != nil {
		return werr
	}
	if err != nil {
		return os.NewSyscallError("sendto", err)
	}
	return nil
}

// Drops is how many frames the kernel has dropped since the socket was
// opened because its receive buffer was full (PACKET_STATISTICS). After
// Close it keeps the last count read.
func (c *Conn) Drops() uint64 {
	c.dropsMu.Lock()
	defer c.dropsMu.Unlock()
	_ = c.rc.Control(func(fd uintptr) {
		// Reading the statistics resets them: keep the running sum.
		if st, err := unix.GetsockoptTpacketStats(int(fd), unix.SOL_PACKET, unix.PACKET_STATISTICS); err == nil {
			c.drops += uint64(st.Drops)
		}
	})
	return c.drops
}

// SetReadDeadline makes a pending or future ReadFrame return
// os.ErrDeadlineExceeded at t; the zero time removes the deadline.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.f.SetReadDeadline(t) }

// Close closes the socket and unblocks a pending read.
func (c *Conn) Close() error { return c.f.Close() }
