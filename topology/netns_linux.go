package topology

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/dxsim/dxsim/topology/internal/nsthread"
)

// netnsDir is where named network namespaces are bind-mounted (as by
// `ip netns add`).
const netnsDir = "/run/netns"

// netNS is an open named namespace and a netlink handle inside it. Holding
// it keeps the namespace alive: close it before deleting the namespace.
type netNS struct {
	name   string
	role   role
	device string
	ns     netns.NsHandle
	h      *netlink.Handle
	sock   *nl.SocketHandle // for requests the handle cannot build (addVeth)

	l2Depth int // calls of withL2Defaults in progress here; guarded by the DataPlane's mu
}

// openOrCreateNS opens the named namespace, creating it if it does not exist.
func openOrCreateNS(name string) (*netNS, error) {
	ns, err := netns.GetFromName(name)
	if errors.Is(err, fs.ErrNotExist) {
		ns, err = nsthread.NewNamed(name)
	}
	if err != nil {
		return nil, fmt.Errorf("namespace %s: %w", name, err)
	}
	return withHandles(name, ns)
}

// createNS makes the named namespace and opens it; it fails (fs.ErrExist)
// rather than open one that already exists, which another process made.
func createNS(name string) (*netNS, error) {
	ns, err := nsthread.NewNamed(name)
	if err != nil {
		return nil, fmt.Errorf("namespace %s: %w", name, err)
	}
	return withHandles(name, ns)
}

// nsExists reports whether a named namespace is mounted under netnsDir.
func nsExists(name string) bool {
	_, err := os.Lstat(filepath.Join(netnsDir, name))
	return err == nil
}

// withHandles opens a netlink handle and socket in ns; it closes ns on
// failure.
func withHandles(name string, ns netns.NsHandle) (*netNS, error) {
	// NETLINK_ROUTE only: some kernels (Debian's cloud kernel) build without
	// the other families netlink.NewHandleAt asks for by default.
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		ns.Close()
		return nil, fmt.Errorf("netlink handle in %s: %w", name, err)
	}
	s, err := nl.GetNetlinkSocketAt(ns, netns.None(), unix.NETLINK_ROUTE)
	if err != nil {
		h.Close()
		ns.Close()
		return nil, fmt.Errorf("netlink socket in %s: %w", name, err)
	}
	return &netNS{name: name, ns: ns, h: h, sock: &nl.SocketHandle{Socket: s}}, nil
}

func (n *netNS) close() {
	n.sock.Close()
	n.h.Close()
	n.ns.Close()
}

// deleteNS removes a named namespace. The kernel frees its interfaces in a
// batch once the last reference (an open handle, a socket) is gone, which is
// far faster than deleting veth pairs one by one. Deleting an absent
// namespace is not an error.
func deleteNS(name string) error {
	path := filepath.Join(netnsDir, name)
	if err := unix.Unmount(path, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("unmount %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", path, err)
	}
	return nil
}

// listNS names the named namespaces whose names start with prefix.
func listNS(prefix string) ([]string, error) {
	ents, err := os.ReadDir(netnsDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing namespaces: %w", err)
	}
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), prefix) {
			out = append(out, e.Name())
		}
	}
	return out, nil
}
