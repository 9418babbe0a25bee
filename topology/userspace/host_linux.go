package userspace

import (
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/dxsim/dxsim/topology/internal/linkwatch"
	"github.com/dxsim/dxsim/topology/internal/nsthread"
)

// Host runs the userspace LAGs and VLANs of one network namespace. Its
// methods are safe for concurrent use.
type Host struct {
	cfg Config
	log *slog.Logger
	nl  *netlink.Handle

	sockOnce sync.Once // makes sock, for rtnl
	sock     *nl.SocketHandle
	sockErr  error

	events   chan Event
	dropped  atomic.Uint64
	evMu     sync.RWMutex // makes emit and closing events exclusive
	evClosed bool

	links *linkwatch.Watcher

	mu       sync.Mutex
	lags     map[string]*lag
	memberOf map[string]*lag
	vlans    map[string]*vlanIf
	trunks   map[string]*trunk
	closed   bool

	impMu   sync.Mutex // guards impairs; taken last, after any other lock
	impairs map[string]*impairer

	cp *checkpointer // nil without Config.OnCheckpoint
}

// New starts a Host in cfg.NetNS. It watches the namespace's links (rtnetlink)
// so that members going down and up reach the LACP control.
func New(cfg Config) (*Host, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Events == 0 {
		cfg.Events = 256
	}
	var (
		nl  *netlink.Handle
		err error
	)
	if cfg.NetNS == 0 {
		nl, err = netlink.NewHandle(unix.NETLINK_ROUTE)
	} else {
		nl, err = netlink.NewHandleAt(cfg.NetNS, unix.NETLINK_ROUTE)
	}
	if err != nil {
		return nil, fmt.Errorf("userspace: netlink: %w", err)
	}
	h := &Host{
		cfg: cfg, log: cfg.Logger, nl: nl,
		events:   make(chan Event, cfg.Events),
		lags:     map[string]*lag{},
		memberOf: map[string]*lag{},
		vlans:    map[string]*vlanIf{},
		trunks:   map[string]*trunk{},
		impairs:  map[string]*impairer{},
	}
	var opts []linkwatch.Option
	if cfg.linkBuffer != 0 {
		opts = append(opts, linkwatch.WithReceiveBuffer(cfg.linkBuffer))
	}
	if h.links, err = linkwatch.Watch(cfg.NetNS, h.log, hostLinks{h}, opts...); err != nil {
		nl.Close()
		return nil, fmt.Errorf("userspace: %w", err)
	}
	if cfg.OnCheckpoint != nil {
		h.cp = startCheckpointer(h)
	}
	return h, nil
}

// Events delivers member, link and carrier changes. It is closed by Close.
func (h *Host) Events() <-chan Event { return h.events }

// Dropped counts events dropped because Events was full.
func (h *Host) Dropped() uint64 { return h.dropped.Load() }

// LinkResyncs counts the times the Host's link watch was lost (its socket
// overflowed) and its members and trunks were set again from a fresh list.
func (h *Host) LinkResyncs() uint64 { return h.links.Resyncs() }

func (h *Host) emit(e Event) {
	h.evMu.RLock()
	defer h.evMu.RUnlock()
	if h.evClosed {
		return
	}
	select {
	case h.events <- e:
	default:
		h.dropped.Add(1)
	}
}

// linkUp reports whether a link is administratively up with carrier.
func linkUp(l netlink.Link) bool {
	raw := l.Attrs().RawFlags
	return raw&unix.IFF_UP != 0 && raw&unix.IFF_LOWER_UP != 0
}

// CreateLAG makes the LAG's TAP, up, without carrier until enough members
// carry traffic, and its LACP engine. Creating an existing LAG again is not
// an error.
func (h *Host) CreateLAG(cfg LAGConfig) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return errors.New("userspace: host closed")
	}
	if _, ok := h.lags[cfg.Name]; ok {
		return nil
	}
	t, err := openTAP(h.cfg.NetNS, cfg.Name)
	if err != nil {
		return err
	}
	if err := h.setupTAP(t, cfg.SystemMAC); err != nil {
		t.close()
		return err
	}
	if err := h.persistTAP(t); err != nil {
		t.remove()
		return err
	}
	if cfg.SystemMAC == nil {
		link, err := h.nl.LinkByName(cfg.Name)
		if err != nil {
			t.remove()
			return fmt.Errorf("userspace: LAG %s: %w", cfg.Name, err)
		}
		cfg.SystemMAC = link.Attrs().HardwareAddr
	}
	// The LAG's engine and link monitor tick from here, as a bond's
	// handler and miimon run from when it comes up.
	born := h.cfg.Now()
	var ctl control = newStaticControl()
	if !cfg.Static {
		if ctl, err = newEngineControl(cfg, born, h.log); err != nil {
			t.remove()
			return err
		}
	}
	h.lags[cfg.Name] = newLAG(h, cfg, t, ctl, born)
	h.changed()
	return nil
}

