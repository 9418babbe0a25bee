package lacpfault

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// What Set attaches, by name, so that any later call finds it.
const (
	egressName   = "dxsim-lacpfault-egress"
	ingressName  = "dxsim-lacpfault-ingress"
	cfgMapName   = "lacpf_config"
	stateMapName = "lacpf_state"
	// filterPriority puts the filters ahead of any others a tool would
	// add with its default priority (49152 and down). A filter of another
	// kind already at this priority makes Set fail.
	filterPriority = 1
	filterHandle   = 1
	license        = "Dual MIT/GPL"
)

var (
	mu sync.Mutex // serialises Set and Clear, and guards flaps
	// flaps are the running Flap schedules, by namespace and interface.
	flaps = map[string]*flapping{}
)

type flapping struct {
	f   *flapper
	cfg *ebpf.Map // its own descriptor: the schedule outlives the Set call
}

func (f *flapping) stop() {
	f.f.Stop()
	f.cfg.Close()
}

// Set applies f to the interface ifname in ns (0: the caller's namespace),
// attaching the programs if they are not there yet; on an interface that has
// them it only writes the config map, and a Set of the same Fault again
// changes nothing but restarting a Flap schedule. The zero Fault clears.
func Set(ns netns.NsHandle, ifname string, f Fault) error {
	if err := f.Validate(); err != nil {
		return err
	}
	if f.IsZero() {
		return Clear(ns, ifname)
	}
	mu.Lock()
	defer mu.Unlock()
	key, err := flapKey(ns, ifname)
	if err != nil {
		return err
	}
	stopFlap(key)

	h, err := handleAt(ns)
	if err != nil {
		return err
	}
	defer h.Close()
	link, err := linkByName(h, ifname)
	if err != nil {
		return err
	}
	a, err := find(h, link)
	if err != nil {
		return err
	}
	if a != nil && !a.complete() {
		// Half of an earlier attach (a process ended between the two
		// filters): start again, keeping who owns the qdisc.
		owner := a.owner
		err := a.detach(h, link, false)
		a.close()
		if err != nil {
			return err
		}
		a, err = attach(h, link, owner)
		if err != nil {
			return err
		}
	} else if a == nil {
		if a, err = attach(h, link, false); err != nil {
			return err
		}
	}
	defer a.close()

	cfg := configOf(f)
	cfg.owner = a.owner
	if err := writeConfig(a.cfg, cfg); err != nil {
		return fmt.Errorf("lacpfault: %s: %w", ifname, err)
	}
	if f.Flapping() {
		m, err := a.cfg.Clone()
		if err != nil {
			return fmt.Errorf("lacpfault: %s: flap: %w", ifname, err)
		}
		apply := func(down bool) error { return writeConfig(m, cfg.withFlapDown(down)) }
		flaps[key] = &flapping{f: startFlap(f.FlapUp, f.FlapDown, apply, time.After), cfg: m}
	}
	return nil
}

// Clear removes what Set attached to ifname in ns: both filters, and the
// clsact qdisc when Set added it and nothing else is left on it. It stops a
// Flap schedule. Nothing attached, or no such interface, is no error.
func Clear(ns netns.NsHandle, ifname string) error {
	mu.Lock()
	defer mu.Unlock()
	key, err := flapKey(ns, ifname)
	if err != nil {
		return err
	}
	stopFlap(key)

	h, err := handleAt(ns)
	if err != nil {
		return err
	}
	defer h.Close()
	link, err := linkByName(h, ifname)
	if errors.Is(err, ErrNoInterface) {
		return nil
	}
	if err != nil {
		return err
	}
	a, err := find(h, link)
	if err != nil || a == nil {
		return err
	}
	defer a.close()
	return a.detach(h, link, true)
}

// Stats reads the counters of the fault attached to ifname in ns;
// ErrNotAttached when there is none.
func Stats(ns netns.NsHandle, ifname string) (Counters, error) {
	h, err := handleAt(ns)
	if err != nil {
		return Counters{}, err
	}
	defer h.Close()
	link, err := linkByName(h, ifname)
	if err != nil {
		return Counters{}, err
	}
	a, err := find(h, link)
	if err != nil {
		return Counters{}, err
	}
	if a == nil {
		return Counters{}, fmt.Errorf("%w to %s", ErrNotAttached, ifname)
	}
	defer a.close()
	if a.state == nil {
		return Counters{}, fmt.Errorf("%w to %s (its counters are gone)", ErrNotAttached, ifname)
	}
	var b []byte
	if err := a.state.Lookup(uint32(0), &b); err != nil {
		return Counters{}, fmt.Errorf("lacpfault: %s: reading counters: %w", ifname, err)
	}
	return unmarshalCounters(b)
}

func stopFlap(key string) {
	if f := flaps[key]; f != nil {
		f.stop()
		delete(flaps, key)
	}
}

