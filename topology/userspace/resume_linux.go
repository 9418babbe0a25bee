package userspace

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/dxsim/dxsim/lacp/engine"
)

// checkpointer hands the Host's checkpoint to Config.OnCheckpoint from one
// goroutine: a change marks it due, and a burst of changes is one call
// with the latest state.
type checkpointer struct {
	h    *Host
	kick chan struct{}
	quit chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

func startCheckpointer(h *Host) *checkpointer {
	c := &checkpointer{h: h, kick: make(chan struct{}, 1), quit: make(chan struct{})}
	c.wg.Add(1)
	go c.run()
	return c
}

func (c *checkpointer) run() {
	defer c.wg.Done()
	for {
		select {
		case <-c.quit:
			return
		case <-c.kick:
			c.h.cfg.OnCheckpoint(c.h.Checkpoint())
		}
	}
}

// stop ends the goroutine; a nil checkpointer has none.
func (c *checkpointer) stop() {
	if c == nil {
		return
	}
	c.once.Do(func() { close(c.quit) })
	c.wg.Wait()
}

// changed marks a checkpoint due.
func (h *Host) changed() {
	if h.cp == nil {
		return
	}
	select {
	case h.cp.kick <- struct{}{}:
	default:
	}
}

// Checkpoint is the Host's state as Resume takes it: each LAG's
// configuration, min links, members and their port numbers, and the LACP
// state its engine last reported worth keeping; each VLAN.
func (h *Host) Checkpoint() HostCheckpoint {
	cp := HostCheckpoint{Time: h.cfg.Now()}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, l := range h.lags {
		cp.LAGs = append(cp.LAGs, l.checkpoint())
	}
	for _, v := range h.vlans {
		cp.VLANs = append(cp.VLANs, v.cfg)
	}
	sort.Slice(cp.LAGs, func(i, j int) bool { return cp.LAGs[i].Config.Name < cp.LAGs[j].Config.Name })
	sort.Slice(cp.VLANs, func(i, j int) bool { return cp.VLANs[i].Name < cp.VLANs[j].Name })
	return cp
}

func (l *lag) checkpoint() LAGCheckpoint {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := LAGCheckpoint{Config: l.cfg, MinLinks: l.minLinks, NextPort: l.nextPort, Engine: l.cp.Load()}
	for _, m := range l.members {
		c.Members = append(c.Members, MemberCheckpoint{Name: m.name, Number: m.number, Sysctls: m.saved.values()})
	}
	slices.SortFunc(c.Members, func(a, b MemberCheckpoint) int { return int(a.Number) - int(b.Number) })
	return c
}

// Resume adopts what an earlier process left in the namespace as cp
// describes it: each LAG's persistent TAP, re-attached with its addresses
// and routes, its members (their packet sockets opened again, under the
// port numbers they had) and its LACP engine resumed from cp's state, so
// that members collecting and distributing still are and the partner
// hears from them at once; then each VLAN's TAP on its parent. A LAG whose
// engine state is missing or unusable starts its engine afresh and
// negotiates again. What cp names but the namespace no longer has (a TAP
// or a member gone) is skipped and reported, for the caller to make again.
// Call it on a new Host, before anything else.
func (h *Host) Resume(cp HostCheckpoint) (ResumeReport, error) {
	var r ResumeReport
	for _, lc := range cp.LAGs {
		if err := h.resumeLAG(lc, &r); err != nil {
			if !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrExists) {
				return r, err
			}
			h.log.Info("userspace: not resuming a LAG", "lag", lc.Config.Name, "err", err)
			r.Skipped = append(r.Skipped, lc.Config.Name)
		}
	}
	for _, vc := range cp.VLANs {
		if err := h.resumeVLAN(vc); err != nil {
			h.log.Info("userspace: not resuming a VLAN", "vlan", vc.Name, "err", err)
			r.Skipped = append(r.Skipped, vc.Name)
			continue
		}
		r.VLANs++
	}
	h.changed()
	return r, nil
}

func (h *Host) resumeLAG(lc LAGCheckpoint, r *ResumeReport) error {
	cfg := lc.Config
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return errors.New("userspace: host closed")
	}
	if _, ok := h.lags[cfg.Name]; ok {
		return fmt.Errorf("%w: LAG %s is running", ErrExists, cfg.Name)
	}
	t, err := h.adoptTAP(cfg.Name)
	if err != nil {
		return err
	}
	born := h.cfg.Now()
	ctl, resumed, err := h.resumeControl(lc, born)
	if err != nil {
		t.remove()
		return err
	}
	l := newLAG(h, cfg, t, ctl, born)
	l.mu.Lock()
	l.minLinks, l.nextPort = lc.MinLinks, lc.NextPort
	// Attaching gave the TAP its carrier back; redistribution takes it
	// away if the members do not carry traffic, once they have rejoined.
	l.carrier, l.resuming = true, true
	l.mu.Unlock()
	h.lags[cfg.Name] = l
	r.LAGs++
	if resumed {
		r.Resumed++
	} else {
		r.Renegotiated++
	}
	h.mu.Unlock()
	n, gone := h.resumeMembers(l, lc.Members)
	h.mu.Lock()
	r.Members += n
	r.Skipped = append(r.Skipped, gone...)
	return nil
}

