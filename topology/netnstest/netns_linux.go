package netnstest

import (
	"crypto/rand"
	"encoding/hex"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/dxsim/dxsim/topology/internal/nsthread"
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

	ns, err := nsthread.NewNamed(name)
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
