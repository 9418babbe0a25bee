package userspace

import (
	"errors"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/dxsim/dxsim/lacp"
	"github.com/dxsim/dxsim/topology/afpacket"
	"github.com/dxsim/dxsim/topology/internal/nsthread"
)

// member is one member veth.
type member struct {
	name    string
	ifindex int
	number  uint16
	egress                // its socket, through its port's impairment
	done    chan struct{} // closed when the member leaves
	saved   savedSysctls  // what quiet changed, for when it leaves

	// up is the link as the LAG sees it, link as the kernel last said:
	// they differ until a LinkMonitor looks. Guarded by lag.mu.
	up, link, collectingDist bool
	actor, partner           lacp.State
	collecting               atomic.Bool
}

// readMember takes what arrives on a member: LACP frames to control, data
// frames, while collecting, to the LAG's TAP or its VLAN's TAP.
func (l *lag) readMember(m *member) {
	defer l.wg.Done()
	for {
		lent, n, info, err := m.conn.ReadFrameLent(frames)
		if err != nil {
			select {
			case <-m.done:
				return
			default:
			}
			if errors.Is(err, syscall.ENETDOWN) {
				continue // the link bounced: the socket carries on
			}
			l.h.log.Debug("userspace: member read", "member", m.name, "err", err)
			if !pause(m.done) {
				return
			}
			continue
		}
		l.takeFrame(m, (*lent)[:n], info)
		frames.Put(lent)
	}
}

// takeFrame passes a frame a member received on: an LACPDU to control, data,
// while the member collects, to the LAG's TAP or its VLAN's.
func (l *lag) takeFrame(m *member, frame []byte, info afpacket.Info) {
	if !info.VLANValid && etherType(frame) == etherTypeSlow {
		pdu := append([]byte(nil), frame...)
		l.post(func(now time.Time) actions { return l.ctl.receive(m.name, pdu, now) })
		return
	}
	if m.collecting.Load() {
		l.collect(frame, info)
	}
}

func (l *lag) collect(frame []byte, info afpacket.Info) {
	vid, inner, tagged := vlanOf(frame, &info)
	if !tagged {
		_ = l.tap.write(frame, &info.Vnet)
		return
	}
	l.mu.Lock()
	v := l.vlans[vid]
	l.mu.Unlock()
	if v != nil {
		_ = v.tap.write(inner, &info.Vnet)
	}
}

// vlanOf returns a received frame's VLAN ID and the frame without its tag:
// the tag the kernel moved into metadata, or one still in the frame, which
// is taken out (and the frame's virtio header offsets moved with it).
func vlanOf(frame []byte, info *afpacket.Info) (vid uint16, inner []byte, tagged bool) {
	if info.VLANValid {
		return info.VLAN & 0x0fff, frame, true
	}
	vid, inner, tagged = untag(frame)
	if tagged {
		info.Vnet.Shift(-4)
	}
	return vid, inner, tagged
}

// join adds a prepared member to the LAG's control. It fails only if the
// LAG was deleted first; the member is then the caller's to release.
func (l *lag) join(j *joining) error {
	attrs := j.link.Attrs()
	return l.do(func(now time.Time) (actions, error) {
		l.mu.Lock()
		number := j.number
		if number == 0 {
			l.nextPort++
			number = l.nextPort
		}
		m := &member{name: j.port, ifindex: attrs.Index, number: number, saved: j.saved,
			done: make(chan struct{}), up: linkUp(j.link), link: linkUp(j.link)}
		m.conn = j.conn
		// With l.mu held, as SetImpairment points members at theirs.
		m.imp.Store(l.h.impairerOf(j.port))
		l.members[j.port] = m
		l.mu.Unlock()
		l.wg.Add(1)
		go l.readMember(m)
		l.h.changed()
		return l.ctl.addPort(portID{name: j.port, mac: attrs.HardwareAddr, number: m.number}, m.up, now), nil
	})
}

