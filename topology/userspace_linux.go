package topology

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/dxsim/dxsim/topology/userspace"
)

// userspaceBackend is for kernels without bonding or 802.1Q: in each
// namespace a userspace.Host makes a LAG's logical interface a TAP device
// driven by dxsim's LACP engine over AF_PACKET on the member veths, and does
// VLAN tagging itself. Those TAPs live as long as this process: the engine
// that drives them is in it.
type userspaceBackend struct {
	log *slog.Logger
	now func() time.Time
	// onEvent receives each Host's events as they happen, so LACP changes
	// need not wait for the data plane's poll; nil drops them.
	onEvent func(ns *netNS, e userspace.Event)

	mu    sync.Mutex
	hosts map[string]*userspace.Host // by namespace name
	wg    sync.WaitGroup             // event forwarders, one per Host
}

var _ backend = (*userspaceBackend)(nil)

func newUserspaceBackend(log *slog.Logger, now func() time.Time) *userspaceBackend {
	return &userspaceBackend{log: log, now: now, hosts: map[string]*userspace.Host{}}
}

func (*userspaceBackend) Name() string { return "userspace" }

// host is ns's Host, started on first use.
func (u *userspaceBackend) host(ns *netNS) (*userspace.Host, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if h, ok := u.hosts[ns.name]; ok {
		return h, nil
	}
	h, err := userspace.New(userspace.Config{NetNS: ns.ns, Logger: u.log.With("ns", ns.name), Now: u.now})
	if err != nil {
		return nil, fmt.Errorf("userspace engine in %s: %w", ns.name, err)
	}
	u.hosts[ns.name] = h
	// The forwarder ends when Close closes the Host's events.
	u.wg.Add(1)
	go func() {
		defer u.wg.Done()
		for e := range h.Events() {
			if u.onEvent != nil {
				u.onEvent(ns, e)
			}
		}
	}()
	return h, nil
}

// existing is ns's Host if one was started; nil otherwise (nothing of the
// engine's can exist there then).
func (u *userspaceBackend) existing(ns *netNS) *userspace.Host {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.hosts[ns.name]
}

func (u *userspaceBackend) CreateLAG(_ context.Context, ns *netNS, c lagConfig) error {
	h, err := u.host(ns)
	if err != nil {
		return err
	}
	return wrapUS(h.CreateLAG(userspace.LAGConfig{Name: c.Name, MinLinks: c.MinLinks, SystemMAC: c.SystemMAC}))
}

// DeleteLAG deletes the VLANs on the LAG first, as the kernel does with a
// bond's VLANs, then the LAG.
func (u *userspaceBackend) DeleteLAG(_ context.Context, ns *netNS, name string) error {
	h := u.existing(ns)
	if h == nil {
		return nil
	}
	for _, v := range h.VLANs() {
		if v.Parent == name {
			if err := h.DeleteVLAN(v.Name); err != nil {
				return wrapUS(err)
			}
		}
	}
	return wrapUS(h.DeleteLAG(name))
}

func (u *userspaceBackend) SetMinLinks(_ context.Context, ns *netNS, name string, n int) error {
	h, err := u.host(ns)
	if err != nil {
		return err
	}
	return wrapUS(h.SetMinLinks(name, n))
}

func (u *userspaceBackend) AddMember(_ context.Context, ns *netNS, lag, member string) error {
	h, err := u.host(ns)
	if err != nil {
		return err
	}
	return wrapUS(h.AddMember(lag, member))
}

// MembersUpFirst is true: the engine takes ports that are up, and once a
// port's packet socket is open every link change in its namespace costs
// more (the kernel tells each packet socket of a namespace of each change),
// so a batch is brought up before its sockets are opened.
func (*userspaceBackend) MembersUpFirst() bool { return true }

