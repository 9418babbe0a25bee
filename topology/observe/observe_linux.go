package observe

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/dxsim/dxsim/lacp"
	"github.com/dxsim/dxsim/sim"
)

// dupNS duplicates a namespace handle the data plane lent, so that the
// observation holds the namespace as long as it needs it.
func dupNS(h netns.NsHandle) (netns.NsHandle, error) {
	if !h.IsOpen() {
		return netns.None(), errors.New("no namespace handle")
	}
	fd, err := unix.FcntlInt(uintptr(h), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return netns.None(), fmt.Errorf("duplicating a namespace handle: %w", err)
	}
	return netns.NsHandle(fd), nil
}

// bondActors reads a LAG member's actor state from the kernel bond on each
// side every millisecond. A bond reports its members' 802.3ad state on
// request, not in notifications, and sends LACPDUs only every third 100 ms
// tick, so asking is the only way to time its state changes to the tick.
// A member of no kernel bond (the userspace backend) yields no samples.
type bondActors struct {
	stop, done chan struct{}
	mu         sync.Mutex
	got        []actorSample
}

func startActors(aws, cust netns.NsHandle, port string, now func() time.Time) actorSource {
	b := &bondActors{stop: make(chan struct{}), done: make(chan struct{})}
	var handles [2]*netlink.Handle
	for side, ns := range map[sim.Side]netns.NsHandle{sim.SideAWS: aws, sim.SideCustomer: cust} {
		h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
		if err != nil {
			continue
		}
		handles[side] = h
	}
	go b.poll(handles, port, now)
	return b
}

func (b *bondActors) poll(handles [2]*netlink.Handle, port string, now func() time.Time) {
	defer close(b.done)
	defer func() {
		for _, h := range handles {
			if h != nil {
				h.Close()
			}
		}
	}()
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	var last [2]*lacp.State
	for {
		for side, h := range handles {
			if h == nil {
				continue
			}
			l, err := h.LinkByName(port)
			if err != nil {
				continue
			}
			bs, ok := l.Attrs().Slave.(*netlink.BondSlave)
			if !ok {
				continue
			}
			st := lacp.State(bs.AdActorOperPortState)
			if last[side] != nil && *last[side] == st {
				continue
			}
			last[side] = &st
			b.mu.Lock()
			b.got = append(b.got, actorSample{Time: now(), Side: sim.Side(side), State: st})
			b.mu.Unlock()
		}
		select {
		case <-b.stop:
			return
		case <-t.C:
		}
	}
}

func (b *bondActors) samples() []actorSample {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]actorSample(nil), b.got...)
}

func (b *bondActors) close() {
	close(b.stop)
	<-b.done
}
