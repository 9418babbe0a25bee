package topology

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/dxsim/dxsim/topology/backend"
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

	bk *backend.NS // the same namespace and handles, as the backend takes them
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
	sock := &nl.SocketHandle{Socket: s}
	return &netNS{name: name, ns: ns, h: h, sock: sock, bk: &backend.NS{Name: name, Handle: ns, Netlink: h, Sock: sock}}, nil
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

// l2Defaults are the sysctls a port's veth ends and a LAG's interface are
// born with. A Direct Connect port or LAG carries no layer 3 of its own (its
// VIFs, VLANs on it, do), so they neither answer ARP nor speak IPv6: no
// link-local address, no duplicate address detection, no router
// solicitation or MLD report on the wire beside LACP and the lab's own
// traffic. Born so, they also come up without IPv6's work, and a userspace
// LAG member needs no sysctl written. These are a namespace's defaults only
// while dxsim makes ports and LAGs: an interface made there afterwards (a
// VIF, one made by hand) gets the namespace's usual defaults.
var l2Defaults = [...]struct{ path, value string }{
	{"/proc/sys/net/ipv4/conf/default/arp_ignore", "8"},
	{"/proc/sys/net/ipv6/conf/default/disable_ipv6", "1"},
}

// withL2Defaults runs makeL2 with the namespaces' defaults set to
// l2Defaults, then puts back what they were. It nests: a namespace already
// inside a call is left to that one. The caller holds d.mu, so nothing else
// of dxsim's makes interfaces there meanwhile. It fails, making nothing, if
// the defaults cannot be set; failing to put them back is logged, as what
// makeL2 made is made all the same.
func withL2Defaults(log *slog.Logger, nss []*netNS, makeL2 func() error) error {
	var mine []*netNS
	for _, ns := range nss {
		if ns.l2Depth == 0 {
			mine = append(mine, ns)
		}
		ns.l2Depth++
	}
	defer func() {
		for _, ns := range nss {
			ns.l2Depth--
		}
	}()
	saved := make([][len(l2Defaults)]string, len(mine))
	for i, ns := range mine {
		err := nsthread.Do(ns.ns, func() error {
			for j, s := range l2Defaults {
				old, err := swapSysctl(s.path, s.value)
				if err != nil {
					return err
				}
				saved[i][j] = old
			}
			return nil
		})
		if err != nil {
			_ = restoreDefaults(mine[:i+1], saved)
			return fmt.Errorf("layer-2 defaults in %s: %w", ns.name, err)
		}
	}
	err := makeL2()
	if rerr := restoreDefaults(mine, saved); rerr != nil {
		log.Warn("putting namespace defaults back", "err", rerr)
	}
	return err
}

