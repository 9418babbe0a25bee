package userspace

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/dxsim/dxsim/topology/backend"
)

// Backend is the data plane's backend for kernels without bonding or 802.1Q:
// in each namespace a Host makes a LAG's logical interface a TAP device
// driven by dxsim's LACP engine over AF_PACKET on the member veths, and does
// VLAN tagging itself. Those TAPs live as long as this process: the engine
// that drives them is in it.
type Backend struct {
	log     *slog.Logger
	now     func() time.Time
	onEvent func(ns *backend.NS, e Event)
	timers  Timers

	mu    sync.Mutex
	hosts map[string]*Host // by namespace name
	wg    sync.WaitGroup   // event forwarders, one per Host

	// store, when set, keeps each Host's checkpoint: TAPs outlive the
	// process and the next one resumes them (Persist).
	store   backend.Checkpoints
	checked map[string]bool // namespaces whose checkpoint was looked for
	closed  bool            // Close handed the Hosts over: their checkpoints stay
}

var _ backend.UpFirst = (*Backend)(nil)

// NewBackend returns a Backend. onEvent receives each Host's events as they
// happen, so LACP changes need not wait for the data plane's poll; nil
// drops them.
func NewBackend(log *slog.Logger, now func() time.Time, onEvent func(ns *backend.NS, e Event)) *Backend {
	return &Backend{log: log, now: now, onEvent: onEvent, hosts: map[string]*Host{}, checked: map[string]bool{}}
}

// SetTimers sets the LACP timing of the LAGs created from now on
// (TimersLinux by default). Call it before the first CreateLAG.
func (u *Backend) SetTimers(t Timers) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.timers = t
}

// Persist makes the Backend hand its LAGs and VLANs over from one process
// to the next through store: their TAPs are persistent, each Host's
// checkpoint (members, LACP state, VLANs) is saved as it changes and when
// the Backend closes, and a namespace with a checkpoint is resumed the
// first time the Backend acts in it or lists it, before anything else.
// Call it before any other method.
func (u *Backend) Persist(store backend.Checkpoints) { u.store = store }

// Name is "userspace".
func (*Backend) Name() string { return "userspace" }

// host is ns's Host, started on first use.
func (u *Backend) host(ns *backend.NS) (*Host, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if h, ok := u.hosts[ns.Name]; ok {
		return h, nil
	}
	cfg := Config{NetNS: ns.Handle, Logger: u.log.With("ns", ns.Name), Now: u.now}
	if u.store != nil {
		cfg.OnCheckpoint = func(cp HostCheckpoint) { u.save(ns.Name, cp) }
	}
	h, err := New(cfg)
	if err != nil {
		return nil, fmt.Errorf("userspace engine in %s: %w", ns.Name, err)
	}
	u.hosts[ns.Name] = h
	u.checked[ns.Name] = true
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
	if u.store != nil {
		u.resume(ns.Name, h)
	}
	return h, nil
}

// existing is ns's Host if one was started, or one resumed from a
// checkpoint the namespace has; nil otherwise (nothing of the engine's can
// exist there then).
func (u *Backend) existing(ns *backend.NS) *Host {
	u.mu.Lock()
	h, checked := u.hosts[ns.Name], u.checked[ns.Name]
	u.mu.Unlock()
	if h != nil || checked || u.store == nil {
		return h
	}
	data, err := u.store.LoadCheckpoint(ns.Name)
	u.mu.Lock()
	u.checked[ns.Name] = true
	u.mu.Unlock()
	if err != nil {
		u.log.Warn("userspace engine: reading its checkpoint", "ns", ns.Name, "err", err)
		return nil
	}
	if data == nil {
		return nil
	}
	h, err = u.host(ns)
	if err != nil {
		u.log.Warn("userspace engine: resuming", "ns", ns.Name, "err", err)
		return nil
	}
	return h
}

