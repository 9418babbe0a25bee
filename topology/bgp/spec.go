package bgp

import (
	"net/netip"
	"time"
)

// Router is one side of one VIF: a BGP speaker with its neighbours.
type Router struct {
	// ID names the router (the VIF's ID, with the side when both run in one
	// test).
	ID string `json:"id"`
	// ASN is this side's autonomous system number.
	ASN uint32 `json:"asn"`
	// RouterID is the BGP identifier; the first IPv4 local address when
	// zero.
	RouterID netip.Addr `json:"routerId,omitzero"`
	// Peers are the neighbours, one per BGP peer of the VIF.
	Peers []Peer `json:"peers"`
	// Announce are the prefixes this side advertises to every neighbour.
	Announce []Route `json:"announce,omitempty"`
	// Install puts the best routes learned into the namespace's main
	// routing table (the customer router does; Amazon's side does not).
	Install bool `json:"install,omitempty"`
	// Metric is the priority of the routes Install puts in the table (0:
	// the kernel's default). Routers in one namespace that may learn the
	// same prefix (a customer router's VIFs) each need their own: the
	// kernel keeps one route per prefix and metric, and the lowest metric
	// carries the traffic while its session is up.
	Metric uint32 `json:"metric,omitempty"`
	// Report makes the speaker tell, in its events, the routes each
	// neighbour's session has accepted (Event.Routes), as Amazon's side
	// does for the Region behind it.
	Report bool `json:"report,omitempty"`
	// Reset names what carries the sessions (the VIF's connection or LAG):
	// when it changes, every established session is reset (a Cease,
	// administrative reset), as AWS's routers reset a VIF's BGP when the
	// VIF moves to another connection or LAG.
	Reset string `json:"reset,omitempty"`
	// ResetAgain resets every established session whenever it changes to
	// a new value (not when it is cleared): a training fault's reset.
	ResetAgain string `json:"resetAgain,omitempty"`
}

// Peer is one BGP neighbour of a router.
type Peer struct {
	// Local is this side's address on the VIF's interface; the router
	// listens on it (port 179) and connects from it.
	Local netip.Addr `json:"local"`
	// Address is the neighbour's.
	Address netip.Addr `json:"address"`
	// ASN is the neighbour's autonomous system number.
	ASN uint32 `json:"asn"`
	// AuthKey is the TCP MD5 password ("" for none).
	AuthKey string `json:"authKey,omitempty"`
	// HoldTime and Keepalive are the timers this side offers, in seconds
	// (90 and 30 when zero); the session uses the lower of both sides'.
	HoldTime  uint32 `json:"holdTime,omitempty"`
	Keepalive uint32 `json:"keepalive,omitempty"`
	// MaxPrefixes is how many prefixes the neighbour may advertise before
	// the session is shut (0: no limit).
	MaxPrefixes uint32 `json:"maxPrefixes,omitempty"`
	// LimitRestart is how long, in seconds, a session shut for too many
	// prefixes stays down before it is tried again (0: until the peer is
	// set again), as a router's maximum-prefix restart does.
	LimitRestart uint32 `json:"limitRestart,omitempty"`
	// Down holds the session administratively down.
	Down bool `json:"down,omitempty"`
	// Passive waits for the neighbour to connect and never connects
	// itself. With both sides connecting, GoBGP's handling of the two
	// connections (RFC 4271, 6.8) now and then leaves both in OpenConfirm
	// until the hold time passes.
	Passive bool `json:"passive,omitempty"`
}

// Route is a prefix to advertise, with its BGP communities (each as
// ASN<<16 | value: 7224:8100 is 7224<<16 | 8100).
type Route struct {
	Prefix      netip.Prefix `json:"prefix"`
	Communities []uint32     `json:"communities,omitempty"`
	// Prepend is how many more times the router's ASN leads the AS path
	// (an AS-path prepend): a neighbour sees a path of 1 + Prepend ASNs,
	// and prefers a shorter one from elsewhere.
	Prepend int `json:"prepend,omitempty"`
}

// Path is a route a router has accepted from a neighbour: the neighbour's
// own paths only, not those refused for an AS loop, best or not.
type Path struct {
	Prefix  netip.Prefix `json:"prefix"`
	NextHop netip.Addr   `json:"nextHop"`
	// Communities are as Route's (ASN<<16 | value).
	Communities []uint32 `json:"communities,omitempty"`
	// ASPathLen counts the ASNs of the AS path's sequences, an AS_SET
	// counting one (RFC 4271, 9.1.2.2), as best-path selection does.
	ASPathLen int `json:"asPathLen"`
}

// Session states, as BGP names them (RFC 4271), and as Event.State carries
// them.
const (
	StateIdle        = "idle"
	StateConnect     = "connect"
	StateActive      = "active"
	StateOpenSent    = "opensent"
	StateOpenConfirm = "openconfirm"
	StateEstablished = "established"
)

// Event is what happened to one session: its state changed, or the
// prefixes it has received did (their counts, and with Router.Report the
// routes).
type Event struct {
	Router string     `json:"router"`
	Peer   netip.Addr `json:"peer"`
	Time   time.Time  `json:"time"`
	// State is the session's state after the event.
	State string `json:"state"`
	// AdminDown: the session is held down (Peer.Down), or shut for too
	// many prefixes (PrefixLimit).
	AdminDown   bool `json:"adminDown,omitempty"`
	PrefixLimit bool `json:"prefixLimit,omitempty"`
	// Received and Accepted count the prefixes the neighbour advertises,
	// all families.
	Received uint64 `json:"received"`
	Accepted uint64 `json:"accepted"`
	// Reason says why a session left Established, as GoBGP tells it.
	Reason string `json:"reason,omitempty"`
	// HasRoutes marks an event of a router with Report that carries the
	// routes the session has accepted, all of them, sorted by prefix:
	// sent when they change, and empty whenever the session leaves
	// Established.
	HasRoutes bool   `json:"hasRoutes,omitempty"`
	Routes    []Path `json:"routes,omitempty"`
}

// Established reports whether the session is up.
func (e Event) Established() bool { return e.State == StateEstablished }

// command is one line to a speaker: set a router (add or change it) or
// delete one.
type command struct {
	Seq    uint64  `json:"seq"`
	Set    *Router `json:"set,omitempty"`
	Delete string  `json:"delete,omitempty"`
}

// reply is one line from a speaker: a command done (with its error), or an
// event.
type reply struct {
	Done  uint64 `json:"done,omitempty"`
	Error string `json:"error,omitempty"`
	Event *Event `json:"event,omitempty"`
}
