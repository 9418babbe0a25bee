package afpacket

//go:generate go tool stringer -type=Direction -linecomment -output=enums_string.go

import (
	"encoding/binary"
	"errors"
	"time"

	"github.com/vishvananda/netns"
	"golang.org/x/net/bpf"
)

// ErrUnsupported is returned where the operating system has no AF_PACKET.
var ErrUnsupported = errors.New("afpacket: AF_PACKET sockets need Linux")

// Config says where a socket listens and what it lets through.
type Config struct {
	// NetNS is the network namespace to open the socket in; 0 means the
	// caller's own. The socket stays in that namespace for its whole life.
	NetNS netns.NsHandle
	// Ifindex binds the socket to one interface of that namespace; 0 means
	// every interface, including those created later.
	Ifindex int
	// Filter, when set, is attached in the kernel before the socket is bound,
	// so no frame it rejects is ever queued.
	Filter []bpf.RawInstruction
	// IgnoreOutgoing asks the kernel not to loop back frames this host sends
	// on the interface (PACKET_IGNORE_OUTGOING); a capture leaves it off to
	// see both directions.
	IgnoreOutgoing bool
	// VnetHdr asks for each frame's virtio_net_hdr (PACKET_VNET_HDR): what
	// the kernel still owes the frame. A frame another interface of this
	// host sent through a veth may carry an unfinished checksum or be a
	// segmentation-offload super-frame; written to a TAP opened with
	// IFF_VNET_HDR together with its header, the kernel finishes it there.
	// Frames this socket sends go with an empty header: complete as given.
	VnetHdr bool
}

// VnetHdrLen is the size of a virtio_net_hdr.
const VnetHdrLen = 10

// VnetHdr is a virtio_net_hdr in host byte order: flags, gso_type, hdr_len,
// gso_size, csum_start, csum_offset.
type VnetHdr [VnetHdrLen]byte

const vnetNeedsCsum = 1 // VIRTIO_NET_HDR_F_NEEDS_CSUM

// Shift moves the header's offsets by delta bytes, for a frame that had
// bytes removed (delta < 0) or inserted before its network header, as when
// an 802.1Q tag is taken out or put in.
func (h *VnetHdr) Shift(delta int) {
	if h[0]&vnetNeedsCsum != 0 {
		putU16(h[6:], uint16(int(getU16(h[6:]))+delta)) // csum_start
	}
	if h[1] != 0 { // gso_type: hdr_len counts the headers
		putU16(h[2:], uint16(int(getU16(h[2:]))+delta))
	}
}

// Direction says which way a frame was going when the socket saw it.
type Direction uint8

const (
	DirectionUnknown Direction = iota // unknown
	// DirectionIn: received on the interface.
	DirectionIn // in
	// DirectionOut: sent by this host on the interface (PACKET_OUTGOING).
	DirectionOut // out
)

// RawInstruction is a classic BPF instruction as the kernel takes it.
type RawInstruction = bpf.RawInstruction

// Info is what the kernel reported about one received frame.
type Info struct {
	Ifindex   int
	Direction Direction
	// Time is the kernel's receive timestamp (SO_TIMESTAMPNS); zero if the
	// kernel gave none.
	Time time.Time
	// Length is the frame's length on the wire; more than the bytes read if
	// the caller's buffer was short.
	Length int
	// VLAN is the 802.1Q tag the kernel removed from the frame (VLANValid
	// says whether there was one); the frame bytes no longer carry it.
	VLAN      uint16
	VLANValid bool
	VLANTPID  uint16 // 0x8100, or 0x88a8 for an 802.1ad tag
	// Vnet is the frame's virtio_net_hdr when Config.VnetHdr is set.
	Vnet VnetHdr
}

// EtherTypeFilter assembles a classic BPF program that accepts whole frames
// whose EtherType is et and drops every other frame.
func EtherTypeFilter(et uint16) ([]bpf.RawInstruction, error) {
	return bpf.Assemble([]bpf.Instruction{
		bpf.LoadAbsolute{Off: 12, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(et), SkipFalse: 1},
		bpf.RetConstant{Val: 0x40000},
		bpf.RetConstant{Val: 0},
	})
}

// virtio_net_hdr fields are in the host's byte order (the kernel's vio_le()
// is true on every little-endian host, and the legacy header is native).
func getU16(b []byte) uint16    { return binary.NativeEndian.Uint16(b) }
func putU16(b []byte, v uint16) { binary.NativeEndian.PutUint16(b, v) }
