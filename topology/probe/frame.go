package probe

import (
	"encoding/binary"
	"errors"
	"net"
	"time"
)

// EtherType is the probe's EtherType: IEEE 802's Local Experimental
// EtherType 1.
const EtherType = 0x88b5

// magic starts every probe payload, so a frame of another local experiment
// is never taken for one of ours.
var magic = [4]byte{'D', 'X', 'S', 'P'}

const (
	headerLen = 14
	payload   = 4 + 8 + 8 + 8 // magic, run, sequence, sent (Unix ns)
	// FrameLen is a probe frame's length: Ethernet's minimum, without FCS.
	FrameLen = 60
)

// ErrNotProbe is returned by Decode for a frame that is not a probe frame.
var ErrNotProbe = errors.New("probe: not a probe frame")

// Header is what a probe frame says.
type Header struct {
	Run  uint64 // the sender's run, so frames of an earlier run are ignored
	Seq  uint64 // 0 for the first frame of a run
	Sent time.Time
}

// Encode writes a probe frame from src to dst into b, which must hold
// FrameLen bytes, and returns the frame.
func Encode(b []byte, dst, src net.HardwareAddr, h Header) []byte {
	b = b[:FrameLen]
	copy(b[0:6], dst)
	copy(b[6:12], src)
	binary.BigEndian.PutUint16(b[12:14], EtherType)
	p := b[headerLen:]
	copy(p[0:4], magic[:])
	binary.BigEndian.PutUint64(p[4:12], h.Run)
	binary.BigEndian.PutUint64(p[12:20], h.Seq)
	binary.BigEndian.PutUint64(p[20:28], uint64(h.Sent.UnixNano()))
	clear(p[payload:])
	return b
}

// Decode reads a probe frame's header. An 802.1Q tag, if the frame still
// carries one, is skipped.
func Decode(frame []byte) (Header, error) {
	if len(frame) >= 18 && binary.BigEndian.Uint16(frame[12:14]) == 0x8100 {
		frame = append(frame[:12:12], frame[16:]...)
	}
	if len(frame) < headerLen+payload || binary.BigEndian.Uint16(frame[12:14]) != EtherType {
		return Header{}, ErrNotProbe
	}
	p := frame[headerLen:]
	if [4]byte(p[0:4]) != magic {
		return Header{}, ErrNotProbe
	}
	return Header{
		Run:  binary.BigEndian.Uint64(p[4:12]),
		Seq:  binary.BigEndian.Uint64(p[12:20]),
		Sent: time.Unix(0, int64(binary.BigEndian.Uint64(p[20:28]))),
	}, nil
}
