package probe

import (
	"errors"
	"log/slog"
	"net"
	"time"

	"github.com/vishvananda/netns"
)

// DefaultRate is how many probe frames are sent a second.
const DefaultRate = 1000

// Config says where a probe runs.
type Config struct {
	// SendNS is the customer router's namespace, Port the interface there
	// that the frames leave by: the connection's port.
	SendNS netns.NsHandle
	Port   string
	// RecvNS is the DX endpoint's namespace; Accept names the interfaces
	// there whose frames count at first (see Probe.Accept).
	RecvNS netns.NsHandle
	Accept []string
	// Dst is the frames' destination MAC; broadcast when nil.
	Dst net.HardwareAddr
	// Rate is frames a second; DefaultRate when zero.
	Rate int
	// Drain is how long Stop waits with no frame arriving before it takes
	// the frames still in flight for lost; 20 ms when zero.
	Drain time.Duration
	// Now stamps frames when sent (and received, if the kernel does not);
	// time.Now when nil.
	Now    func() time.Time
	Logger *slog.Logger // slog.Default() when nil
}

func (c *Config) setDefaults() {
	if c.Rate <= 0 {
		c.Rate = DefaultRate
	}
	if c.Drain <= 0 {
		c.Drain = 20 * time.Millisecond
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// ErrUnsupported is returned by Start where there is no AF_PACKET.
var ErrUnsupported = errors.New("probe: needs Linux (AF_PACKET, network namespaces)")
