package verify

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/dxsim/dxsim/lacp"
)

// Direction says which way a frame crossed the captured port. Its values are
// those of topology/capture's Direction, so Direction(f.Direction) converts.
type Direction uint8

// Directions.
const (
	DirectionUnknown Direction = iota // unknown
	// received on the captured port: sent by the remote side
	DirectionIn // in
	// sent from the captured port: sent by the local side
	DirectionOut // out
)

// Frame is one captured Ethernet frame, as topology/capture delivers it.
type Frame struct {
	Time      time.Time
	Port      string // the captured interface; "" when the capture does not say
	Direction Direction
	Data      []byte // the Ethernet frame; not retained
}

// Observation is one decoded LACPDU seen on a port.
type Observation struct {
	Time      time.Time
	Port      string
	Direction Direction
	PDU       lacp.LACPDU
}

// Config says what the Verifier knows beforehand.
type Config struct {
	// Local is the actor system of the captured side. When zero it is
	// inferred: from the direction of frames that carry one, otherwise as
	// the system that spoke last for the first time (the side whose ports
	// were enslaved during the capture).
	Local lacp.SystemID
	// Key is the local side's LAG key, when known; each aggregatable local
	// port must use it. Zero: not checked.
	Key uint16
}

// Verifier accumulates observations. Its methods may be called from several
// goroutines.
type Verifier struct {
	cfg Config

	mu        sync.Mutex
	obs       []Observation
	enslaved  map[string]time.Time
	markers   int
	other     int
	malformed int
}

// New returns a Verifier.
func New(cfg Config) *Verifier {
	return &Verifier{cfg: cfg, enslaved: map[string]time.Time{}}
}

// ErrNotLACP is returned by ObserveFrame for a frame that is not a Slow
// Protocols frame.
var ErrNotLACP = errors.New("verify: not a Slow Protocols frame")

// ObserveFrame decodes f and records it. Marker PDUs and other Slow Protocols
// subtypes are counted, not timed. A malformed LACPDU is counted and its
// decoding error returned (wrapping the lacp sentinel errors).
func (v *Verifier) ObserveFrame(f Frame) error {
	_, subtype, b, err := lacp.ParseFrame(f.Data)
	if err != nil {
		if errors.Is(err, lacp.ErrNotSlowProtocols) {
			return fmt.Errorf("%w: port %q at %v", ErrNotLACP, f.Port, f.Time)
		}
		v.count(&v.malformed)
		return fmt.Errorf("verify: port %q at %v: %w", f.Port, f.Time, err)
	}
	switch subtype {
	case lacp.SubtypeLACP:
	case lacp.SubtypeMarker:
		v.count(&v.markers)
		return nil
	default:
		v.count(&v.other)
		return nil
	}
	var pdu lacp.LACPDU
	if err := pdu.UnmarshalBinary(b); err != nil {
		v.count(&v.malformed)
		return fmt.Errorf("verify: port %q at %v: %w", f.Port, f.Time, err)
	}
	v.Observe(Observation{Time: f.Time, Port: f.Port, Direction: f.Direction, PDU: pdu})
	return nil
}

func (v *Verifier) count(n *int) {
	v.mu.Lock()
	*n++
	v.mu.Unlock()
}

// Observe records a decoded LACPDU.
func (v *Verifier) Observe(o Observation) {
	v.mu.Lock()
	v.obs = append(v.obs, o)
	v.mu.Unlock()
}

// MarkEnslaved records when port was enslaved to the LAG. Without a mark, a
// port counts as enslaved at the local side's first LACPDU on it. For a
// capture without port names, ports are named as the Report names them
// ("port 1" for the local port number 1).
func (v *Verifier) MarkEnslaved(port string, t time.Time) {
	v.mu.Lock()
	v.enslaved[port] = t
	v.mu.Unlock()
}

// Report builds the timeline of everything observed so far.
func (v *Verifier) Report() *Report {
	v.mu.Lock()
	obs := append([]Observation(nil), v.obs...)
	enslaved := make(map[string]time.Time, len(v.enslaved))
	for k, t := range v.enslaved {
		enslaved[k] = t
	}
	r := &Report{Markers: v.markers, OtherSubtypes: v.other, Malformed: v.malformed}
	v.mu.Unlock()

	r.build(v.cfg, obs, enslaved)
	return r
}
