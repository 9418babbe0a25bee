package afpacket

import (
	"fmt"
	"runtime"

	"github.com/vishvananda/netns"
)

// InNamespace runs fn on an OS thread that has entered ns (0: the caller's
// namespace) and returns its error. File descriptors fn opens (sockets, TAP
// devices) belong to ns for good. The thread is moved back afterwards; if it
// cannot be, it is retired with its goroutine rather than returned to the
// scheduler in the wrong namespace.
func InNamespace(ns netns.NsHandle, fn func() error) error {
	if ns == 0 {
		return fn()
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("afpacket: current namespace: %w", err)
			return
		}
		defer orig.Close()
		if err := netns.Set(ns); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("afpacket: entering namespace: %w", err)
			return
		}
		ferr := fn()
		if err := netns.Set(orig); err != nil {
			// Leave the thread locked: it exits with this goroutine.
			errc <- fmt.Errorf("afpacket: leaving namespace: %w", err)
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}