// setupTAP gives a new TAP its MAC, takes its carrier away and brings it
// up: the carrier with an ioctl, the rest with one netlink request that
// names the TAP (it is new, so down: a 6.1 kernel refuses to be named an
// interface that is up).
func (h *Host) setupTAP(t *tap, mac []byte) error {
	if err := t.setCarrier(false); err != nil {
		return err
	}
	sock, err := h.rtnl()
	if err != nil {
		return err
	}
	req := nl.NewNetlinkRequest(unix.RTM_SETLINK, unix.NLM_F_ACK)
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Flags, msg.Change = unix.IFF_UP, unix.IFF_UP
	req.AddData(msg)
	req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(t.name)))
	if mac != nil {
		req.AddData(nl.NewRtAttr(unix.IFLA_ADDRESS, mac))
	}
	req.AddData(nl.NewRtAttr(unix.IFLA_GROUP, nl.Uint32Attr(lagGroup)))
	req.Sockets = map[int]*nl.SocketHandle{unix.NETLINK_ROUTE: sock}
	if _, err := req.Execute(unix.NETLINK_ROUTE, 0); err != nil {
		return fmt.Errorf("userspace: TAP %s: MAC, group and up: %w", t.name, err)
	}
	return nil
}

// rtnl is a route netlink socket in the Host's namespace for requests the
// netlink handle cannot build, made on first use.
func (h *Host) rtnl() (*nl.SocketHandle, error) {
	h.sockOnce.Do(func() {
		ns := netns.None()
		if h.cfg.NetNS != 0 {
			ns = h.cfg.NetNS
		}
		s, err := nl.GetNetlinkSocketAt(ns, netns.None(), unix.NETLINK_ROUTE)
		if err != nil {
			h.sockErr = fmt.Errorf("userspace: netlink socket: %w", err)
			return
		}
		h.sock = &nl.SocketHandle{Socket: s}
	})
	return h.sock, h.sockErr
}

// DeleteLAG releases the LAG's members and removes its TAP. VLANs on it must
// be deleted or moved first. Deleting an absent LAG is not an error.
func (h *Host) DeleteLAG(name string) error {
	h.mu.Lock()
	l := h.lags[name]
	if l == nil {
		h.mu.Unlock()
		return nil
	}
	for _, v := range h.vlans {
		if v.cfg.Parent == name {
			h.mu.Unlock()
			return fmt.Errorf("%w: LAG %s carries VLAN %s", ErrInUse, name, v.cfg.Name)
		}
	}
	delete(h.lags, name)
	for m, ml := range h.memberOf {
		if ml == l {
			delete(h.memberOf, m)
		}
	}
	h.mu.Unlock()
	defer h.changed()
	return l.close()
}

// SetMinLinks changes how many members must carry traffic for the LAG's TAP
// to have carrier.
func (h *Host) SetMinLinks(name string, n int) error {
	l, err := h.lag(name)
	if err != nil {
		return err
	}
	l.setMinLinks(n)
	h.changed()
	return nil
}

func (h *Host) lag(name string) (*lag, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	l := h.lags[name]
	if l == nil {
		return nil, notFound("LAG", name)
	}
	return l, nil
}

// RemoveMember releases a member; removing a port that is not a member is
// not an error.
func (h *Host) RemoveMember(lagName, port string) error {
	l, err := h.lag(lagName)
	if err != nil {
		return err
	}
	h.mu.Lock()
	if h.memberOf[port] != l {
		h.mu.Unlock()
		return nil
	}
	delete(h.memberOf, port)
	h.mu.Unlock()
	if err := l.removeMember(port); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	return nil
}

// SetFault applies a training fault to a member's LACP; the zero Fault
// clears it. A static LAG has none to apply (ErrUnsupported).
func (h *Host) SetFault(lagName, port string, f Fault) error {
	l, err := h.lag(lagName)
	if err != nil {
		return err
	}
	return l.do(func(now time.Time) (actions, error) { return l.ctl.setFault(port, f, now) })
}

// LAGStatus reports a LAG's carrier and members.
func (h *Host) LAGStatus(name string) (LAGStatus, error) {
	l, err := h.lag(name)
	if err != nil {
		return LAGStatus{}, err
	}
	return l.status(), nil
}

