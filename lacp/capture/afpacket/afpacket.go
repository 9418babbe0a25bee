package afpacket

import (
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
}

// Direction says which way a frame was going when the socket saw it.
type Direction uint8

const (
	DirectionUnknown Direction = iota
	// DirectionIn: received on the interface.
	DirectionIn
	// DirectionOut: sent by this host on the interface (PACKET_OUTGOING).
	DirectionOut
)

func (d Direction) String() string {
	switch d {
	case DirectionIn:
		return "in"
	case DirectionOut:
		return "out"
	}
	return "unknown"
}

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
