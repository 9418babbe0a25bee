package topology

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/bus"
	"github.com/dxsim/dxsim/topology/backend"
	"github.com/dxsim/dxsim/topology/userspace"
)

// DataPlane builds Direct Connect objects as Linux networking: a namespace
// per AWS device and per customer router, a veth pair per connection, a LAG
// interface per LAG on each side, a VLAN per VIF. It is safe for concurrent
// use; operations are serialised.
type DataPlane struct {
	opts   Options
	log    *slog.Logger
	names  namer
	be     backend.Backend
	reason string // why this backend
	own    ownership

	mu      sync.Mutex
	devices map[string]*device
	ports   map[string]*port
	lags    map[string]*lag
	vlans   map[string]*vlan
	regions map[string]*netNS      // by Region name: SetRegion's namespaces
	faults  map[string][]sim.Fault // each port's training faults, by connection
	flaps   map[sideKey]func()     // the flapping ends' stops
	applied map[sideKey]applied    // what each side's faults last put there

	ev        *eventSink
	control   *bus.Sub[sim.Event] // the control plane's subscription: Events
	hooks     moveHooks
	watches   watchSet
	stop      chan struct{}
	wg        sync.WaitGroup // event goroutines
	bg        sync.WaitGroup // background releases of torn-down namespaces
	closeOnce sync.Once
}

var _ sim.DataPlane = (*DataPlane)(nil)

// device is an AWS device's namespace and its customer router's.
type device struct {
	id        string
	aws, cust *netNS
	stopWatch []func()
}

type port struct {
	id, device, lag string
}

type lag struct {
	id, device string
	minLinks   int
}

type vlan struct {
	spec   sim.VLANSpec
	device string
}

// Open chooses a backend (logging which and why), finds what an earlier run
// with the same prefix left in the kernel, and starts watching link and LACP
// state.
func Open(ctx context.Context, o Options) (*DataPlane, error) {
	return open(ctx, o, ProbeFeatures)
}

func open(ctx context.Context, o Options, probe func() (Features, error)) (*DataPlane, error) {
	o = o.withDefaults()
	if err := checkPrefix(o.Prefix); err != nil {
		return nil, err
	}
	kind, reason, err := chooseBackend(o.Backend, o.LACPTimers, probe)
	if err != nil {
		return nil, err
	}
	o.Logger.Info("data plane", "backend", kind, "why", reason, "prefix", o.Prefix)
	d := &DataPlane{
		opts:    o,
		log:     o.Logger,
		names:   namer{prefix: o.Prefix},
		reason:  reason,
		devices: map[string]*device{},
		ports:   map[string]*port{},
		lags:    map[string]*lag{},
		vlans:   map[string]*vlan{},
		faults:  map[string][]sim.Fault{},
		flaps:   map[sideKey]func(){},
		applied: map[sideKey]applied{},
		ev:      newEventSink(o.Now),
		stop:    make(chan struct{}),
	}
	d.control = d.ev.bus.Subscribe(0)
	d.be = kernelBackend{}
	if kind == "userspace" {
		ub := userspace.NewBackend(o.Logger, o.Now, d.onEngineEvent)
		ub.SetTimers(userspace.TimersLinux)
		if o.LACPTimers == Timers8021AX {
			ub.SetTimers(userspace.Timers8021AX)
		}
		if o.Checkpoints != nil {
			ub.Persist(o.Checkpoints)
		}
		d.be = ub
	}
	if err := d.loadOwnership(); err != nil {
		d.closeAll()
		return nil, err
	}
	if err := d.discover(ctx); err != nil {
		d.closeAll()
		return nil, err
	}
	d.wg.Add(1)
	go d.pollLACP()
	return d, nil
}

// Backend names the backend in use and why it was chosen.
func (d *DataPlane) Backend() (name, why string) { return d.be.Name(), d.reason }

// Events delivers link, LACP and LAG carrier changes to the control plane:
// every one, in order, from Open on.
func (d *DataPlane) Events() <-chan sim.Event { return d.control.C() }

