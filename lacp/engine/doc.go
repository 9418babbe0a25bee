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
//
// # The Linux timing mode
//
// By default the engine is event-driven: a received PDU or a timer runs the
// machines at once, and a port joining a running LAG converges in about
// 2.03 s. A Linux bond takes 2.4-2.8 s, because bond_3ad.c (as in Linux 6.1)
// runs every machine from a handler that ticks every 100 ms. Config.Tick
// (LinuxTick) makes the engine do the same, so that its milestones land on
// the ticks a kernel bond's would:
//
//   - One tick for the whole Engine, as one handler per bond; tick 0 is the
//     instant the first port is added. At each tick every port, in port
//     order, runs its receive machine (timers only), periodic machine,
//     selection logic, mux, transmit and churn machines once each, in that
//     order (bond_3ad_state_machine_handler): one step a tick, so a change
//     one machine makes reaches an earlier one at the next tick.
//   - Every timer counts ticks, ten to the second as Linux's do
//     (ad_ticks_per_sec): current_while 30 (900) ticks, the periodic timer
//     10 (300) with a tick in PERIODIC_TX, so the first NTT comes 9 ticks
//     after FAST_PERIODIC is entered; wait_while 20; churn 600;
//     Config.SelectionDelay (LinuxSelectionDelay: 80) from the first port's
//     addition. A Tick other than LinuxTick stretches them all, as a kernel
//     whose work queue runs late does (the capture in lacp/testdata ticked
//     every 105 ms).
//   - A port transmits only on every third tick after it was added
//     (sm_tx_timer_counter, set to 3 by bond_3ad_bind_slave and reset to 3
//     each time it runs out, whatever link changes): an LACPDU if NTT is
//     set and its link is up, the periodic machine not consulted. A port
//     added and brought up together first sends 200-300 ms later.
//   - A received LACPDU is taken by the receive machine at once
//     (bond_3ad_lacpdu_recv): the Partner is recorded, the port may be
//     unselected and NTT set, but nothing is sent and the mux does not move
//     before the next tick. A PDU that finds the port still PORT_DISABLED
//     moves it to EXPIRED and is lost, as in Linux.
//   - Linux's selection logic: an UNSELECTED port moves to the aggregator of
//     its LAG ID at the next tick whatever its mux is doing, so a port that
//     learns its Partner while WAITING keeps waiting where it was; a
//     DETACHED port may already be in an aggregator, and holds its Ready
//     back. Synchronization follows the aggregator's active role without
//     NTT, as in Linux; a port leaves COLLECTING_DISTRIBUTING when its
//     aggregator loses the role.
//   - Churn detection as Linux's: both machines restart in MONITOR when the
//     receive machine is initialised, expires or first hears a Partner, and
//     decide once, when Churn_Detection_Time has run: NO_CHURN if in sync
//     then, CHURN if not.
//   - A link coming up restarts the port's machines at the next tick (BEGIN,
//     from the speed returning) and asks to transmit. Adding a port starts
//     its machines at the next tick. Removing one sends at once, outside the transmit
//     machine, a last LACPDU without Synchronization, Collecting,
//     Distributing and Aggregation (bond_3ad_unbind_slave). Marker
//     Responses go at once.
//   - Where the engine departs from Linux: a link going down detaches the
//     port at once (Linux takes the port out of the bond's transmit array at
//     once but leaves its mux be until the link returns), so no port that is
//     down is reported distributing, and the active aggregator is chosen
//     again at once, as Linux does; no loopback check; Counters.TxDeferred
//     stays zero.
//
// NextDeadline reports a tick only when something can happen at it (a timer
// runs out, a port with NTT reaches its transmit tick, or the tick before
// changed something or had input), so an idle LAG wakes its driver a few
// times a second, not ten times.
package engine