func flapKey(ns netns.NsHandle, ifname string) (string, error) {
	if ns == 0 {
		self, err := netns.Get()
		if err != nil {
			return "", fmt.Errorf("lacpfault: own namespace: %w", err)
		}
		defer self.Close()
		ns = self
	}
	return ns.UniqueId() + "/" + ifname, nil
}

func handleAt(ns netns.NsHandle) (*netlink.Handle, error) {
	var (
		h   *netlink.Handle
		err error
	)
	if ns == 0 {
		h, err = netlink.NewHandle(unix.NETLINK_ROUTE)
	} else {
		h, err = netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	}
	if err != nil {
		return nil, fmt.Errorf("lacpfault: netlink: %w", err)
	}
	return h, nil
}

func linkByName(h *netlink.Handle, name string) (netlink.Link, error) {
	l, err := h.LinkByName(name)
	var nf netlink.LinkNotFoundError
	if errors.As(err, &nf) {
		return nil, fmt.Errorf("%w: %s", ErrNoInterface, name)
	}
	if err != nil {
		return nil, fmt.Errorf("lacpfault: looking up %s: %w", name, err)
	}
	return l, nil
}

func writeConfig(m *ebpf.Map, c config) error {
	if err := m.Update(uint32(0), c.marshal(), ebpf.UpdateAny); err != nil {
		return fmt.Errorf("writing config: %w", err)
	}
	return nil
}

// attachment is what Set attached to one interface, as found in the kernel.
type attachment struct {
	filters    []*netlink.BpfFilter
	cfg, state *ebpf.Map
	owner      bool // Set added the clsact qdisc
}

func (a *attachment) complete() bool {
	return len(a.filters) == 2 && a.cfg != nil && a.state != nil
}

func (a *attachment) close() {
	if a.cfg != nil {
		a.cfg.Close()
	}
	if a.state != nil {
		a.state.Close()
	}
}

var parents = []uint32{netlink.HANDLE_MIN_EGRESS, netlink.HANDLE_MIN_INGRESS}

func hasClsact(h *netlink.Handle, link netlink.Link) (bool, error) {
	qs, err := h.QdiscList(link)
	if err != nil {
		return false, fmt.Errorf("lacpfault: %s: listing qdiscs: %w", link.Attrs().Name, err)
	}
	return slices.ContainsFunc(qs, func(q netlink.Qdisc) bool { return q.Type() == "clsact" }), nil
}

// find looks for Set's filters on link and opens their maps; nil when there
// are none.
func find(h *netlink.Handle, link netlink.Link) (*attachment, error) {
	ok, err := hasClsact(h, link)
	if err != nil || !ok {
		return nil, err
	}
	a := &attachment{}
	for _, parent := range parents {
		fs, err := h.FilterList(link, parent)
		if err != nil {
			return nil, fmt.Errorf("lacpfault: %s: listing filters: %w", link.Attrs().Name, err)
		}
		for _, f := range fs {
			if bf, ok := f.(*netlink.BpfFilter); ok && (bf.Name == egressName || bf.Name == ingressName) {
				a.filters = append(a.filters, bf)
			}
		}
	}
	if len(a.filters) == 0 {
		return nil, nil
	}
	for _, f := range a.filters {
		if a.cfg != nil && a.state != nil {
			break
		}
		if err := a.openMaps(f.Id); err != nil {
			a.close()
			return nil, fmt.Errorf("lacpfault: %s: %w", link.Attrs().Name, err)
		}
	}
	if a.cfg != nil {
		var b []byte
		if err := a.cfg.Lookup(uint32(0), &b); err == nil {
			if c, err := unmarshalConfig(b); err == nil {
				a.owner = c.owner
			}
		}
	}
	return a, nil
}

// openMaps opens the maps of the program with the given ID.
func (a *attachment) openMaps(id int) error {
	prog, err := ebpf.NewProgramFromID(ebpf.ProgramID(id))
	if err != nil {
		return fmt.Errorf("opening program %d: %w", id, err)
	}
	defer prog.Close()
	info, err := prog.Info()
	if err != nil {
		return fmt.Errorf("program %d: %w", id, err)
	}
	ids, _ := info.MapIDs()
	for _, mid := range ids {
		m, err := ebpf.NewMapFromID(mid)
		if err != nil {
			return fmt.Errorf("opening map %d: %w", mid, err)
		}
		mi, err := m.Info()
		switch {
		case err == nil && mi.Name == cfgMapName && a.cfg == nil:
			a.cfg = m
		case err == nil && mi.Name == stateMapName && a.state == nil:
			a.state = m
		default:
			m.Close()
		}
	}
	return nil
}

