package userspace

import (
	"fmt"
	"os"
	"syscall"

	"github.com/dxsim/dxsim/lacp/capture/afpacket"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// tap is a TAP device that lives as long as its file descriptor: closing it
// removes the interface.
type tap struct {
	name string
	f    *os.File
	rc   syscall.RawConn
}

func openTAP(ns netns.NsHandle, name string) (*tap, error) {
	var fd int
	err := afpacket.InNamespace(ns, func() error {
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
		ifr.SetUint16(unix.IFF_TAP | unix.IFF_NO_PI)
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
	return &tap{name: name, f: f, rc: rc}, nil
}

// read reads one frame.
func (t *tap) read(b []byte) (int, error) { return t.f.Read(b) }

// write writes one frame; the TAP's kernel side receives it.
func (t *tap) write(frame []byte) error {
	_, err := t.f.Write(frame)
	return err
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