// LAGs reports every LAG of the Host, by name.
func (h *Host) LAGs() []LAGStatus {
	h.mu.Lock()
	ls := make([]*lag, 0, len(h.lags))
	for _, l := range h.lags {
		ls = append(ls, l)
	}
	h.mu.Unlock()
	out := make([]LAGStatus, 0, len(ls))
	for _, l := range ls {
		out = append(out, l.status())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// closeLimit bounds how many closes run at once. Closing a packet socket or
// a TAP makes the kernel wait for an RCU grace period; closes made together
// wait for the same ones instead of one after another.
const closeLimit = 64

// closeAll runs every close, at most closeLimit at a time, and joins their
// errors.
func closeAll(closes []func() error) error {
	errs := make([]error, len(closes))
	sem := make(chan struct{}, closeLimit)
	var wg sync.WaitGroup
	for i, c := range closes {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			errs[i] = c()
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// closeLAGs stops LAGs and releases their members, a step at a time for all
// of them: every member's packet socket, then every TAP, then the members'
// sysctls. Within a step the kernel's waits overlap (closeAll), and a step's
// closes do not queue behind another's for RTNL. With byGroup the TAPs are
// removed with one request (lagGroup) before their files are closed, which
// spares the kernel a wait per TAP; they must be all of the Host's. The
// sockets go first: the kernel tells every packet socket of a namespace of
// every interface that goes.
func (h *Host) closeLAGs(lags []*lag, byGroup bool) error {
	var socks, taps []func() error
	var qs []quieted
	for _, l := range lags {
		for _, m := range l.stop() {
			socks = append(socks, m.conn.Close)
			qs = append(qs, quieted{name: m.name, saved: m.saved})
		}
		taps = append(taps, l.tap.remove)
	}
	err := closeAll(socks)
	if byGroup && len(lags) > 0 {
		if err := h.deleteGroup(lagGroup); err != nil {
			// Closing each TAP removes it all the same.
			h.log.Warn("userspace: removing TAPs at once", "err", err)
		}
	}
	err = errors.Join(err, closeAll(taps))
	for _, l := range lags {
		l.wg.Wait()
	}
	h.restore(qs)
	return err
}

// Close stops every LAG and VLAN (removing their TAPs, releasing members),
// stops watching links and closes Events. It does not touch the veths.
func (h *Host) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	vlans, trunks, lags := h.vlans, h.trunks, h.lags
	h.vlans, h.trunks, h.lags, h.memberOf = nil, nil, nil, nil
	h.mu.Unlock()
	// Stop watching links first: what follows is a burst of link changes
	// nobody needs.
	h.links.Stop()
	h.cp.stop()

	// VLANs first, as their parents deliver to them; then the LAGs.
	var closes []func() error
	for _, v := range vlans {
		closes = append(closes, v.close)
	}
	for _, t := range trunks {
		closes = append(closes, t.close)
	}
	err := closeAll(closes)
	ls := make([]*lag, 0, len(lags))
	for _, l := range lags {
		ls = append(ls, l)
	}
	err = errors.Join(err, h.closeLAGs(ls, true))
	h.letGo()
	return err
}

// letGo lets go of what a closed or detached Host still holds: its
// impairments, netlink handles and Events.
func (h *Host) letGo() {
	h.stopImpairers()
	h.nl.Close()
	h.sockOnce.Do(func() {}) // a socket made meanwhile is seen
	if h.sock != nil {
		h.sock.Close()
	}
	h.evMu.Lock()
	h.evClosed = true
	close(h.events)
	h.evMu.Unlock()
}

// lagGroup is the device group (IFLA_GROUP) of the Host's LAG TAPs, so that
// Close removes them all with one request. Nothing else in the namespace may
// use it.
const lagGroup = 0xd5

// deleteGroup removes every device of group in the Host's namespace with one
// request: the kernel unregisters them together, quiescing once.
func (h *Host) deleteGroup(group uint32) error {
	return nsthread.Do(h.cfg.NetNS, func() error {
		req := nl.NewNetlinkRequest(unix.RTM_DELLINK, unix.NLM_F_ACK)
		req.AddData(nl.NewIfInfomsg(unix.AF_UNSPEC))
		req.AddData(nl.NewRtAttr(unix.IFLA_GROUP, nl.Uint32Attr(group)))
		if _, err := req.Execute(unix.NETLINK_ROUTE, 0); err != nil && !errors.Is(err, unix.ENODEV) {
			return fmt.Errorf("userspace: deleting TAPs: %w", err)
		}
		return nil
	})
}