// AddMembers enslaves a batch in one go: one link listing, one entry into
// the namespace for every member's socket.
func (u *userspaceBackend) AddMembers(_ context.Context, ns *netNS, ms []membership) (int, error) {
	h, err := u.host(ns)
	if err != nil {
		return 0, err
	}
	batch := make([]userspace.Membership, len(ms))
	for i, m := range ms {
		batch[i] = userspace.Membership{LAG: m.lag, Port: m.port}
	}
	n, err := h.AddMembers(batch)
	return n, wrapUS(err)
}

func (u *userspaceBackend) RemoveMember(_ context.Context, ns *netNS, lag, member string) error {
	h := u.existing(ns)
	if h == nil {
		return nil
	}
	err := h.RemoveMember(lag, member)
	if errors.Is(err, userspace.ErrNotFound) {
		return nil // no such LAG: the port is no member of it
	}
	return wrapUS(err)
}

func (u *userspaceBackend) CreateVLAN(_ context.Context, ns *netNS, v vlanConfig) error {
	h, err := u.host(ns)
	if err != nil {
		return err
	}
	return wrapUS(h.CreateVLAN(userspace.VLANConfig{Name: v.Name, Parent: v.Parent, VID: v.VID}))
}

func (u *userspaceBackend) MoveVLAN(_ context.Context, ns *netNS, v vlanConfig) error {
	h, err := u.host(ns)
	if err != nil {
		return err
	}
	return wrapUS(h.MoveVLAN(userspace.VLANConfig{Name: v.Name, Parent: v.Parent, VID: v.VID}))
}

func (u *userspaceBackend) DeleteVLAN(_ context.Context, ns *netNS, name string) error {
	h := u.existing(ns)
	if h == nil {
		return nil
	}
	return wrapUS(h.DeleteVLAN(name))
}

func (u *userspaceBackend) LAGs(_ context.Context, ns *netNS) ([]LAGStatus, error) {
	h := u.existing(ns)
	if h == nil {
		return nil, nil
	}
	var out []LAGStatus
	for _, l := range h.LAGs() {
		s := LAGStatus{Name: l.Name, Up: l.Up, MinLinks: l.MinLinks}
		for _, m := range l.Members {
			s.Members = append(s.Members, MemberStatus{Name: m.Name, Up: m.Up, Actor: m.Actor, Partner: m.Partner})
		}
		out = append(out, s)
	}
	return out, nil
}

func (u *userspaceBackend) LAGStatus(ctx context.Context, ns *netNS, name string) (LAGStatus, error) {
	return lagStatusFrom(u.LAGs(ctx, ns))(name)
}

func (u *userspaceBackend) VLANs(_ context.Context, ns *netNS) ([]vlanConfig, error) {
	h := u.existing(ns)
	if h == nil {
		return nil, nil
	}
	var out []vlanConfig
	for _, v := range h.VLANs() {
		out = append(out, vlanConfig{Name: v.Name, Parent: v.Parent, VID: v.VID})
	}
	return out, nil
}

// Forget detaches ns's Host; the returned stop closes it: its TAPs go,
// its members are released.
func (u *userspaceBackend) Forget(ns *netNS) func() {
	u.mu.Lock()
	h := u.hosts[ns.name]
	delete(u.hosts, ns.name)
	u.mu.Unlock()
	return func() {
		if h == nil {
			return
		}
		if err := h.Close(); err != nil {
			u.log.Warn("stopping userspace engine", "ns", ns.name, "err", err)
		}
	}
}

func (u *userspaceBackend) Close() error {
	u.mu.Lock()
	hosts := u.hosts
	u.hosts = map[string]*userspace.Host{}
	u.mu.Unlock()
	var errs []error
	for _, h := range hosts {
		errs = append(errs, h.Close())
	}
	u.wg.Wait()
	return errors.Join(errs...)
}

// wrapUS maps the engine's errors onto this package's: a caller branches on
// ErrNotFound whichever backend runs.
func wrapUS(err error) error {
	if errors.Is(err, userspace.ErrNotFound) {
		return fmt.Errorf("%w (%w)", ErrNotFound, err)
	}
	return err
}
