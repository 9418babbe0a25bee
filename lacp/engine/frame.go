package engine

import (
	"errors"
	"fmt"
	"time"

	"github.com/dxsim/dxsim/lacp"
)

// ReceiveFrame hands the Engine an Ethernet frame received on port n, as a
// packet socket delivers it. An LACPDU goes to the receive machine; a Marker
// Information PDU is answered with a Marker Response (the Marker Responder,
// 802.1AX-2014 6.5); a malformed Slow Protocols PDU is counted in the
// port's RxMalformed and dropped with an error wrapping ErrMalformed and the
// codec's reason; anything else is counted in RxIgnored and dropped with
// ErrNotLACP.
func (e *Engine) ReceiveFrame(now time.Time, n uint16, frame []byte) error {
	p, err := e.port(n)
	if err != nil {
		return err
	}
	_, subtype, b, err := lacp.ParseFrame(frame)
	switch {
	case errors.Is(err, lacp.ErrNotSlowProtocols):
		p.counters.RxIgnored++
		return fmt.Errorf("%w: port %d: %w", ErrNotLACP, n, err)
	case err != nil:
		p.counters.RxMalformed++
		return fmt.Errorf("%w: port %d: %w", ErrMalformed, n, err)
	}
	switch subtype {
	case lacp.SubtypeLACP:
		var pdu lacp.LACPDU
		if err := pdu.UnmarshalBinary(b); err != nil {
			p.counters.RxMalformed++
			return fmt.Errorf("%w: port %d: %w", ErrMalformed, n, err)
		}
		return e.Receive(now, n, &pdu)
	case lacp.SubtypeMarker:
		var m lacp.MarkerPDU
		if err := m.UnmarshalBinary(b); err != nil {
			p.counters.RxMalformed++
			return fmt.Errorf("%w: port %d: %w", ErrMalformed, n, err)
		}
		e.setNow(now)
		if e.ticking() {
			e.run() // the ticks before it
		}
		e.answerMarker(p, &m)
		e.run()
		return nil
	}
	p.counters.RxIgnored++
	return fmt.Errorf("%w: port %d: Slow Protocols subtype %d", ErrNotLACP, n, uint8(subtype))
}

// answerMarker is the Marker Responder (6.5): a Marker Information PDU
// is echoed as a Marker Response on the port it came in on. Responses are
// not sent on disabled ports.
func (e *Engine) answerMarker(p *port, m *lacp.MarkerPDU) {
	if m.Response || !p.enabled {
		p.counters.RxIgnored++
		return
	}
	p.counters.RxMarkers++
	e.out = append(e.out, Transmit{Port: p.num, Src: p.mac, Kind: TransmitMarkerResponse, Marker: m.Reply()})
}