// detach deletes the filters, and with qdisc the clsact qdisc when Set
// added it and no filter is left on it.
func (a *attachment) detach(h *netlink.Handle, link netlink.Link, qdisc bool) error {
	for _, f := range a.filters {
		if err := h.FilterDel(f); err != nil && !errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("lacpfault: %s: deleting filter %s: %w", link.Attrs().Name, f.Name, err)
		}
	}
	if !qdisc || !a.owner {
		return nil
	}
	for _, parent := range parents {
		fs, err := h.FilterList(link, parent)
		if err != nil {
			return fmt.Errorf("lacpfault: %s: listing filters: %w", link.Attrs().Name, err)
		}
		if len(fs) > 0 {
			return nil // someone else's filters: their qdisc now too
		}
	}
	if err := h.QdiscDel(clsact(link)); err != nil && !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("lacpfault: %s: deleting clsact: %w", link.Attrs().Name, err)
	}
	return nil
}

func clsact(link netlink.Link) *netlink.Clsact {
	return &netlink.Clsact{QdiscAttrs: netlink.QdiscAttrs{
		LinkIndex: link.Attrs().Index,
		Handle:    netlink.MakeHandle(0xffff, 0),
		Parent:    netlink.HANDLE_CLSACT,
	}}
}

// attach loads the maps and programs and attaches them to link, adding a
// clsact qdisc if it has none (or owner says an earlier Set did). On failure
// it leaves nothing behind.
func attach(h *netlink.Handle, link netlink.Link, owner bool) (a *attachment, err error) {
	name := link.Attrs().Name
	a = &attachment{owner: owner}
	var progs []*ebpf.Program
	defer func() {
		for _, p := range progs {
			p.Close() // the filters hold the programs
		}
		if err != nil {
			_ = a.detach(h, link, true)
			a.close()
			a = nil
		}
	}()
	ok, err := hasClsact(h, link)
	if err != nil {
		return a, err
	}
	if !ok {
		switch err := h.QdiscAdd(clsact(link)); {
		case err == nil:
			a.owner = true
		case !errors.Is(err, unix.EEXIST): // EEXIST: another tool's, just made
			return a, fmt.Errorf("lacpfault: %s: adding clsact: %w", name, err)
		}
	}
	o, err := load(a.owner)
	if err != nil {
		return a, fmt.Errorf("lacpfault: %s: %w", name, err)
	}
	a.cfg, a.state = o.cfg, o.state
	progs = append(progs, o.egress, o.ingress)
	for _, d := range []struct {
		filter string
		parent uint32
		prog   *ebpf.Program
	}{
		{egressName, netlink.HANDLE_MIN_EGRESS, o.egress},
		{ingressName, netlink.HANDLE_MIN_INGRESS, o.ingress},
	} {
		f := &netlink.BpfFilter{
			FilterAttrs: netlink.FilterAttrs{
				LinkIndex: link.Attrs().Index,
				Parent:    d.parent,
				Handle:    filterHandle,
				Priority:  filterPriority,
				Protocol:  unix.ETH_P_ALL,
			},
			Fd:           d.prog.FD(),
			Name:         d.filter,
			DirectAction: true,
		}
		// Add, not replace: a filter of another's in the same place is an
		// error, never overwritten.
		if err := h.FilterAdd(f); err != nil {
			return a, fmt.Errorf("lacpfault: %s: attaching %s: %w", name, d.filter, err)
		}
		a.filters = append(a.filters, f)
	}
	return a, nil
}

// objects are the maps and programs of one attachment.
type objects struct {
	cfg, state      *ebpf.Map
	egress, ingress *ebpf.Program
}

func (o *objects) close() {
	for _, m := range []*ebpf.Map{o.cfg, o.state} {
		if m != nil {
			m.Close()
		}
	}
	for _, p := range []*ebpf.Program{o.egress, o.ingress} {
		if p != nil {
			p.Close()
		}
	}
}

// load makes the maps, with a config that says no fault, and loads the
// programs against them.
func load(owner bool) (o *objects, err error) {
	o = &objects{}
	defer func() {
		if err != nil {
			o.close()
			o = nil
		}
	}()
	if o.cfg, err = ebpf.NewMap(&ebpf.MapSpec{Name: cfgMapName, Type: ebpf.Array, KeySize: 4, ValueSize: cfgSize, MaxEntries: 1}); err != nil {
		return o, fmt.Errorf("config map: %w", err)
	}
	if o.state, err = ebpf.NewMap(&ebpf.MapSpec{Name: stateMapName, Type: ebpf.Array, KeySize: 4, ValueSize: stSize, MaxEntries: 1}); err != nil {
		return o, fmt.Errorf("state map: %w", err)
	}
	if err := writeConfig(o.cfg, config{owner: owner}); err != nil {
		return o, err
	}
	p := program{cfgFD: o.cfg.FD(), stateFD: o.state.FD()}
	if o.egress, err = loadProgram("lacpf_egress", p.egress()); err != nil {
		return o, err
	}
	if o.ingress, err = loadProgram("lacpf_ingress", p.ingress()); err != nil {
		return o, err
	}
	return o, nil
}

func loadProgram(name string, ins asm.Instructions) (*ebpf.Program, error) {
	p, err := ebpf.NewProgram(&ebpf.ProgramSpec{Name: name, Type: ebpf.SchedCLS, Instructions: ins, License: license})
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", name, err)
	}
	return p, nil
}
