package engine

//go:generate go tool stringer -type=Machine,MachineState,Reason -linecomment -output=enums_string.go

// Machine names one of a port's state machines.
type Machine uint8

// The machines whose state changes are reported as events.
const (
	// The receive machine, 802.1AX-2014 6.4.12; the periodic transmission
	// machine, 6.4.13; the selection logic, 6.4.14; the mux machine,
	// 6.4.15; the churn detection machines, 6.4.17.
	MachineReceive      Machine = iota + 1 // receive
	MachinePeriodic                        // periodic
	MachineSelection                       // selection
	MachineMux                             // mux
	MachineActorChurn                      // actor churn
	MachinePartnerChurn                    // partner churn
)

// MachineState is a state of one of a port's machines, spelled as 802.1AX
// spells it.
type MachineState uint8

// States of the receive machine (6.4.12), the periodic transmission machine
// (6.4.13), the selection logic's Selected variable (6.4.8) and the mux
// machine (6.4.15, coupled control), and of the churn detection machines
// (6.4.17).
const (
	RxInitialize   MachineState = iota + 1 // INITIALIZE
	RxPortDisabled                         // PORT_DISABLED
	RxExpired                              // EXPIRED
	RxDefaulted                            // DEFAULTED
	RxCurrent                              // CURRENT

	NoPeriodic   // NO_PERIODIC
	FastPeriodic // FAST_PERIODIC
	SlowPeriodic // SLOW_PERIODIC

	Unselected // UNSELECTED
	Selected   // SELECTED

	MuxDetached               // DETACHED
	MuxWaiting                // WAITING
	MuxAttached               // ATTACHED
	MuxCollectingDistributing // COLLECTING_DISTRIBUTING

	NoActorChurn        // NO_ACTOR_CHURN
	ActorChurnMonitor   // ACTOR_CHURN_MONITOR
	ActorChurn          // ACTOR_CHURN
	NoPartnerChurn      // NO_PARTNER_CHURN
	PartnerChurnMonitor // PARTNER_CHURN_MONITOR
	PartnerChurn        // PARTNER_CHURN
)

// Reason says why a machine changed state.
type Reason uint8

// Reasons for state changes.
const (
	// the port was added (BEGIN)
	ReasonBegin Reason = iota + 1 // begin
	// the link came up
	ReasonPortUp // port up
	// the link went down
	ReasonPortDown // port down
	// the flap schedule took the port down or up
	ReasonFlap // flap
	// an LACPDU was received
	ReasonPDU // LACPDU received
	// current_while_timer expired: the Partner went quiet
	ReasonCurrentWhile // current_while expired
	// the Partner's identity or aggregation changed
	ReasonPartnerChanged // partner changed
	// an administrative change (key, activity, timeout)
	ReasonAdmin // admin change
	// the selection logic chose an aggregator
	ReasonSelected // aggregator selected
	// the port lost its aggregator
	ReasonUnselected // unselected
	// wait_while_timer expired on every waiting port of the aggregator
	ReasonReady // ready
	// the Partner asserted Synchronization
	ReasonPartnerInSync // partner in sync
	// the Partner withdrew Synchronization
	ReasonPartnerOutOfSync // partner out of sync
	// the port's aggregator became the bond's active one
	ReasonAggregatorActive // aggregator active
	// another aggregator became the bond's active one
	ReasonAggregatorInactive // aggregator inactive
	// Config.SelectionDelay ran out
	ReasonSelectionDelay // selection delay over
	// the Actor asserted Synchronization
	ReasonActorInSync // actor in sync
	// the Actor withdrew Synchronization
	ReasonActorOutOfSync // actor out of sync
	// a churn detection timer expired: no Synchronization for Churn_Detection_Time
	ReasonChurn // churn detected
)