// resume adopts what the namespace's checkpoint names. u.mu is held.
func (u *Backend) resume(ns string, h *Host) {
	data, err := u.store.LoadCheckpoint(ns)
	if err != nil || data == nil {
		if err != nil {
			u.log.Warn("userspace engine: reading its checkpoint", "ns", ns, "err", err)
		}
		return
	}
	var cp HostCheckpoint
	if err := json.Unmarshal(data, &cp); err != nil {
		u.log.Warn("userspace engine: checkpoint unreadable, starting afresh", "ns", ns, "err", err)
		return
	}
	r, err := h.Resume(cp)
	if err != nil {
		u.log.Warn("userspace engine: resuming", "ns", ns, "err", err)
	}
	u.log.Info("userspace engine resumed", "ns", ns, "checkpoint", cp.Time.Format(time.RFC3339Nano),
		"lags", r.LAGs, "lacp_resumed", r.Resumed, "lacp_renegotiating", r.Renegotiated, "members", r.Members,
		"vlans", r.VLANs, "skipped", r.Skipped)
}

// save keeps a Host's checkpoint.
func (u *Backend) save(ns string, cp HostCheckpoint) {
	data, err := json.Marshal(cp)
	if err == nil {
		err = u.store.SaveCheckpoint(ns, data)
	}
	if err != nil {
		u.log.Warn("userspace engine: saving its checkpoint", "ns", ns, "err", err)
	}
}

func (u *Backend) CreateLAG(_ context.Context, ns *backend.NS, c backend.LAGConfig) error {
	h, err := u.host(ns)
	if err != nil {
		return err
	}
	u.mu.Lock()
	timers := u.timers
	u.mu.Unlock()
	return wrapUS(h.CreateLAG(timers.lag(LAGConfig{Name: c.Name, MinLinks: c.MinLinks, SystemMAC: c.SystemMAC})))
}