// SubscribeEvents delivers the same events as Events to another consumer
// (an observer), from now on, until it calls Close; one that lets more than
// limit wait is cut off (0: no limit).
func (d *DataPlane) SubscribeEvents(limit int) *bus.Sub[sim.Event] {
	return d.ev.bus.Subscribe(limit)
}

// Close stops event delivery and releases the namespaces' handles. The links
// stay; Teardown removes them.
func (d *DataPlane) Close() error {
	d.closeOnce.Do(d.closeAll)
	return nil
}

func (d *DataPlane) closeAll() {
	close(d.stop)
	d.mu.Lock()
	for _, dev := range d.devices {
		dev.unwatch()
	}
	d.mu.Unlock()
	d.wg.Wait()
	// The backend stops first: a userspace one that persists hands its
	// LAGs and VLANs over to the next process (Options.Checkpoints) rather
	// than remove them, as releasing each namespace would.
	_ = d.be.Close()
	d.mu.Lock()
	d.release(d.devices)
	clear(d.devices)
	d.closeRegions()
	d.mu.Unlock()
	d.bg.Wait()
	// Delivery stops here: what the control plane has not taken by now
	// it never will.
	d.ev.bus.Close()
	d.control.Close()
}

// Teardown deletes every namespace with this data plane's prefix (with
// Options.Ownership, every one of them in its record, and forgets them), and
// with them every link in them, and forgets them. The host's namespace is
// never touched. The data plane stays open: later operations build afresh.
func (d *DataPlane) Teardown(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, dev := range d.devices {
		dev.unwatch()
	}
	// Unmount first: that is what makes the namespaces disappear for
	// everyone else at once; the kernel frees them when the last handle
	// below is closed.
	var err error
	if d.own.rec == nil {
		_, err = TeardownPrefix(d.opts.Prefix)
	} else {
		_, err = teardownPrefix(d.opts.Prefix, d.mine, d.leftAlone, d.forget)
	}
	for _, stop := range d.flaps {
		stop()
	}
	clear(d.flaps)
	clear(d.faults)
	clear(d.applied)
	d.release(d.devices)
	clear(d.devices)
	d.closeRegions()
	clear(d.ports)
	clear(d.lags)
	clear(d.vlans)
	return err
}

// release stops the backend in each device's namespaces and closes their
// handles, in the background: a userspace engine closes a TAP device and a
// packet socket per LAG and member, and the kernel quiesces after each close,
// which for hundreds of LAGs takes seconds. The namespaces are already out
// of sight (unmounted) when this is called from Teardown; Close waits for
// the background work. d.mu is held.
func (d *DataPlane) release(devs map[string]*device) {
	for _, dev := range devs {
		for _, ns := range []*netNS{dev.aws, dev.cust} {
			stop := d.be.Forget(ns.bk)
			d.bg.Add(1)
			go func() {
				defer d.bg.Done()
				// The engine uses the namespace's handle until it has
				// stopped, so the handle closes after it.
				stop()
				ns.close()
			}()
		}
	}
}

// TeardownPrefix deletes the namespaces a data plane with this prefix made:
// "<prefix>-dx-…" and "<prefix>-cr-…", nothing else. It reports how many it
// deleted. It keeps no record: it is for a prefix that is the caller's alone
// (a lab's); TeardownOwned is for one that keeps an Ownership.
func TeardownPrefix(prefix string) (int, error) {
	return teardownPrefix(prefix, nil, nil, nil)
}

// TeardownOwned deletes the namespaces with this prefix that own records,
// and forgets them; others matching the prefix are left alone. A record
// never started owns nothing.
func TeardownOwned(prefix string, own Ownership) (int, error) {
	owned, err := own.Owned()
	if err != nil {
		return 0, fmt.Errorf("reading the record of namespaces: %w", err)
	}
	return teardownPrefix(prefix, func(name string) bool { return owned[name] }, nil, own.Disown)
}

