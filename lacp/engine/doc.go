// Package engine is dxsim's IEEE 802.1AX-2014 LACP actor: the receive,
// periodic transmission, selection, mux and transmit machines of clause 6.4
// for a set of Aggregation Ports that share one System, as a pure library.
//
// The engine owns no goroutine, socket or clock. Its inputs are received
// LACPDUs (as lacp.LACPDU values through Receive, or as Ethernet frames
// through ReceiveFrame), port up and down (SetPortUp), administrative changes
// (SetPortAdmin) and the current time, passed to every call and to Advance.
// Its outputs are drained by the caller: LACPDUs and Marker Responses to send
// (AppendTransmits, each able to render its frame), events that name every
// state change of every machine with a Reason (AppendEvents), and per-port
// collecting and distributing decisions (Event.Decision, Port,
// AppendDistributing).
// NextDeadline says when the engine next needs Advance, so a driver sleeps
// until then and a test jumps there: a 90 s timeout runs in microseconds.
//
// One Engine behaves like one Linux 802.3ad bond: one System (priority and
// MAC), any number of ports, an aggregator per LAG ID, and one active
// aggregator whose ports collect and distribute. The active aggregator is
// chosen as Linux's ad_select=count policy does (most ports wins) rather
// than its default "stable", so the outcome does not depend on which port
// came up first. A customer router is simply another Engine.
//
// Checkpoint and Resume carry an Engine over a restart of the process that
// drives it: the ports' Actor and Partner information and machine states
// are kept, the timers restart at the resume (see Resume), and a port that
// was collecting and distributing still is, so its Partner never times it
// out.
//
// # Machines
//
// Receive (6.4.12):
//
//	INITIALIZE -> PORT_DISABLED -(port_enabled)-> EXPIRED -(PDU)-> CURRENT
//	EXPIRED -(current_while expired)-> DEFAULTED -(PDU)-> CURRENT
//	CURRENT -(current_while expired)-> EXPIRED
//	any -(!port_enabled)-> PORT_DISABLED
//
// Periodic transmission (6.4.13): NO_PERIODIC while the port is disabled or
// both Actor and Partner are passive; otherwise FAST_PERIODIC (1 s) while the
// Partner asks for short timeouts and SLOW_PERIODIC (30 s) while it asks for
// long ones, setting NTT each time the periodic timer expires.
//
// Selection logic (6.4.14): an UNSELECTED port whose mux is DETACHED joins
// the aggregator of its LAG ID (Actor and Partner System and key), or a new
// one; an Individual port (either end not aggregatable, as a defaulted
// Partner is not) gets one of its own. A change of Partner or of key
// unselects the port.
//
// Mux (6.4.15), coupled control, as Linux bonding uses by default:
// collecting and distributing are switched together.
//
//	DETACHED -(SELECTED)-> WAITING -(SELECTED && Ready)-> ATTACHED
//	ATTACHED -(SELECTED && Partner.Sync && aggregator active)-> COLLECTING_DISTRIBUTING
//	COLLECTING_DISTRIBUTING -(UNSELECTED || !Partner.Sync || aggregator inactive)-> ATTACHED
//	WAITING, ATTACHED -(UNSELECTED)-> DETACHED
//
// Transmit (6.4.16): an LACPDU whenever NTT is set, at most three in any
// Fast_Periodic_Time (1 s); a fourth waits until the oldest of the three is a
// second old. Nothing is sent while the periodic machine is in NO_PERIODIC.
// Marker Information PDUs are answered with Marker Responses (6.5).
//
// Churn detection (6.4.17): ACTOR_CHURN (PARTNER_CHURN) when the Actor
// (Partner) has not been in sync for Churn_Detection_Time, 60 s, while the
// port is enabled: a port that cannot join its LAG says so, as Linux's
// "churned" does.
//
// Not modelled: STANDBY selection (no limit on the ports of an aggregator),
// Port_Moved, loopback detection, LACP version 2 TLVs and independent
// control.
//
// # Differences from the bare standard, taken from Linux bonding
//
// A port whose link goes down is UNSELECTED and detaches from its aggregator
// (Linux restarts a port's machines when its link changes). A port in an
// aggregator that is not the bond's active one does not assert
// Synchronization, so neither side collects or distributes on it (Linux
// bond_3ad.c, AD_MUX_ATTACHED). Config.SelectionDelay reproduces the timer
// Linux arms when a bond's first port is added (8 s in bond_3ad.c), during
// which no port starts collecting and distributing; it is zero by default.
package engine
