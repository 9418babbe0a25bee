package userspace

import (
	"errors"
	"fmt"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// A Host with Config.OnCheckpoint makes its TAPs persistent (TUNSETPERSIST):
// closing the file, as a process that stops or dies does, leaves the
// interface with its addresses and routes (without carrier, as nobody
// writes to it), and the next process attaches to it with TUNSETIFF on the
// same name and flags (Resume). Removing one on purpose (DeleteLAG,
// DeleteVLAN, Close) clears the flag first.

// setPersist sets or clears the TAP's persistence.
func (t *tap) setPersist(on bool) error {
	v := 0
	if on {
		v = 1
	}
	var err error
	if cerr := t.rc.Control(func(fd uintptr) {
		err = unix.IoctlSetInt(int(fd), unix.TUNSETPERSIST, v)
	}); cerr != nil {
		return cerr
	}
	if err != nil {
		return fmt.Errorf("userspace: TAP %s persist=%v: %w", t.name, on, err)
	}
	return nil
}

// remove closes the TAP and with it its interface, persistent or not. An
// interface already gone (deleted with its group, or by hand) leaves the
// flag nothing to clear.
func (t *tap) remove() error {
	_ = t.setPersist(false)
	return t.close()
}

// persistTAP makes a new TAP persistent when the Host hands its TAPs over.
func (h *Host) persistTAP(t *tap) error {
	if h.cp == nil {
		return nil
	}
	return t.setPersist(true)
}

// adoptTAP attaches to a TAP an earlier process left: one of the Host's
// (a TAP in its device group) under that name. It does not make one.
func (h *Host) adoptTAP(name string) (*tap, error) {
	link, err := h.nl.LinkByName(name)
	var nf netlink.LinkNotFoundError
	if errors.As(err, &nf) {
		return nil, notFound("TAP", name)
	}
	if err != nil {
		return nil, fmt.Errorf("userspace: TAP %s: %w", name, err)
	}
	if tt, ok := link.(*netlink.Tuntap); !ok || tt.Mode != netlink.TUNTAP_MODE_TAP || link.Attrs().Group != lagGroup {
		return nil, fmt.Errorf("%w: %s is a %s, not a TAP of this data plane", ErrExists, name, link.Type())
	}
	t, err := openTAP(h.cfg.NetNS, name)
	if err != nil {
		return nil, err
	}
	if err := t.setPersist(true); err != nil {
		t.close()
		return nil, err
	}
	return t, nil
}
