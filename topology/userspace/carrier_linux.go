package userspace

import (
	"errors"
	"fmt"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// setCarrier turns a TAP's carrier on or off, and on a loss does at once
// what the kernel does at once for a bond.
//
// The kernel acts on a carrier change (stops or starts the device's queue,
// forgets its neighbours, sets its operational state) in its link watch.
// A bond's change, and its VLANs', is urgent there and handled at once; a
// TAP's is not, and waits for the link watch's next run, which comes at
// most once a second for the whole machine. Until then a TAP without
// carrier still sends what the stack gives it, and a carrier lost and back
// within that second is never acted on at all: a LAG below its minimum
// links would have kept forwarding its VIFs' traffic, where a bond's VIFs
// stop and, their neighbours forgotten, resolve them again once it is
// back (ARP retries a second apart: about a second's outage, measured).
//
// So the LAG sends nothing without carrier (redistributeLocked), which
// stops its VLANs' frames too, and a TAP losing carrier has its neighbours
// forgotten here, as the kernel forgets a bond's VLAN's
// (arp_evict_nocarrier and ndisc_evict_nocarrier, on by default).
func (h *Host) setCarrier(t *tap, on bool) error {
	if err := t.setCarrier(on); err != nil {
		return err
	}
	if !on {
		return h.forgetNeighbours(t.name)
	}
	return nil
}

// forgetNeighbours deletes the neighbour entries of the named interface
// that the kernel would on its carrier loss: all but permanent ones.
func (h *Host) forgetNeighbours(name string) error {
	link, err := h.nl.LinkByName(name)
	if err != nil {
		return fmt.Errorf("userspace: %s neighbours: %w", name, err)
	}
	neighs, err := h.nl.NeighList(link.Attrs().Index, netlink.FAMILY_ALL)
	if err != nil {
		return fmt.Errorf("userspace: %s neighbours: %w", name, err)
	}
	var errs []error
	for _, n := range neighs {
		if n.State&(netlink.NUD_PERMANENT|netlink.NUD_NOARP) != 0 {
			continue
		}
		if err := h.nl.NeighDel(&n); err != nil && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, fmt.Errorf("userspace: %s neighbour %s: %w", name, n.IP, err))
		}
	}
	return errors.Join(errs...)
}
