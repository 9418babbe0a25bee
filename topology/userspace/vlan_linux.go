package userspace

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/dxsim/dxsim/topology/afpacket"
)

// vlanIf is a VLAN's TAP. What it reads is tagged and handed to its parent's
// sender; its parent writes untagged frames of its VID into it.
type vlanIf struct {
	cfg  VLANConfig // guarded by Host.mu
	vid  uint16
	tap  *tap
	send atomic.Pointer[func([]byte)] // the parent's way out; swapped on move
	done atomic.Bool                  // the TAP is closed or closing
	wg   sync.WaitGroup
}

func startVLAN(cfg VLANConfig, t *tap, send func([]byte)) *vlanIf {
	v := &vlanIf{cfg: cfg, vid: uint16(cfg.VID), tap: t}
	v.send.Store(&send)
	v.wg.Add(1)
	go v.readTAP()
	return v
}

func (v *vlanIf) readTAP() {
	defer v.wg.Done()
	buf := make([]byte, frameBuf)
	out := make([]byte, 0, frameBuf+4)
	for {
		n, err := v.tap.read(buf)
		if err != nil {
			if v.done.Load() {
				return
			}
			// The TAP's interface deleted by hand leaves its file failing
			// every read until the VLAN is closed: wait, do not spin.
			time.Sleep(readRetry)
			continue
		}
		out = tag(out[:0], buf[:n], v.vid)
		(*v.send.Load())(out)
	}
}

func (v *vlanIf) setCarrier(h *Host, on bool) {
	if v.done.Load() {
		return
	}
	if err := h.setCarrier(v.tap, on); err != nil {
		h.log.Warn("userspace: VLAN carrier", "vlan", v.tap.name, "err", err)
	}
}

// close removes the VLAN's TAP.
func (v *vlanIf) close() error {
	v.done.Store(true)
	err := v.tap.remove()
	v.wg.Wait()
	return err
}

// detach stops the VLAN, leaving its TAP (persistent) for the next process.
func (v *vlanIf) detach() error {
	v.done.Store(true)
	err := v.tap.close()
	v.wg.Wait()
	return err
}

// trunk is a plain port (not a LAG) that carries VLANs: one socket on it,
// demultiplexed by VLAN ID. Untagged traffic stays the kernel's.
type trunk struct {
	port   string
	egress // its socket, through the port's impairment
	done   chan struct{}
	wg     sync.WaitGroup

	mu      sync.Mutex
	vlans   map[uint16]*vlanIf
	up      bool // the port's link, which its VLANs' carrier follows
	ifindex int
}

func openTrunk(h *Host, port string) (*trunk, error) {
	link, err := h.nl.LinkByName(port)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", notFound("port", port), err)
	}
	conn, err := afpacket.Open(afpacket.Config{NetNS: h.cfg.NetNS, Ifindex: link.Attrs().Index, IgnoreOutgoing: true, VnetHdr: true})
	if err != nil {
		return nil, fmt.Errorf("userspace: VLAN trunk on %s: %w", port, err)
	}
	t := &trunk{port: port, done: make(chan struct{}), vlans: map[uint16]*vlanIf{},
		up: linkUp(link), ifindex: link.Attrs().Index}
	t.conn = conn
	t.imp.Store(h.impairerOf(port))
	t.wg.Add(1)
	go t.read(h)
	return t, nil
}

func (t *trunk) send(frame []byte) { _ = t.egress.send(frame) }

func (t *trunk) read(h *Host) {
	defer t.wg.Done()
	buf := make([]byte, frameBuf)
	for {
		n, info, err := t.conn.ReadFrame(buf)
		if err != nil {
			select {
			case <-t.done:
				return
			default:
			}
			if !errors.Is(err, syscall.ENETDOWN) {
				h.log.Debug("userspace: trunk read", "port", t.port, "err", err)
				if !pause(t.done) {
					return
				}
			}
			continue
		}
		vid, inner, tagged := vlanOf(buf[:n], &info)
		if !tagged {
			continue
		}
		t.mu.Lock()
		v := t.vlans[vid]
		t.mu.Unlock()
		if v != nil {
			_ = v.tap.write(inner, &info.Vnet)
		}
	}
}

// setLink makes the port's VLANs follow its link, and moves the socket to
// the port's new interface if it was deleted and made again.
func (t *trunk) setLink(h *Host, ifindex int, up bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if ifindex != 0 && ifindex != t.ifindex {
		if err := t.conn.Bind(ifindex); err != nil {
			h.log.Warn("userspace: rebinding trunk", "port", t.port, "err", err)
		} else {
			t.ifindex = ifindex
		}
	}
	if t.up == up {
		return
	}
	t.up = up
	for _, v := range t.vlans {
		v.setCarrier(h, up)
	}
}

func (t *trunk) close() error {
	close(t.done)
	err := t.conn.Close()
	t.wg.Wait()
	return err
}
