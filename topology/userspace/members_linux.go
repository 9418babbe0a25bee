package userspace

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/dxsim/dxsim/topology/afpacket"
	"github.com/dxsim/dxsim/topology/internal/nsthread"
)

// AddMember makes a veth a member of the LAG. The port may be down or up
// (the caller that wants the LACP engine to see the link come up brings it
// down before and up after, as the kernel's bonding insists); adding a port
// already in this LAG is not an error.
func (h *Host) AddMember(lagName, port string) error {
	_, err := h.AddMembers([]Membership{{LAG: lagName, Port: port}})
	return err
}

// AddMembers makes each port a member of its LAG, in order, as AddMember
// does for one, and stops at the first that fails: it returns how many of
// ms are members now, and that failure. For many members at once it is
// much cheaper than one AddMember each: it lists the namespace's links once
// and enters the namespace once for every member's sysctls and socket.
func (h *Host) AddMembers(ms []Membership) (int, error) {
	todo, n, err := h.reserve(ms)
	if len(todo) > 0 {
		if i, jerr := h.join(todo); jerr != nil {
			return todo[i].index, jerr
		}
	}
	return n, err
}

// joining is a member on its way in: its LAG, link, and later its socket
// and the sysctls it had.
type joining struct {
	index int // in the caller's batch
	l     *lag
	port  string
	link  netlink.Link
	conn  *afpacket.Conn
	saved savedSysctls
	// number is the member's LACP port number: 0 for the LAG's next, or
	// the one a resumed member had.
	number uint16
}

// reserve claims each port for its LAG, in order, up to the first that
// cannot be (an unknown LAG, a port in another LAG). It returns the ports to
// join, how many of ms are or will be members, and why it stopped.
func (h *Host) reserve(ms []Membership) ([]*joining, int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var todo []*joining
	for i, m := range ms {
		l := h.lags[m.LAG]
		if l == nil {
			return todo, i, notFound("LAG", m.LAG)
		}
		if cur := h.memberOf[m.Port]; cur != nil {
			if cur == l {
				continue
			}
			return todo, i, fmt.Errorf("%w: %s is a member of %s", ErrInUse, m.Port, cur.cfg.Name)
		}
		h.memberOf[m.Port] = l
		todo = append(todo, &joining{index: i, l: l, port: m.Port})
	}
	return todo, len(ms), nil
}

// unreserve gives back the ports of todo that did not join.
func (h *Host) unreserve(todo []*joining) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, j := range todo {
		if h.memberOf[j.port] == j.l {
			delete(h.memberOf, j.port)
		}
	}
}

// join brings reserved ports into their LAGs, in order, and stops at the
// first failure; the rest are given back. On failure it returns the index
// in todo of the first port that is not a member.
func (h *Host) join(todo []*joining) (int, error) {
	byName, err := h.findPorts(todo)
	if err != nil {
		h.unreserve(todo)
		return 0, err
	}
	ready, err := h.prepare(todo, byName)
	for i, j := range todo[:ready] {
		if jerr := j.l.join(j); jerr != nil {
			// The LAG was deleted meanwhile; it and those after are undone.
			h.release(todo[i:ready])
			h.unreserve(todo[i:])
			return i, jerr
		}
	}
	h.unreserve(todo[ready:])
	if err == nil {
		// DeleteLAG may have closed a LAG just after its member joined:
		// closing released the port and forgot it (the ports that joined
		// LAGs still there stay members).
		h.mu.Lock()
		defer h.mu.Unlock()
		for i, j := range todo {
			if h.lags[j.l.cfg.Name] != j.l {
				return i, notFound("LAG", j.l.cfg.Name)
			}
		}
	}
	return ready, err
}

// listAbove is how many ports make one listing of the namespace's links
// cheaper than a lookup each: a lab has thousands.
const listAbove = 8

// findPorts finds the ports' links: by name for a few, in one listing for
// more. A port not found is left out, for prepare to report.
func (h *Host) findPorts(todo []*joining) (map[string]netlink.Link, error) {
	byName := make(map[string]netlink.Link, len(todo))
	if len(todo) <= listAbove {
		for _, j := range todo {
			l, err := h.nl.LinkByName(j.port)
			var nf netlink.LinkNotFoundError
			if errors.As(err, &nf) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("userspace: port %s: %w", j.port, err)
			}
			byName[j.port] = l
		}
		return byName, nil
	}
	links, err := h.nl.LinkList()
	if err != nil {
		return nil, fmt.Errorf("userspace: listing links: %w", err)
	}
	for _, l := range links {
		byName[l.Attrs().Name] = l
	}
	return byName, nil
}

