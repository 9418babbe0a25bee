package capture

import (
	"errors"
	"fmt"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/dxsim/dxsim/topology/afpacket"
)

// Open starts a capture as cfg says. Every port in cfg.Ports must exist.
func Open(cfg Config) (*Capture, error) {
	cfg.setDefaults()
	filter, err := afpacket.EtherTypeFilter(cfg.EtherType)
	if err != nil {
		return nil, fmt.Errorf("capture: assembling filter: %w", err)
	}
	nl, err := newNetlinkLinks(cfg)
	if err != nil {
		return nil, err
	}
	c := &Capture{
		cfg:    cfg,
		links:  nl,
		frames: make(chan Frame, cfg.Buffer),
		done:   make(chan struct{}),
		names:  map[int]string{},
	}
	var readers []*reader
	fail := func(err error) (*Capture, error) {
		for _, conn := range c.conns {
			conn.Close()
		}
		nl.close()
		return nil, err
	}
	ports := cfg.Ports
	if len(ports) == 0 {
		ports = []string{""}
	}
	for _, port := range ports {
		idx := 0
		if port != "" {
			if idx, err = nl.index(port); err != nil {
				return fail(err)
			}
		}
		conn, err := afpacket.Open(afpacket.Config{NetNS: cfg.NetNS, Ifindex: idx, Filter: filter})
		if err != nil {
			return fail(fmt.Errorf("capture: port %q: %w", port, err))
		}
		c.conns = append(c.conns, conn)
		readers = append(readers, &reader{c: c, conn: conn, port: port, ifindex: idx})
	}
	c.wg.Add(len(readers))
	for _, r := range readers {
		go r.run()
	}
	return c, nil
}

// netlinkLinks looks interfaces up over rtnetlink in the capture's namespace.
type netlinkLinks struct{ h *netlink.Handle }

func newNetlinkLinks(cfg Config) (*netlinkLinks, error) {
	var (
		h   *netlink.Handle
		err error
	)
	if cfg.NetNS == 0 {
		h, err = netlink.NewHandle(unix.NETLINK_ROUTE)
	} else {
		h, err = netlink.NewHandleAt(cfg.NetNS, unix.NETLINK_ROUTE)
	}
	if err != nil {
		return nil, fmt.Errorf("capture: netlink: %w", err)
	}
	return &netlinkLinks{h: h}, nil
}

func (n *netlinkLinks) index(name string) (int, error) {
	l, err := n.h.LinkByName(name)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return 0, fmt.Errorf("%w: %s", ErrNoSuchPort, name)
		}
		return 0, fmt.Errorf("capture: looking up %s: %w", name, err)
	}
	return l.Attrs().Index, nil
}

func (n *netlinkLinks) name(ifindex int) (string, error) {
	l, err := n.h.LinkByIndex(ifindex)
	if err != nil {
		return "", fmt.Errorf("capture: looking up ifindex %d: %w", ifindex, err)
	}
	return l.Attrs().Name, nil
}

func (n *netlinkLinks) close() { n.h.Close() }