// DeleteLAG deletes the VLANs on the LAG first, as the kernel does with a
// bond's VLANs, then the LAG.
func (u *Backend) DeleteLAG(_ context.Context, ns *backend.NS, name string) error {
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

func (u *Backend) SetMinLinks(_ context.Context, ns *backend.NS, name string, n int) error {
	h, err := u.host(ns)
	if err != nil {
		return err
	}
	return wrapUS(h.SetMinLinks(name, n))
}

// MembersUpFirst says so: the engine takes ports that are up, and once a
// port's packet socket is open every link change in its namespace costs
// more (the kernel tells each packet socket of a namespace of each change),
// so a batch is brought up before its sockets are opened.
func (*Backend) MembersUpFirst() {}

// AddMembers enslaves a batch in one go: one link listing, one entry into
// the namespace for every member's socket.
func (u *Backend) AddMembers(_ context.Context, ns *backend.NS, ms []backend.Membership) (int, error) {
	h, err := u.host(ns)
	if err != nil {
		return 0, err
	}
	batch := make([]Membership, len(ms))
	for i, m := range ms {
		batch[i] = Membership{LAG: m.LAG, Port: m.Port}
	}
	n, err := h.AddMembers(batch)
	return n, wrapUS(err)
}

func (u *Backend) RemoveMember(_ context.Context, ns *backend.NS, lag, member string) error {
	h := u.existing(ns)
	if h == nil {
		return nil
	}
	err := h.RemoveMember(lag, member)
	if errors.Is(err, ErrNotFound) {
		return nil // no such LAG: the port is no member of it
	}
	return wrapUS(err)
}

// wrongKey is the key a wrong-key fault gives a member when it names none:
// the engine's LAGs use engine.DefaultKey.
const wrongKey = 999

var _ backend.LACPFaulter = (*Backend)(nil)

// CheckLACPFault: the engine has every LACP fault.
func (*Backend) CheckLACPFault(backend.LACPFault) error { return nil }

// SetLACPFault sets the member's engine port's fault knobs.
func (u *Backend) SetLACPFault(_ context.Context, ns *backend.NS, lag, member string, f backend.LACPFault) error {
	h := u.existing(ns)
	if f == (backend.LACPFault{}) && (h == nil || lag == "") {
		return nil // nothing to mend: a member's fault goes with its membership
	}
	if h == nil {
		return &backend.NotFoundError{Kind: "LAG", ID: lag}
	}
	uf := Fault{Silent: f.Silent, Passive: f.Passive, Slow: f.Slow, FlapUp: f.FlapUp, FlapDown: f.FlapDown}
	if f.WrongKey {
		uf.Key = cmp.Or(f.Key, wrongKey)
	}
	return wrapUS(h.SetFault(lag, member, uf))
}

var _ backend.Impairer = (*Backend)(nil)

// SetImpairment sets the port's impairment on ns's Host, starting one if
// need be so that a port's LAG or VLANs made later have it.
func (u *Backend) SetImpairment(_ context.Context, ns *backend.NS, port string, loss float64, delay, jitter time.Duration) error {
	imp := Impairment{Loss: loss, Delay: delay, Jitter: jitter}
	h := u.existing(ns)
	if h == nil {
		if imp == (Impairment{}) {
			return nil // nothing there to clear
		}
		var err error
		if h, err = u.host(ns); err != nil {
			return err
		}
	}
	return wrapUS(h.SetImpairment(port, imp))
}

func (u *Backend) CreateVLAN(_ context.Context, ns *backend.NS, v backend.VLANConfig) error {
	h, err := u.host(ns)
	if err != nil {
		return err
	}
	return wrapUS(h.CreateVLAN(VLANConfig{Name: v.Name, Parent: v.Parent, VID: v.VID}))
}

func (u *Backend) MoveVLAN(_ context.Context, ns *backend.NS, v backend.VLANConfig) error {
	h, err := u.host(ns)
	if err != nil {
		return err
	}
	return wrapUS(h.MoveVLAN(VLANConfig{Name: v.Name, Parent: v.Parent, VID: v.VID}))
}

func (u *Backend) DeleteVLAN(_ context.Context, ns *backend.NS, name string) error {
	h := u.existing(ns)
	if h == nil {
		return nil
	}
	return wrapUS(h.DeleteVLAN(name))
}

func (u *Backend) LAGs(_ context.Context, ns *backend.NS) ([]backend.LAGStatus, error) {
	h := u.existing(ns)
	if h == nil {
		return nil, nil
	}
	var out []backend.LAGStatus
	for _, l := range h.LAGs() {
		s := backend.LAGStatus{Name: l.Name, Up: l.Up, MinLinks: l.MinLinks}
		for _, m := range l.Members {
			s.Members = append(s.Members, backend.MemberStatus{Name: m.Name, Up: m.Up, Actor: m.Actor, Partner: m.Partner})
		}
		out = append(out, s)
	}
	return out, nil
}

// LAGStatus is one LAG's, picked from LAGs.
func (u *Backend) LAGStatus(ctx context.Context, ns *backend.NS, name string) (backend.LAGStatus, error) {
	all, err := u.LAGs(ctx, ns)
	return backend.Pick(all, err, name)
}

func (u *Backend) VLANs(_ context.Context, ns *backend.NS) ([]backend.VLANConfig, error) {
	h := u.existing(ns)
	if h == nil {
		return nil, nil
	}
	var out []backend.VLANConfig
	for _, v := range h.VLANs() {
		out = append(out, backend.VLANConfig{Name: v.Name, Parent: v.Parent, VID: v.VID})
	}
	return out, nil
}

// Forget detaches ns's Host; the returned stop closes it: its TAPs go,
// its members are released.
func (u *Backend) Forget(ns *backend.NS) func() {
	u.mu.Lock()
	h := u.hosts[ns.Name]
	delete(u.hosts, ns.Name)
	delete(u.checked, ns.Name)
	closed := u.closed
	u.mu.Unlock()
	return func() {
		if h != nil {
			if err := h.Close(); err != nil {
				u.log.Warn("stopping userspace engine", "ns", ns.Name, "err", err)
			}
		}
		if u.store != nil && !closed {
			if err := u.store.SaveCheckpoint(ns.Name, nil); err != nil {
				u.log.Warn("userspace engine: forgetting its checkpoint", "ns", ns.Name, "err", err)
			}
		}
	}
}

// Close stops every Host. With Persist, each hands over (Detach): its TAPs
// stay, and its final checkpoint is saved.
func (u *Backend) Close() error {
	u.mu.Lock()
	hosts := u.hosts
	u.hosts = map[string]*Host{}
	u.closed = true
	u.mu.Unlock()
	errs := make([]error, 0, len(hosts))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, h := range hosts {
		wg.Go(func() {
			err := h.Detach() // Close, without Persist
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		})
	}
	wg.Wait()
	u.wg.Wait()
	return errors.Join(errs...)
}

// wrapUS maps the engine's errors onto the backends': a caller branches on
// backend.ErrNotFound whichever backend runs.
func wrapUS(err error) error {
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w (%w)", backend.ErrNotFound, err)
	}
	return err
}
