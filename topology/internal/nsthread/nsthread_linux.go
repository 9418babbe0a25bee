package nsthread

import (
	"fmt"
	"runtime"

	"github.com/vishvananda/netns"
)

// Do runs fn on an OS thread that has entered ns (0: the caller's namespace,
// on the caller's goroutine) and returns its error. File descriptors fn opens
// (sockets, TAP devices) belong to ns for good.
func Do(ns netns.NsHandle, fn func() error) error {
	if ns == 0 {
		return fn()
	}
	return onThread(func() error {
		if err := netns.Set(ns); err != nil {
			return fmt.Errorf("nsthread: entering namespace: %w", err)
		}
		return fn()
	})
}

// NewNamed makes a named network namespace (bind-mounted under /run/netns,
// as by `ip netns add`) and returns a handle to it.
func NewNamed(name string) (netns.NsHandle, error) {
	var ns netns.NsHandle
	err := onThread(func() error {
		var err error
		ns, err = netns.NewNamed(name)
		return err
	})
	if err != nil {
		if ns.IsOpen() {
			ns.Close()
			_ = netns.DeleteNamed(name)
		}
		return netns.None(), err
	}
	return ns, nil
}

// onThread runs fn on a fresh goroutine locked to its OS thread and puts the
// thread back in the namespace it started in; a thread that cannot be put
// back stays locked and dies with the goroutine.
func onThread(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("nsthread: current namespace: %w", err)
			return
		}
		defer orig.Close()
		ferr := fn()
		if err := netns.Set(orig); err != nil {
			errc <- fmt.Errorf("nsthread: restoring the thread's namespace: %w", err)
			return // still locked: the runtime retires the thread
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}
