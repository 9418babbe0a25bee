package netnstest

import (
	"crypto/rand"
	"encoding/hex"
	"runtime"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// NewNS makes a fresh, named network namespace ("dxsim-test-…") for one test,
// with a netlink handle in it, and removes both when the test ends. The
// calling goroutine's namespace is left as it was.
func NewNS(t testing.TB) (netns.NsHandle, *netlink.Handle) {
	t.Helper()
	RequireRoot(t)
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := "dxsim-test-" + hex.EncodeToString(b[:])

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		t.Fatalf("netns: current namespace: %v", err)
	}
	defer orig.Close()
	ns, err := netns.NewNamed(name)
	if serr := netns.Set(orig); serr != nil {
		// This thread is now in the wrong namespace; it must not be reused.
		t.Fatalf("netns: restoring namespace: %v", serr)
	}
	if err != nil {
		t.Fatalf("netns: creating %s: %v", name, err)
	}
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		ns.Close()
		_ = netns.DeleteNamed(name)
		t.Fatalf("netlink handle in %s: %v", name, err)
	}
	t.Cleanup(func() {
		h.Close()
		ns.Close()
		_ = netns.DeleteNamed(name)
	})
	return ns, h
}
