package capture

import (
	"fmt"
	"io"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// FrameWriter is where captured frames go.
type FrameWriter interface {
	WriteFrame(Frame) error
	Flush() error
}

// PcapngWriter writes frames as pcapng: one interface block per port, named
// after it, and each frame's direction in its packet flags, so Wireshark
// shows both the port ("Interface name") and "Direction".
type PcapngWriter struct {
	out      io.Writer
	ng       *pcapgo.NgWriter
	ports    map[string]int
	declared []string
}

// NewPcapngWriter writes to w. The ports named here get their interface
// blocks first, in order, so that a capture in which no frame arrived is
// still a pcapng file, naming them; other ports get theirs as their first
// frame comes. Nothing is written before the first frame or Flush.
func NewPcapngWriter(w io.Writer, ports ...string) *PcapngWriter {
	return &PcapngWriter{out: w, ports: map[string]int{}, declared: ports}
}

// start writes the section header and the declared ports' interfaces.
func (p *PcapngWriter) start() error {
	for _, port := range p.declared {
		if _, err := p.iface(port); err != nil {
			return err
		}
	}
	p.declared = nil
	return nil
}

func (p *PcapngWriter) iface(port string) (int, error) {
	if id, ok := p.ports[port]; ok {
		return id, nil
	}
	intf := pcapgo.NgInterface{
		Name:                port,
		LinkType:            layers.LinkTypeEthernet,
		SnapLength:          0,
		TimestampResolution: 9, // nanoseconds, as the kernel stamps them
	}
	var id int
	if p.ng == nil {
		ng, err := pcapgo.NewNgWriterInterface(p.out, intf, pcapgo.DefaultNgWriterOptions)
		if err != nil {
			return 0, fmt.Errorf("capture: pcapng: %w", err)
		}
		p.ng = ng
	} else {
		var err error
		if id, err = p.ng.AddInterface(intf); err != nil {
			return 0, fmt.Errorf("capture: pcapng interface %s: %w", port, err)
		}
	}
	p.ports[port] = id
	return id, nil
}

// WriteFrame writes f under its port's interface.
func (p *PcapngWriter) WriteFrame(f Frame) error {
	if err := p.start(); err != nil {
		return err
	}
	id, err := p.iface(f.Port)
	if err != nil {
		return err
	}
	flags := &pcapgo.NgEpbFlags{}
	switch f.Direction {
	case DirectionIn:
		flags.Direction = pcapgo.NgEpbFlagDirectionInbound
	case DirectionOut:
		flags.Direction = pcapgo.NgEpbFlagDirectionOutbound
	}
	ci := gopacket.CaptureInfo{
		Timestamp:      f.Time,
		CaptureLength:  len(f.Data),
		Length:         max(f.Length, len(f.Data)),
		InterfaceIndex: id,
	}
	if err := p.ng.WritePacketWithOptions(ci, f.Data, pcapgo.NgPacketOptions{Flags: flags}); err != nil {
		return fmt.Errorf("capture: pcapng: %w", err)
	}
	return nil
}

// Flush writes out buffered data; call it before closing the file.
func (p *PcapngWriter) Flush() error {
	if err := p.start(); err != nil {
		return err
	}
	if p.ng == nil {
		return nil
	}
	return p.ng.Flush()
}

// PcapWriter writes classic pcap (Ethernet, nanosecond timestamps), which
// every reader takes; it keeps neither the port nor the direction (the
// source MAC still tells the sender).
type PcapWriter struct {
	w       *pcapgo.Writer
	snapLen uint32
}

// NewPcapWriter writes the file header to w at once.
func NewPcapWriter(w io.Writer, snapLen int) (*PcapWriter, error) {
	pw := pcapgo.NewWriterNanos(w)
	if err := pw.WriteFileHeader(uint32(snapLen), layers.LinkTypeEthernet); err != nil {
		return nil, fmt.Errorf("capture: pcap header: %w", err)
	}
	return &PcapWriter{w: pw, snapLen: uint32(snapLen)}, nil
}

// WriteFrame appends f.
func (p *PcapWriter) WriteFrame(f Frame) error {
	ci := gopacket.CaptureInfo{Timestamp: f.Time, CaptureLength: len(f.Data), Length: max(f.Length, len(f.Data))}
	if err := p.w.WritePacket(ci, f.Data); err != nil {
		return fmt.Errorf("capture: pcap: %w", err)
	}
	return nil
}

// Flush is a no-op: PcapWriter does not buffer.
func (p *PcapWriter) Flush() error { return nil }

// Record writes every frame of c to w until c is closed, then flushes w.
func Record(c *Capture, w FrameWriter) error {
	for f := range c.Frames() {
		if err := w.WriteFrame(f); err != nil {
			return err
		}
	}
	return w.Flush()
}
