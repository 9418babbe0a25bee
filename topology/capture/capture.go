package capture

import (
	"log/slog"
	"time"

	"github.com/vishvananda/netns"

	"github.com/dxsim/dxsim/topology/afpacket"
)

// EtherTypeSlowProtocols is the EtherType of LACP and Marker PDUs.
const EtherTypeSlowProtocols = 0x8809

// Direction says whether a frame was received on its port or sent from it.
type Direction = afpacket.Direction

// Directions, re-exported from afpacket.
const (
	DirectionUnknown = afpacket.DirectionUnknown
	DirectionIn      = afpacket.DirectionIn
	DirectionOut     = afpacket.DirectionOut
)

// Frame is one captured Ethernet frame.
type Frame struct {
	// Time is the kernel's receive timestamp, or Config.Now when the kernel
	// gave none.
	Time      time.Time
	Port      string // the interface's name
	Ifindex   int
	Direction Direction
	// Length is the frame's length on the wire; Data holds at most SnapLen
	// bytes of it.
	Length int
	Data   []byte
}

// Config says what to capture.
type Config struct {
	// NetNS is the network namespace to capture in; 0 means the caller's.
	NetNS netns.NsHandle
	// Ports are the interfaces to capture on, one socket each; none means
	// every interface of the namespace through one socket.
	Ports []string
	// EtherType is the only EtherType let through; EtherTypeSlowProtocols
	// when zero.
	EtherType uint16
	// SnapLen is how many bytes of each frame are kept; 2048 when zero.
	SnapLen int
	// Buffer is the capacity of the Frames channel; 256 when zero. When the
	// consumer falls behind, readers wait and the kernel's socket buffers
	// absorb the backlog.
	Buffer int
	// RecheckInterval is how often a port that went down is looked up again
	// to learn whether it was deleted and made again; 100 ms when zero.
	RecheckInterval time.Duration
	// Logger receives bounce and rebind notices; slog.Default() when nil.
	Logger *slog.Logger
	// Now stamps frames the kernel gave no timestamp; time.Now when nil.
	Now func() time.Time
}

func (c *Config) setDefaults() {
	if c.EtherType == 0 {
		c.EtherType = EtherTypeSlowProtocols
	}
	if c.SnapLen == 0 {
		c.SnapLen = 2048
	}
	if c.Buffer == 0 {
		c.Buffer = 256
	}
	if c.RecheckInterval == 0 {
		c.RecheckInterval = 100 * time.Millisecond
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Stats counts what a capture has seen.
type Stats struct {
	Frames  uint64 // frames delivered
	Downs   uint64 // ENETDOWN reports: a port went down under the capture
	Rebinds uint64 // sockets moved to a port made again under the same name
	Errors  uint64 // other read errors
	// Dropped counts frames the kernel dropped because a socket's buffer
	// was full: the consumer of Frames fell too far behind.
	Dropped uint64
}