// restoreDefaults writes back the defaults withL2Defaults replaced.
func restoreDefaults(nss []*netNS, saved [][len(l2Defaults)]string) error {
	var errs []error
	for i, ns := range nss {
		err := nsthread.Do(ns.ns, func() error {
			for j, s := range l2Defaults {
				if saved[i][j] == "" {
					continue
				}
				if _, err := swapSysctl(s.path, saved[i][j]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("restoring defaults in %s: %w", ns.name, err))
		}
	}
	return errors.Join(errs...)
}

// swapSysctl writes v to a sysctl in the calling thread's namespace and
// returns what it held; "" (and no error) when the kernel lacks it, as
// IPv6's when IPv6 is disabled at boot, or when it held v already.
func swapSysctl(path, v string) (string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	old := strings.TrimSpace(string(b))
	if old == v {
		return "", nil
	}
	if err := os.WriteFile(path, []byte(v), 0); err != nil {
		return "", err
	}
	return old, nil
}

// ownership is a data plane's view of its Ownership record. d.mu guards it
// once the data plane is open.
type ownership struct {
	rec       Ownership       // nil: every namespace matching the prefix is ours
	owned     map[string]bool // the record, as last read or written
	unstarted bool            // the record was never started
	claim     bool            // the first Reconcile takes its devices' namespaces as owned
	warned    map[string]bool // namespaces already logged as left alone
}

// loadOwnership reads the record, if there is one.
func (d *DataPlane) loadOwnership() error {
	d.own = ownership{rec: d.opts.Ownership, owned: map[string]bool{}, warned: map[string]bool{}}
	if d.own.rec == nil {
		return nil
	}
	owned, err := d.own.rec.Owned()
	if err != nil {
		return fmt.Errorf("reading the record of this data plane's namespaces: %w", err)
	}
	if owned == nil {
		// A state from before records were kept: what it made is what its
		// objects need, which only Reconcile is told.
		d.own.unstarted, d.own.claim = true, true
		d.log.Info("no record of this data plane's namespaces yet: the state's devices' namespaces will be taken as its own")
		return nil
	}
	for name := range owned {
		d.own.owned[name] = true
	}
	var other []string
	for name := range owned {
		if _, _, ok := d.names.parse(name); !ok {
			other = append(other, name)
		}
	}
	if len(other) > 0 {
		sort.Strings(other)
		d.log.Warn("the record holds namespaces made under another prefix: left alone (serve with that prefix to use or remove them)",
			"prefix", d.opts.Prefix, "namespaces", other)
	}
	return nil
}

// mine reports whether a namespace is this data plane's to adopt, repair and
// delete.
func (d *DataPlane) mine(name string) bool {
	return d.own.rec == nil || d.own.owned[name]
}

// leftAlone logs, once per namespace, that one matching the prefix is not
// this data plane's.
func (d *DataPlane) leftAlone(name string) {
	if d.own.warned[name] {
		return
	}
	d.own.warned[name] = true
	d.log.Warn("namespace matches this data plane's prefix but is not in its record: left alone (another dxsim's?)",
		"ns", name, "prefix", d.opts.Prefix)
}

// record records names as this data plane's, durably, before they are made.
// With a record never started, it starts one even with no names.
func (d *DataPlane) record(names ...string) error {
	if d.own.rec == nil {
		return nil
	}
	var add []string
	for _, n := range names {
		if !d.own.owned[n] {
			add = append(add, n)
		}
	}
	if len(add) == 0 && !d.own.unstarted {
		return nil
	}
	if err := d.own.rec.Own(add...); err != nil {
		return fmt.Errorf("recording namespaces %v as this data plane's: %w", add, err)
	}
	for _, n := range add {
		d.own.owned[n] = true
	}
	d.own.unstarted = false
	return nil
}

// forget disowns names after they are deleted.
func (d *DataPlane) forget(names ...string) error {
	if d.own.rec == nil || len(names) == 0 {
		return nil
	}
	if err := d.own.rec.Disown(names...); err != nil {
		return fmt.Errorf("forgetting namespaces %v: %w", names, err)
	}
	for _, n := range names {
		delete(d.own.owned, n)
	}
	return nil
}

// openDeviceNS opens a device's namespace, making it if it does not exist:
// one of this data plane's is opened (or remade); a missing one is recorded
// first, then made; one that exists but is not in the record is refused.
// d.mu is held.
func (d *DataPlane) openDeviceNS(name string) (*netNS, error) {
	if d.mine(name) {
		return openOrCreateNS(name)
	}
	if nsExists(name) {
		d.leftAlone(name)
		return nil, &NotOwnedError{Namespace: name}
	}
	if err := d.record(name); err != nil {
		return nil, err
	}
	ns, err := createNS(name)
	if errors.Is(err, fs.ErrExist) {
		// Another process made it between the check and here: its.
		if ferr := d.forget(name); ferr != nil {
			d.log.Warn("forgetting a namespace another process made", "ns", name, "err", ferr)
		}
		d.leftAlone(name)
		return nil, &NotOwnedError{Namespace: name}
	}
	return ns, err
}

// claimWanted is the first Reconcile's migration of a state with no record:
// the namespaces of the devices it asks for are its own. d.mu is held.
func (d *DataPlane) claimWanted(w wanted) error {
	if !d.own.claim {
		return nil
	}
	var names []string
	for _, id := range sortedKeys(w.devices) {
		names = append(names, d.names.ns(roleDevice, id), d.names.ns(roleRouter, id))
	}
	if err := d.record(names...); err != nil {
		return err
	}
	d.own.claim = false
	if len(names) > 0 {
		d.log.Info("started the record of this data plane's namespaces with the state's devices'", "namespaces", len(names))
	}
	return nil
}

// pruneRecord forgets recorded namespaces with this prefix that no longer
// exist and that neither the data plane holds nor the state wants, so that a
// namespace of the same name another instance makes later is not taken for
// ours. d.mu is held.
func (d *DataPlane) pruneRecord(w wanted) error {
	if d.own.rec == nil {
		return nil
	}
	var gone []string
	for name := range d.own.owned {
		_, dev, ok := d.names.parse(name)
		if !ok || nsExists(name) {
			continue
		}
		if _, held := d.devices[dev]; held || w.devices[dev] {
			continue
		}
		gone = append(gone, name)
	}
	sort.Strings(gone)
	return d.forget(gone...)
}
