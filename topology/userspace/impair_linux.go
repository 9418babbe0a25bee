package userspace

import (
	"errors"
	"sync/atomic"

	"github.com/dxsim/dxsim/topology/afpacket"
)

// egress is a port's way out: its packet socket, through the port's
// impairer while it has one. Every frame the Host sends out of a member or
// a trunk port goes through send.
type egress struct {
	conn *afpacket.Conn
	imp  atomic.Pointer[impairer]
}

func (e *egress) send(frame []byte) error {
	if im := e.imp.Load(); im != nil {
		return im.send(e.conn, frame)
	}
	return e.conn.WriteFrame(frame, 0)
}

// SetImpairment makes a port (a LAG member or a port carrying VLANs) lose
// and delay what the Host sends out of it, from now on; the zero
// Impairment clears it, dropping any frames still held. It belongs to the
// port's name, not to its membership: a port that leaves its LAG and joins
// again, or is deleted and made again, keeps it. It may be set for a port
// the Host does not use yet.
func (h *Host) SetImpairment(port string, imp Impairment) error {
	if err := imp.check(); err != nil {
		return err
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return errors.New("userspace: host closed")
	}
	h.impMu.Lock()
	old := h.impairs[port]
	var gone *impairer
	switch {
	case imp == (Impairment{}):
		delete(h.impairs, port)
		gone = old
	case old != nil:
		old.set(imp)
	default:
		h.impairs[port] = newImpairer(imp)
	}
	h.impMu.Unlock()
	h.pointEgressLocked(port)
	h.mu.Unlock()
	if gone != nil {
		gone.stop()
	}
	return nil
}

// Impairment reports a port's impairment and what it has done since it was
// set; zero values when the port has none.
func (h *Host) Impairment(port string) (Impairment, ImpairmentStats) {
	if im := h.impairerOf(port); im != nil {
		return im.status()
	}
	return Impairment{}, ImpairmentStats{}
}

// impairerOf is the port's impairer, or nil. It takes only impMu, which is
// never held while another lock is taken, so a LAG's control may call it
// with the LAG's lock held.
func (h *Host) impairerOf(port string) *impairer {
	h.impMu.Lock()
	defer h.impMu.Unlock()
	return h.impairs[port]
}

// pointEgressLocked gives the port's member and trunk, where it has them,
// the port's impairer as it is now. A member that joins meanwhile looks it
// up itself (lag.join). h.mu is held.
func (h *Host) pointEgressLocked(port string) {
	if l := h.memberOf[port]; l != nil {
		l.mu.Lock()
		if m := l.members[port]; m != nil {
			m.imp.Store(h.impairerOf(port))
		}
		l.mu.Unlock()
	}
	if t := h.trunks[port]; t != nil {
		t.imp.Store(h.impairerOf(port))
	}
}

// stopImpairers clears every port's impairment: Close, once nothing sends.
func (h *Host) stopImpairers() {
	h.impMu.Lock()
	ims := h.impairs
	h.impairs = map[string]*impairer{}
	h.impMu.Unlock()
	for _, im := range ims {
		im.stop()
	}
}
