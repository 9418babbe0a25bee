package linkwatch

import (
	"errors"
	"fmt"
	"sync"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// source is where a Watcher's subscriptions and link lists come from: the
// kernel, or a fake in tests.
type source interface {
	// subscribe starts a subscription sending to ch until done is closed or
	// it fails, reporting its errors to onErr; once started, it closes ch
	// when it ends. If it returns an error, nothing was started and ch is
	// never closed.
	subscribe(ch chan<- netlink.LinkUpdate, done <-chan struct{}, onErr func(error)) error
	// list returns every link of the namespace.
	list() ([]netlink.Link, error)
	close()
}

// kernelSource subscribes and lists in a namespace over rtnetlink.
type kernelSource struct {
	ns     netns.NsHandle // the Watcher's own handle
	rcvbuf int
	force  bool // SO_RCVBUFFORCE: above net.core.rmem_max
}

// newKernelSource takes a handle of its own on ns (0: the calling thread's
// namespace), so the caller may close its handle when it likes.
func newKernelSource(ns netns.NsHandle, rcvbuf int) (*kernelSource, error) {
	var (
		own netns.NsHandle
		err error
	)
	if ns == 0 {
		own, err = netns.Get()
	} else {
		var fd int
		fd, err = unix.FcntlInt(uintptr(ns), unix.F_DUPFD_CLOEXEC, 0)
		own = netns.NsHandle(fd)
	}
	if err != nil {
		return nil, fmt.Errorf("linkwatch: namespace handle: %w", err)
	}
	return &kernelSource{ns: own, rcvbuf: rcvbuf, force: rcvbuf > 0 && canForceRcvbuf()}, nil
}

func (k *kernelSource) subscribe(ch chan<- netlink.LinkUpdate, done <-chan struct{}, onErr func(error)) error {
	err := k.subscribeWith(ch, done, onErr, k.force)
	if k.force && errors.Is(err, unix.EPERM) {
		// Refused after all: the buffer is then capped by rmem_max.
		k.force = false
		err = k.subscribeWith(ch, done, onErr, false)
	}
	return err
}

func (k *kernelSource) subscribeWith(ch chan<- netlink.LinkUpdate, done <-chan struct{}, onErr func(error), force bool) error {
	ns := k.ns
	return netlink.LinkSubscribeWithOptions(ch, done, netlink.LinkSubscribeOptions{
		Namespace:              &ns,
		ErrorCallback:          onErr,
		ReceiveBufferSize:      k.rcvbuf,
		ReceiveBufferForceSize: force,
	})
}

// listAttempts bounds how often a dump that concurrent changes interrupted
// is taken again before list gives up (and the Watcher backs off).
const listAttempts = 5

func (k *kernelSource) list() ([]netlink.Link, error) {
	h, err := netlink.NewHandleAt(k.ns, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	for range listAttempts - 1 {
		links, err := h.LinkList()
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			return links, err
		}
	}
	return h.LinkList()
}

func (k *kernelSource) close() { _ = k.ns.Close() }

var (
	forceOnce sync.Once
	forceOK   bool
)

// canForceRcvbuf reports whether this process may set SO_RCVBUFFORCE (it
// needs CAP_NET_ADMIN), tried once on a socket of its own: the library leaves
// a subscription's socket open when setting its buffer fails.
func canForceRcvbuf() bool {
	forceOnce.Do(func() {
		fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
		if err != nil {
			return
		}
		defer unix.Close(fd)
		forceOK = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 1<<16) == nil
	})
	return forceOK
}