// resumeControl is the LAG's control: its engine resumed from the
// checkpoint when it can be, else a new one; reports which.
func (h *Host) resumeControl(lc LAGCheckpoint, born time.Time) (control, bool, error) {
	cfg := lc.Config
	if cfg.Static {
		return newStaticControl(), false, nil
	}
	if lc.Engine != nil {
		ecfg, err := engineConfig(cfg, h.log)
		if err != nil {
			return nil, false, err
		}
		e, err := engine.Resume(ecfg, h.cfg.Now(), *lc.Engine)
		if err == nil {
			c := wrapEngine(cfg, e, h.log)
			for _, m := range lc.Members {
				if _, perr := e.Port(m.Number); perr == nil {
					c.byName[m.Name], c.byNum[m.Number] = m.Number, m.Name
				}
			}
			return c, true, nil
		}
		h.log.Warn("userspace: LACP checkpoint unusable, negotiating afresh", "lag", cfg.Name, "err", err)
	}
	c, err := newEngineControl(cfg, born, h.log)
	return c, false, err
}

// resumeMembers makes the checkpoint's members members again, each under
// its port number, and takes out of the engine the ports that have none.
// It returns how many joined and the names of those gone.
func (h *Host) resumeMembers(l *lag, ms []MemberCheckpoint) (int, []string) {
	var todo []*joining
	var gone []string
	h.mu.Lock()
	for i, m := range ms {
		if h.memberOf[m.Name] != nil {
			gone = append(gone, m.Name)
			continue
		}
		h.memberOf[m.Name] = l
		todo = append(todo, &joining{index: i, l: l, port: m.Name, number: m.Number})
	}
	h.mu.Unlock()
	joined := map[string]bool{}
	if len(todo) > 0 {
		byName, err := h.findPorts(todo)
		if err == nil {
			var ready []*joining
			for _, j := range todo {
				if byName[j.port] != nil {
					ready = append(ready, j)
				} else {
					gone = append(gone, j.port)
				}
			}
			n, _ := h.prepare(ready, byName)
			for _, j := range ready[:n] {
				// Quiet already, from the first join: what it had
				// before then is what its leaving puts back.
				j.saved.adopt(ms[j.index].Sysctls)
				if l.join(j) == nil {
					joined[j.port] = true
				}
			}
		}
		var left []*joining
		for _, j := range todo {
			if !joined[j.port] {
				left = append(left, j)
			}
		}
		h.unreserve(left)
	}
	// The engine's ports without a member now: gone while no process ran.
	_ = l.do(func(now time.Time) (actions, error) {
		var a actions
		if c, ok := l.ctl.(*engineControl); ok {
			for name := range c.byName {
				if !joined[name] {
					a.merge(c.removePort(name, now))
				}
			}
		}
		a.merge(l.ctl.advance(now))
		a.changed = true
		return a, nil
	})
	// The members' states applied: the carrier is theirs again.
	_ = l.do(func(now time.Time) (actions, error) {
		l.mu.Lock()
		l.resuming = false
		events := l.redistributeLocked(now)
		l.mu.Unlock()
		for _, e := range events {
			l.h.emit(e)
		}
		return actions{}, nil
	})
	return len(joined), gone
}

func (h *Host) resumeVLAN(cfg VLANConfig) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.vlans[cfg.Name]; ok {
		return fmt.Errorf("%w: VLAN %s is running", ErrExists, cfg.Name)
	}
	t, err := h.adoptTAP(cfg.Name)
	if err != nil {
		return err
	}
	send, err := h.attachVLANLocked(cfg, nil)
	if err != nil {
		t.remove()
		return err
	}
	v := startVLAN(cfg, t, send)
	h.vlans[cfg.Name] = v
	h.registerVLANLocked(v)
	return nil
}

// Detach stops the Host as Close does but hands its TAPs over instead of
// removing them: they stay, persistent, with their addresses and routes;
// members stay quiet. Config.OnCheckpoint receives the final checkpoint,
// taken once every LACP engine has stopped, before Detach returns. Without
// Config.OnCheckpoint there is nothing to hand over to, and Detach is
// Close.
func (h *Host) Detach() error {
	if h.cp == nil {
		return h.Close()
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	vlans, trunks, lags := h.vlans, h.trunks, h.lags
	h.mu.Unlock()
	h.links.Stop()
	h.cp.stop()
	var socks, files []func() error
	for _, l := range lags {
		for _, m := range l.stop() {
			socks = append(socks, m.conn.Close)
		}
		// The control goroutine has returned: the engine is ours to read.
		if cp := l.ctl.checkpoint(); cp != nil {
			l.cp.Store(cp)
		}
		files = append(files, l.tap.close)
	}
	h.cfg.OnCheckpoint(h.Checkpoint())
	h.mu.Lock()
	h.vlans, h.trunks, h.lags, h.memberOf = nil, nil, nil, nil
	h.mu.Unlock()
	for _, v := range vlans {
		files = append(files, v.detach)
	}
	for _, t := range trunks {
		socks = append(socks, t.close)
	}
	err := errors.Join(closeAll(socks), closeAll(files))
	for _, l := range lags {
		l.wg.Wait()
	}
	h.letGo()
	return err
}
