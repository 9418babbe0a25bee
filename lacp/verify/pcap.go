package verify

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// pcapngMagic starts a pcapng file (its Section Header Block type).
var pcapngMagic = []byte{0x0a, 0x0d, 0x0d, 0x0a}

// ReadCapture reads the Ethernet frames of a pcap or pcapng file. From pcapng
// (as topology/capture writes) each frame keeps its interface name as Port and its
// direction flag; classic pcap records neither.
func ReadCapture(r io.Reader) ([]Frame, error) {
	br := bufio.NewReader(r)
	magic, err := br.Peek(4)
	if err != nil {
		return nil, fmt.Errorf("verify: reading capture: %w", err)
	}
	if bytes.Equal(magic, pcapngMagic) {
		return readPcapng(br)
	}
	return readPcap(br)
}

func readPcap(r io.Reader) ([]Frame, error) {
	pr, err := pcapgo.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("verify: pcap: %w", err)
	}
	if lt := pr.LinkType(); lt != layers.LinkTypeEthernet {
		return nil, fmt.Errorf("verify: pcap link type %v, want Ethernet", lt)
	}
	var frames []Frame
	for {
		data, ci, err := pr.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return frames, nil
		}
		if err != nil {
			return frames, fmt.Errorf("verify: pcap frame %d: %w", len(frames)+1, err)
		}
		frames = append(frames, Frame{Time: ci.Timestamp, Data: data})
	}
}

func readPcapng(r io.Reader) ([]Frame, error) {
	nr, err := pcapgo.NewNgReader(r, pcapgo.DefaultNgReaderOptions)
	if err != nil {
		return nil, fmt.Errorf("verify: pcapng: %w", err)
	}
	var frames []Frame
	for {
		data, ci, opts, err := nr.ReadPacketDataWithOptions()
		if errors.Is(err, io.EOF) {
			return frames, nil
		}
		if err != nil {
			return frames, fmt.Errorf("verify: pcapng frame %d: %w", len(frames)+1, err)
		}
		intf, err := nr.Interface(ci.InterfaceIndex)
		if err != nil {
			return frames, fmt.Errorf("verify: pcapng frame %d: %w", len(frames)+1, err)
		}
		if intf.LinkType != layers.LinkTypeEthernet {
			continue
		}
		frames = append(frames, Frame{Time: ci.Timestamp, Port: intf.Name, Direction: direction(opts), Data: data})
	}
}

func direction(opts pcapgo.NgPacketOptions) Direction {
	if opts.Flags == nil {
		return DirectionUnknown
	}
	switch opts.Flags.Direction {
	case pcapgo.NgEpbFlagDirectionInbound:
		return DirectionIn
	case pcapgo.NgEpbFlagDirectionOutbound:
		return DirectionOut
	}
	return DirectionUnknown
}