// teardownPrefix deletes the namespaces with this prefix that mine accepts
// (all when nil), reporting the others to skipped, and passes those it
// deleted to forget.
func teardownPrefix(prefix string, mine func(string) bool, skipped func(string), forget func(...string) error) (int, error) {
	if err := checkPrefix(prefix); err != nil {
		return 0, err
	}
	names, err := listNS(prefix + "-")
	if err != nil {
		return 0, err
	}
	n := namer{prefix: prefix}
	var errs []error
	var deleted []string
	for _, name := range names {
		if !n.ours(name) {
			continue
		}
		if mine != nil && !mine(name) {
			if skipped != nil {
				skipped(name)
			}
			continue
		}
		if err := deleteNS(name); err != nil {
			errs = append(errs, err)
			continue
		}
		deleted = append(deleted, name)
	}
	if forget != nil && len(deleted) > 0 {
		errs = append(errs, forget(deleted...))
	}
	return len(deleted), errors.Join(errs...)
}

// device returns the AWS device's namespaces, making them if create.
// d.mu is held.
func (d *DataPlane) device(id string, create bool) (*device, error) {
	if dev, ok := d.devices[id]; ok {
		return dev, nil
	}
	if !create {
		return nil, &backend.NotFoundError{Kind: "device", ID: id}
	}
	if err := checkNSPart("device", id); err != nil {
		return nil, err
	}
	aws, err := d.openDeviceNS(d.names.ns(roleDevice, id))
	if err != nil {
		return nil, err
	}
	cust, err := d.openDeviceNS(d.names.ns(roleRouter, id))
	if err != nil {
		aws.close()
		return nil, err
	}
	aws.role, aws.device = roleDevice, id
	cust.role, cust.device = roleRouter, id
	dev := &device{id: id, aws: aws, cust: cust}
	for _, ns := range []*netNS{aws, cust} {
		stop, err := d.watchLinks(ns)
		if err != nil {
			dev.unwatch()
			aws.close()
			cust.close()
			return nil, err
		}
		dev.stopWatch = append(dev.stopWatch, stop)
	}
	d.devices[id] = dev
	return dev, nil
}

func (dev *device) unwatch() {
	for _, stop := range dev.stopWatch {
		stop()
	}
	dev.stopWatch = nil
}

// both runs f on the AWS side, then the customer side.
func (dev *device) both(f func(ns *netNS) error) error {
	if err := f(dev.aws); err != nil {
		return err
	}
	return f(dev.cust)
}

func (d *DataPlane) now() time.Time { return d.opts.Now() }

func checkCtx(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("data plane: %w", err)
	}
	return nil
}

// Prefix is the prefix of this data plane's namespace names.
func (d *DataPlane) Prefix() string { return d.opts.Prefix }

// Namespaces names an AWS device's namespace and its customer router's, for
// tools that work beside the data plane (captures, probes, `ip netns exec`).
func (d *DataPlane) Namespaces(deviceID string) (aws, customer string) {
	return d.names.ns(roleDevice, deviceID), d.names.ns(roleRouter, deviceID)
}

// ProbeFeatures asks the kernel to make an 802.3ad bond and a VLAN on it in
// a throwaway namespace ("dxsim-probe-…"), never the host's, and removes it.
// Module loading is the kernel's business: on a kernel with loadable modules
// the request itself loads bonding and 8021q.
func ProbeFeatures() (Features, error) {
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := DefaultPrefix + "-probe-" + hex.EncodeToString(b[:])
	ns, err := openOrCreateNS(name)
	if err != nil {
		return Features{}, fmt.Errorf("probing kernel features: %w", err)
	}
	defer func() {
		ns.close()
		_ = deleteNS(name)
	}()
	var f Features
	bond := netlink.NewLinkBond(netlink.LinkAttrs{Name: "probe-bond"})
	bond.Mode = netlink.BOND_MODE_802_3AD
	f.Bonding = ns.h.LinkAdd(bond)
	// The VLAN needs a parent of any kind; a veth pair exists everywhere.
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "probe-a"}, PeerName: "probe-b"}
	if err := ns.h.LinkAdd(veth); err != nil {
		return Features{}, fmt.Errorf("probing kernel features: veth: %w", err)
	}
	f.VLAN = ns.h.LinkAdd(&netlink.Vlan{
		LinkAttrs: netlink.LinkAttrs{Name: "probe-a.7", ParentIndex: veth.Attrs().Index},
		VlanId:    7,
	})
	return f, nil
}