// prepare, inside the namespace, quiets each port's kernel stack and opens
// its packet socket, in order, up to the first failure. It returns how many
// are ready.
func (h *Host) prepare(todo []*joining, links map[string]netlink.Link) (int, error) {
	ready := 0
	err := nsthread.Do(h.cfg.NetNS, func() error {
		for _, j := range todo {
			j.link = links[j.port]
			if j.link == nil {
				return notFound("port", j.port)
			}
			saved, err := quiet(j.port)
			if err != nil {
				_ = saved.restore(j.port)
				return fmt.Errorf("userspace: member %s: %w", j.port, err)
			}
			conn, err := afpacket.Open(afpacket.Config{Ifindex: j.link.Attrs().Index, IgnoreOutgoing: true, VnetHdr: true})
			if err != nil {
				_ = saved.restore(j.port)
				return fmt.Errorf("userspace: member %s: %w", j.port, err)
			}
			j.conn, j.saved = conn, saved
			ready++
		}
		return nil
	})
	return ready, err
}

// release closes prepared members' sockets and puts their sysctls back.
func (h *Host) release(js []*joining) {
	for _, j := range js {
		j.conn.Close()
	}
	qs := make([]quieted, len(js))
	for i, j := range js {
		qs[i] = quieted{name: j.port, saved: j.saved}
	}
	h.restore(qs)
}

// memberSysctls are what a member's own kernel stack is told while the LAG
// has it: not to answer ARP and not to speak IPv6, since its traffic belongs
// to the LAG's TAP.
var memberSysctls = [...]struct{ path, quiet string }{
	{"/proc/sys/net/ipv4/conf/%s/arp_ignore", "8"},
	{"/proc/sys/net/ipv6/conf/%s/disable_ipv6", "1"},
}

// savedSysctls holds what quiet changed on a member: each sysctl's value
// before ("" where it was already quiet and left alone).
type savedSysctls [len(memberSysctls)]string

// quiet sets a member's sysctls to their quiet values where they are not
// already (a port made quiet costs no write; a write of disable_ipv6 takes
// the kernel's RTNL lock) and returns what it changed. It runs in the
// member's namespace. A sysctl the kernel lacks (IPv6 disabled at boot) is
// skipped.
func quiet(name string) (savedSysctls, error) {
	var saved savedSysctls
	for i, s := range memberSysctls {
		path := fmt.Sprintf(s.path, name)
		v, err := readSysctl(path)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return saved, err
		}
		if v == s.quiet {
			continue
		}
		if err := os.WriteFile(path, []byte(s.quiet), 0); err != nil {
			return saved, err
		}
		saved[i] = v
	}
	return saved, nil
}

// readSysctl reads a short sysctl with three system calls (os.ReadFile
// takes twice as many): quiet reads two for every member of a lab.
func readSysctl(path string) (string, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	var b [32]byte
	n, err := unix.Read(fd, b[:])
	if err != nil {
		return "", &os.PathError{Op: "read", Path: path, Err: err}
	}
	return strings.TrimSpace(string(b[:n])), nil
}

// values is s for a checkpoint: nil when quiet changed nothing.
func (s savedSysctls) values() []string {
	if s == (savedSysctls{}) {
		return nil
	}
	return s[:]
}

// adopt takes, from a checkpoint, the values that an earlier quiet saved
// where this one found the sysctl quiet already.
func (s *savedSysctls) adopt(values []string) {
	for i, v := range values {
		if i < len(s) && s[i] == "" {
			s[i] = v
		}
	}
}

// restore puts back what quiet changed. It runs in the member's namespace.
func (s savedSysctls) restore(name string) error {
	var errs []error
	for i, v := range s {
		if v == "" {
			continue
		}
		err := os.WriteFile(fmt.Sprintf(memberSysctls[i].path, name), []byte(v), 0)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("userspace: member %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// quieted is a member's name and what quiet changed on it.
type quieted struct {
	name  string
	saved savedSysctls
}

// restore enters the namespace once to put back the sysctls of members that
// have left their LAGs; a failure is logged, as they are released all the
// same.
func (h *Host) restore(qs []quieted) {
	if len(qs) == 0 {
		return
	}
	err := nsthread.Do(h.cfg.NetNS, func() error {
		var errs []error
		for _, q := range qs {
			errs = append(errs, q.saved.restore(q.name))
		}
		return errors.Join(errs...)
	})
	if err != nil {
		h.log.Warn("userspace: restoring released members' sysctls", "err", err)
	}
}
