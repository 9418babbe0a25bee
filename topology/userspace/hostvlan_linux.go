package userspace

import (
	"errors"
	"fmt"
	"sort"
)

// CreateVLAN makes a VLAN's TAP, up, on a port or LAG of this Host. Making an
// existing VLAN again with the same settings is not an error.
func (h *Host) CreateVLAN(cfg VLANConfig) error {
	if cfg.VID < 1 || cfg.VID > 4094 {
		return fmt.Errorf("userspace: VLAN %s: VLAN ID %d out of 1-4094", cfg.Name, cfg.VID)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return errors.New("userspace: host closed")
	}
	if v, ok := h.vlans[cfg.Name]; ok {
		if v.cfg == cfg {
			return nil
		}
		return fmt.Errorf("%w: VLAN %s is %d on %s", ErrExists, cfg.Name, v.cfg.VID, v.cfg.Parent)
	}
	send, err := h.attachVLANLocked(cfg, nil)
	if err != nil {
		return err
	}
	t, err := openTAP(h.cfg.NetNS, cfg.Name)
	if err == nil {
		if err = h.setupTAP(t, nil); err == nil {
			err = h.persistTAP(t)
		}
		if err != nil {
			t.remove()
		}
	}
	if err != nil {
		h.detachVLANLocked(cfg)
		return err
	}
	v := startVLAN(cfg, t, send)
	h.vlans[cfg.Name] = v
	h.registerVLANLocked(v)
	h.changed()
	return nil
}

// attachVLANLocked finds (or, for a port, opens) the VLAN's parent and
// returns how its tagged frames leave.
func (h *Host) attachVLANLocked(cfg VLANConfig, self *vlanIf) (func([]byte), error) {
	if l := h.lags[cfg.Parent]; l != nil {
		l.mu.Lock()
		defer l.mu.Unlock()
		if o := l.vlans[uint16(cfg.VID)]; o != nil && o != self {
			return nil, fmt.Errorf("%w: VLAN %d on %s is %s's", ErrInUse, cfg.VID, cfg.Parent, o.cfg.Name)
		}
		return l.distribute, nil
	}
	t := h.trunks[cfg.Parent]
	if t == nil {
		var err error
		if t, err = openTrunk(h, cfg.Parent); err != nil {
			return nil, err
		}
		h.trunks[cfg.Parent] = t
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if o := t.vlans[uint16(cfg.VID)]; o != nil && o != self {
		return nil, fmt.Errorf("%w: VLAN %d on %s is %s's", ErrInUse, cfg.VID, cfg.Parent, o.cfg.Name)
	}
	return t.send, nil
}

// registerVLANLocked lets the parent deliver the VLAN's frames to it, and
// gives the VLAN its parent's carrier.
func (h *Host) registerVLANLocked(v *vlanIf) {
	vid := uint16(v.cfg.VID)
	if l := h.lags[v.cfg.Parent]; l != nil {
		l.mu.Lock()
		l.vlans[vid] = v
		v.setCarrier(h, l.carrier)
		l.mu.Unlock()
		return
	}
	if t := h.trunks[v.cfg.Parent]; t != nil {
		t.mu.Lock()
		t.vlans[vid] = v
		v.setCarrier(h, t.up)
		t.mu.Unlock()
	}
}

// detachVLANLocked stops the parent delivering to the VLAN, and closes a
// port's trunk that carries no VLAN any more.
func (h *Host) detachVLANLocked(cfg VLANConfig) {
	vid := uint16(cfg.VID)
	if l := h.lags[cfg.Parent]; l != nil {
		l.mu.Lock()
		if v := l.vlans[vid]; v != nil && v.cfg.Name == cfg.Name {
			delete(l.vlans, vid)
		}
		l.mu.Unlock()
		return
	}
	t := h.trunks[cfg.Parent]
	if t == nil {
		return
	}
	t.mu.Lock()
	if v := t.vlans[vid]; v != nil && v.cfg.Name == cfg.Name {
		delete(t.vlans, vid)
	}
	empty := len(t.vlans) == 0
	t.mu.Unlock()
	if empty {
		delete(h.trunks, cfg.Parent)
		if err := t.close(); err != nil {
			h.log.Debug("userspace: closing trunk", "port", cfg.Parent, "err", err)
		}
	}
}

// MoveVLAN puts a VLAN on another parent (cfg.Parent), keeping its TAP and
// so its addresses: a VIF following its connection into a LAG.
func (h *Host) MoveVLAN(cfg VLANConfig) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	v := h.vlans[cfg.Name]
	if v == nil {
		return notFound("VLAN", cfg.Name)
	}
	if v.cfg.VID != cfg.VID {
		return fmt.Errorf("%w: VLAN %s has ID %d, not %d", ErrExists, cfg.Name, v.cfg.VID, cfg.VID)
	}
	if v.cfg.Parent == cfg.Parent {
		return nil
	}
	send, err := h.attachVLANLocked(cfg, v)
	if err != nil {
		return err
	}
	old := v.cfg
	v.cfg = cfg
	v.send.Store(&send)
	// The old parent lets go first: a link event of its (the port going
	// down as it joins the LAG) handled in between would otherwise set the
	// carrier the new parent gave, and nothing would set it back.
	h.detachVLANLocked(old)
	h.registerVLANLocked(v)
	// The kernel cannot move a VLAN device: it makes a new one on the new
	// parent, which knows no neighbour yet and resolves each at once. The
	// TAP is the same, so it forgets its neighbours instead, among them
	// those its old parent's carrier loss left unresolved (waiting a
	// second to ask again: a second's outage where the kernel has none).
	if err := h.forgetNeighbours(v.tap.name); err != nil {
		h.log.Warn("userspace: moved VLAN's neighbours", "vlan", cfg.Name, "err", err)
	}
	h.changed()
	return nil
}

// DeleteVLAN removes a VLAN's TAP; deleting an absent VLAN is not an error.
func (h *Host) DeleteVLAN(name string) error {
	h.mu.Lock()
	v := h.vlans[name]
	if v == nil {
		h.mu.Unlock()
		return nil
	}
	delete(h.vlans, name)
	h.detachVLANLocked(v.cfg)
	h.mu.Unlock()
	defer h.changed()
	return v.close()
}

// VLANs lists the Host's VLANs, by name.
func (h *Host) VLANs() []VLANConfig {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]VLANConfig, 0, len(h.vlans))
	for _, v := range h.vlans {
		out = append(out, v.cfg)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
