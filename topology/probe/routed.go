package probe

import (
	"encoding/binary"
	"errors"
	"log/slog"
	"net/netip"
	"time"

	"github.com/vishvananda/netns"
)

// The routed probe: layer 3, end to end.
//
// A sender in the customer router's namespace sends sequence-numbered UDP
// datagrams from one of the customer's own addresses (its network's, on the
// router) to an address of an AWS address space (a VPC's, answered in the
// Region's namespace), at a steady rate; an echo there sends each back to
// where it came from. A datagram counts when its echo returns: so the probe
// sees what a flow between the customer's network and the VPC sees, both
// ways, whichever VIF, device and backbone BGP sends it over. Lost
// sequence numbers give the outage, as for the layer-2 probe.

// RoutedPort is the echo's UDP port: dxsim's choice, above the registered
// ranges' busy part.
const RoutedPort = 47224

// RoutedConfig says where a routed probe runs.
type RoutedConfig struct {
	// FromNS is the customer router's namespace; From the customer's
	// address there the datagrams leave from.
	FromNS netns.NsHandle
	From   netip.Addr
	// ToNS is the Region's namespace; To the address space's address that
	// answers.
	ToNS netns.NsHandle
	To   netip.Addr
	// Rate is datagrams a second; DefaultRate when zero.
	Rate int
	// Drain is how long Stop waits with no echo arriving before it takes
	// those in flight for lost; 20 ms when zero.
	Drain  time.Duration
	Logger *slog.Logger // slog.Default() when nil
}

func (c *RoutedConfig) setDefaults() {
	if c.Rate <= 0 {
		c.Rate = DefaultRate
	}
	if c.Drain <= 0 {
		c.Drain = 20 * time.Millisecond
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// routedMagic starts every routed probe datagram.
var routedMagic = [8]byte{'d', 'x', 's', 'i', 'm', 'r', 'p', '1'}

// routedLen is a datagram's length: magic, run, sequence number, send time.
const routedLen = 8 + 8 + 8 + 8

// encodeRouted writes a datagram into b (routedLen bytes).
func encodeRouted(b []byte, run, seq uint64, sent time.Time) []byte {
	b = b[:routedLen]
	copy(b, routedMagic[:])
	binary.BigEndian.PutUint64(b[8:], run)
	binary.BigEndian.PutUint64(b[16:], seq)
	binary.BigEndian.PutUint64(b[24:], uint64(sent.UnixNano()))
	return b
}

// errNotRouted is a datagram that is not this probe's.
var errNotRouted = errors.New("probe: not a routed probe datagram")

// decodeRouted reads a datagram.
func decodeRouted(b []byte) (run, seq uint64, sent time.Time, err error) {
	if len(b) != routedLen || [8]byte(b[:8]) != routedMagic {
		return 0, 0, time.Time{}, errNotRouted
	}
	return binary.BigEndian.Uint64(b[8:]), binary.BigEndian.Uint64(b[16:]),
		time.Unix(0, int64(binary.BigEndian.Uint64(b[24:]))), nil
}
