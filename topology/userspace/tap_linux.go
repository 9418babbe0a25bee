package userspace

import (
	"fmt"
	"os"
	"syscall"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/dxsim/dxsim/topology/afpacket"
	"github.com/dxsim/dxsim/topology/internal/nsthread"
)

// tap is a TAP device that lives as long as its file descriptor: closing it
// removes the interface. It is opened with IFF_VNET_HDR so that a frame
// collected with an unfinished checksum or as a segmentation-offload
// super-frame is finished by the TAP's kernel side; the TAP itself offers no
// offloads, so what it sends is always complete and its header empty.
type tap struct {
	name  string
	f     *os.File
	rc    syscall.RawConn
	rhdr  afpacket.VnetHdr // only touched by the (single) reader
	rbufs [][]byte
}

func openTAP(ns netns.NsHandle, name string) (*tap, error) {
	var fd int
	err := nsthread.Do(ns, func() error {
		var err error
		// The device is made in the namespace of the thread that opens the
		// clone device.
		fd, err = unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
		if err != nil {
			return err
		}
		ifr, err := unix.NewIfreq(name)
		if err != nil {
			unix.Close(fd)
			return err
		}
		ifr.SetUint16(unix.IFF_TAP | unix.IFF_NO_PI | unix.IFF_VNET_HDR)
		if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
			unix.Close(fd)
			return err
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("userspace: TAP %s: %w", name, err)
	}
	f := os.NewFile(uintptr(fd), name)
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("userspace: TAP %s: %w", name, err)
	}
	return &tap{name: name, f: f, rc: rc, rbufs: make([][]byte, 2)}, nil
}

// read reads one frame (without its empty virtio header).
func (t *tap) read(b []byte) (int, error) {
	return t.readInto(func() []byte { return b }, nil)
}

// readLent reads one frame, as read, into a buffer lent by bufs that it
// holds only while a frame is ready; the caller gives it back.
func (t *tap) readLent(bufs *afpacket.Buffers) (*[]byte, int, error) {
	loan := bufs.Loan()
	n, err := t.readInto(loan.Get, loan.Idle)
	if err != nil {
		loan.Idle()
		return nil, 0, err
	}
	return loan.Take(), n, nil
}

// readInto reads one frame into the buffer get returns, calling idle (when
// not nil) each time there is nothing to read, before it waits.
func (t *tap) readInto(get func() []byte, idle func()) (int, error) {
	var (
		n   int
		err error
	)
	if rerr := t.rc.Read(func(fd uintptr) bool {
		t.rbufs[0], t.rbufs[1] = t.rhdr[:], get()
		n, err = unix.Readv(int(fd), t.rbufs)
		t.rbufs[1] = nil // not to keep a lent buffer from its pool
		if err == unix.EAGAIN {
			if idle != nil {
				idle()
			}
			return false
		}
		return true
	}); rerr != nil {
		return 0, rerr
	}
	if err != nil {
		return 0, os.NewSyscallError("readv", err)
	}
	return max(n-afpacket.VnetHdrLen, 0), nil
}

// write writes one frame, with what the kernel still owes it (nil: it is
// complete); the TAP's kernel side receives it.
func (t *tap) write(frame []byte, hdr *afpacket.VnetHdr) error {
	if hdr == nil {
		hdr = &afpacket.VnetHdr{}
	}
	var err error
	if werr := t.rc.Write(func(fd uintptr) bool {
		_, err = unix.Writev(int(fd), [][]byte{hdr[:], frame})
		return err != unix.EAGAIN
	}); werr != nil {
		return werr
	}
	if err != nil {
		return os.NewSyscallError("writev", err)
	}
	return nil
}

// setCarrier turns the TAP's carrier on or off (TUNSETCARRIER), which is
// what min links acts on.
func (t *tap) setCarrier(on bool) error {
	v := 0
	if on {
		v = 1
	}
	var err error
	if cerr := t.rc.Control(func(fd uintptr) {
		err = unix.IoctlSetPointerInt(int(fd), unix.TUNSETCARRIER, v)
	}); cerr != nil {
		return cerr
	}
	if err != nil {
		return fmt.Errorf("userspace: TAP %s carrier: %w", t.name, err)
	}
	return nil
}

func (t *tap) close() error { return t.f.Close() }