// removeMember releases a member.
func (l *lag) removeMember(name string) error {
	var m *member
	err := l.do(func(now time.Time) (actions, error) {
		l.mu.Lock()
		m = l.members[name]
		if m == nil {
			l.mu.Unlock()
			return actions{}, notFound("member", name)
		}
		delete(l.members, name)
		events := l.redistributeLocked(now)
		l.mu.Unlock()
		for _, e := range events {
			l.h.emit(e)
		}
		close(m.done)
		m.conn.Close()
		l.h.changed()
		return l.ctl.removePort(name, now), nil
	})
	if err != nil {
		return err
	}
	l.h.restore([]quieted{{name: m.name, saved: m.saved}})
	return nil
}

// setLink tells control a member's link changed. ifindex is the link's
// index now: a member deleted and made again under its name (a reconcile,
// a hand edit) has a new one, and its socket is moved to it.
func (l *lag) setLink(name string, ifindex int, up bool) {
	l.post(func(now time.Time) actions {
		l.mu.Lock()
		m := l.members[name]
		l.mu.Unlock()
		if m == nil {
			return actions{}
		}
		if ifindex != 0 && ifindex != m.ifindex {
			l.rebind(m, ifindex)
		}
		l.mu.Lock()
		m.link = up
		l.mu.Unlock()
		if l.cfg.LinkMonitor > 0 {
			l.monitorLink(name, now)
			return actions{}
		}
		return l.linkChanged(m, up, now)
	})
}

// monitorLink has the LAG look at a member's link at the link monitor's
// next tick, as a Linux bond's miimon does: a link that went down and came
// back between two looks was never down for the LAG.
func (l *lag) monitorLink(name string, now time.Time) {
	p := l.cfg.LinkMonitor
	next := l.born.Add(now.Sub(l.born).Truncate(p) + p)
	time.AfterFunc(next.Sub(now), func() {
		l.post(func(now time.Time) actions {
			l.mu.Lock()
			m := l.members[name]
			var link bool
			if m != nil {
				link = m.link
			}
			l.mu.Unlock()
			if m == nil {
				return actions{}
			}
			return l.linkChanged(m, link, now)
		})
	})
}

// linkChanged tells control a member's link is up or down, if that is news.
func (l *lag) linkChanged(m *member, up bool, now time.Time) actions {
	l.mu.Lock()
	changed := m.up != up
	m.up = up
	l.mu.Unlock()
	if !changed {
		return actions{}
	}
	l.h.emit(Event{Time: now, Kind: EventLink, LAG: l.cfg.Name, Member: m.name, Up: up})
	return l.ctl.setLink(m.name, up, now)
}

// rebind moves a member's socket to the interface that now has its name,
// and quiets that interface as it did the old one.
func (l *lag) rebind(m *member, ifindex int) {
	if err := m.conn.Bind(ifindex); err != nil {
		l.h.log.Warn("userspace: rebinding member", "lag", l.cfg.Name, "member", m.name, "err", err)
		return
	}
	l.h.log.Info("userspace: member made again, rebound", "lag", l.cfg.Name, "member", m.name,
		"old_ifindex", m.ifindex, "ifindex", ifindex)
	m.ifindex = ifindex
	// The interface is new: quiet it, and keep what it had instead.
	err := nsthread.Do(l.h.cfg.NetNS, func() (err error) {
		m.saved, err = quiet(m.name)
		return err
	})
	if err != nil {
		l.h.log.Warn("userspace: member sysctls", "member", m.name, "err", err)
	}
}

// readRetry is how long a reader waits before it retries after an unexpected
// error.
const readRetry = 10 * time.Millisecond

// pause waits a little before an unexpected read error is retried, so that a
// persistent one does not spin; false when done closed meanwhile.
func pause(done <-chan struct{}) bool {
	t := time.NewTimer(readRetry)
	defer t.Stop()
	select {
	case <-done:
		return false
	case <-t.C:
		return true
	}
}
