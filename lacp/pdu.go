package lacp

import (
	"fmt"
	"net"
)

// State is the 8-bit actor or partner state field of an LACPDU.
type State uint8

// State bits, lowest first (IEEE 802.1AX-2014 6.4.2.3).
const (
	StateActivity        State = 1 << iota // LACP_Activity: 1 = active
	StateTimeout                           // LACP_Timeout: 1 = short (fast)
	StateAggregation                       // 1 = aggregatable
	StateSynchronization                   // 1 = in sync
	StateCollecting
	StateDistributing
	StateDefaulted
	StateExpired
)

// Has reports whether every bit of b is set in s.
func (s State) Has(b State) bool { return s&b == b }

// String spells the state as Wireshark does: from the highest bit down,
// "EFDCSGSA", with '*' for a zero bit (0x3f is "**DCSGSA").
func (s State) String() string {
	const letters = "EFDCSGSA"
	var b [8]byte
	for i := 0; i < 8; i++ {
		if s&(1<<(7-i)) != 0 {
			b[i] = letters[i]
		} else {
			b[i] = '*'
		}
	}
	return string(b[:])
}

// SystemID is an LACP system identifier's MAC part. It is an array, not a
// net.HardwareAddr, so decoding allocates nothing.
type SystemID [6]byte

func (id SystemID) String() string { return net.HardwareAddr(id[:]).String() }

// PortInfo is the Actor or Partner information of an LACPDU.
type PortInfo struct {
	SystemPriority uint16
	System         SystemID
	Key            uint16
	PortPriority   uint16
	Port           uint16
	State          State
}

func (p PortInfo) String() string {
	return fmt.Sprintf("(%d,%s,%d,%d,%d,%s)", p.SystemPriority, p.System, p.Key, p.PortPriority, p.Port, p.State)
}

// LACPDU is a Link Aggregation Control Protocol data unit (Slow Protocols
// subtype 1): what an actor knows of itself and of its partner.
type LACPDU struct {
	Version           uint8
	Actor             PortInfo
	Partner           PortInfo
	CollectorMaxDelay uint16 // tens of microseconds
}
