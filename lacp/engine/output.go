package engine

import (
	"fmt"
	"net"
	"time"

	"github.com/dxsim/dxsim/lacp"
)

// Event is one state change of one port's machine.
type Event struct {
	Time     time.Time
	Port     uint16
	Machine  Machine
	From, To MachineState
	Reason   Reason
	// Aggregator is the port's aggregator after the change, 0 for none.
	Aggregator uint16
}

func (ev Event) String() string {
	return fmt.Sprintf("port %d %s %s -> %s (%s)", ev.Port, ev.Machine, ev.From, ev.To, ev.Reason)
}

// TransmitKind says what a Transmit carries.
type TransmitKind uint8

// Kinds of PDU an engine sends.
const (
	TransmitLACPDU         TransmitKind = iota + 1
	TransmitMarkerResponse              // the Marker Responder's answer (6.5)
)

// Transmit is a PDU the engine asks the caller to send on a port.
type Transmit struct {
	Port   uint16
	Src    [6]byte // the port's MAC (zero when the port was added without one)
	Kind   TransmitKind
	LACPDU lacp.LACPDU    // when Kind is TransmitLACPDU
	Marker lacp.MarkerPDU // when Kind is TransmitMarkerResponse
}

// AppendFrame appends the Ethernet frame that carries t to b.
func (t *Transmit) AppendFrame(b []byte) ([]byte, error) {
	src := net.HardwareAddr(t.Src[:])
	if t.Kind == TransmitMarkerResponse {
		return t.Marker.AppendFrame(b, src)
	}
	return t.LACPDU.AppendFrame(b, src)
}

// Counters count a port's PDUs.
type Counters struct {
	RxLACPDUs     uint64 // LACPDUs accepted by the receive machine
	RxMarkers     uint64 // Marker Information PDUs answered
	RxMalformed   uint64 // frames or PDUs dropped as malformed
	RxIgnored     uint64 // well-formed PDUs dropped: port disabled, or a subtype the engine does not speak
	TxLACPDUs     uint64 // LACPDUs handed to the caller
	TxDeferred    uint64 // times NTT waited for the rate limit
	TxSuppressed  uint64 // LACPDUs not sent because the port is Silent
	ActorChurns   uint64 // entries to ACTOR_CHURN (6.4.17)
	PartnerChurns uint64 // entries to PARTNER_CHURN
}

// PortStatus is a snapshot of one port.
type PortStatus struct {
	Number  uint16
	Enabled bool // port_enabled: link up and not flapped down

	Receive   MachineState
	Periodic  MachineState
	Selection MachineState
	Mux       MachineState

	// Churn detection (6.4.17): ACTOR_CHURN (PARTNER_CHURN) once the Actor
	// (Partner) has been out of sync for Churn_Detection_Time.
	ActorChurn   MachineState
	PartnerChurn MachineState

	Aggregator       uint16 // 0 when detached
	AggregatorActive bool

	Actor   lacp.PortInfo // Actor operational information, as the next LACPDU will say
	Partner lacp.PortInfo // Partner operational information

	Admin    PortAdmin
	Counters Counters
}

// Collecting reports whether the port accepts frames from the aggregator's
// link (Actor.Collecting).
func (s PortStatus) Collecting() bool { return s.Actor.State.Has(lacp.StateCollecting) }

// Distributing reports whether the aggregator may send frames on the port
// (Actor.Distributing).
func (s PortStatus) Distributing() bool { return s.Actor.State.Has(lacp.StateDistributing) }

// AggregatorStatus is a snapshot of one aggregator.
type AggregatorStatus struct {
	ID         uint16
	Active     bool
	Individual bool
	Key        uint16        // the Actor key of its ports
	Partner    lacp.PortInfo // Partner System, priority and key shared by its ports
	Ports      []uint16
}

// Decision reports whether ev changed the port's collecting and
// distributing decision, and to what: true when the port entered
// COLLECTING_DISTRIBUTING, false when it left it.
func (ev Event) Decision() (usable, changed bool) {
	if ev.Machine != MachineMux {
		return false, false
	}
	switch {
	case ev.To == MuxCollectingDistributing:
		return true, true
	case ev.From == MuxCollectingDistributing:
		return false, true
	}
	return false, false
}
