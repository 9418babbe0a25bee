package userspace

import (
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// hostLinks tells a Host's members and trunks of their links' changes: a
// member going down or up reaches its LAG's LACP control, and a port deleted
// and made again under its name is rebound to its new index.
type hostLinks struct{ h *Host }

func (hl hostLinks) Update(u netlink.LinkUpdate) {
	name, idx := u.Attrs().Name, u.Attrs().Index
	deleted := u.Header.Type == unix.RTM_DELLINK
	up := !deleted && linkUp(u.Link)
	if deleted {
		idx = 0 // nothing to bind to until the name returns
	}
	hl.h.setLink(name, idx, up)
}

// Resync sets every member and trunk from the namespace's links, listed
// after changes may have been missed. One not listed was deleted meanwhile:
// it is down, with nothing to bind to until its name returns.
func (hl hostLinks) Resync(links []netlink.Link) {
	byName := make(map[string]netlink.Link, len(links))
	for _, l := range links {
		byName[l.Attrs().Name] = l
	}
	h := hl.h
	h.mu.Lock()
	names := make([]string, 0, len(h.memberOf)+len(h.trunks))
	for name := range h.memberOf {
		names = append(names, name)
	}
	for name := range h.trunks {
		if h.memberOf[name] == nil {
			names = append(names, name)
		}
	}
	h.mu.Unlock()
	for _, name := range names {
		if l, ok := byName[name]; ok {
			h.setLink(name, l.Attrs().Index, linkUp(l))
		} else {
			h.setLink(name, 0, false)
		}
	}
}

// setLink hands a link's index and state to the member and the trunk of
// that name, if the Host has them.
func (h *Host) setLink(name string, ifindex int, up bool) {
	h.mu.Lock()
	l, t := h.memberOf[name], h.trunks[name]
	h.mu.Unlock()
	if l != nil {
		l.setLink(name, ifindex, up)
	}
	if t != nil {
		t.setLink(h, ifindex, up)
	}
}
