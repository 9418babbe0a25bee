package engine

import "fmt"

// Machine names one of a port's state machines.
type Machine uint8

// The machines whose state changes are reported as events.
const (
	MachineReceive      Machine = iota + 1 // 802.1AX-2014 6.4.12
	MachinePeriodic                        // 6.4.13
	MachineSelection                       // 6.4.14
	MachineMux                             // 6.4.15
	MachineActorChurn                      // 6.4.17
	MachinePartnerChurn                    // 6.4.17
)

func (m Machine) String() string {
	switch m {
	case MachineReceive:
		return "receive"
	case MachinePeriodic:
		return "periodic"
	case MachineSelection:
		return "selection"
	case MachineMux:
		return "mux"
	case MachineActorChurn:
		return "actor churn"
	case MachinePartnerChurn:
		return "partner churn"
	}
	return fmt.Sprintf("Machine(%d)", uint8(m))
}

// MachineState is a state of one of a port's machines, spelled as 802.1AX
// spells it.
type MachineState uint8

// States of the receive machine (6.4.12), the periodic transmission machine
// (6.4.13), the selection logic's Selected variable (6.4.8) and the mux
// machine (6.4.15, coupled control), and of the churn detection machines
// (6.4.17).
const (
	RxInitialize MachineState = iota + 1
	RxPortDisabled
	RxExpired
	RxDefaulted
	RxCurrent

	NoPeriodic
	FastPeriodic
	SlowPeriodic

	Unselected
	Selected

	MuxDetached
	MuxWaiting
	MuxAttached
	MuxCollectingDistributing

	NoActorChurn
	ActorChurnMonitor
	ActorChurn
	NoPartnerChurn
	PartnerChurnMonitor
	PartnerChurn
)

var stateNames = [...]string{
	RxInitialize:              "INITIALIZE",
	RxPortDisabled:            "PORT_DISABLED",
	RxExpired:                 "EXPIRED",
	RxDefaulted:               "DEFAULTED",
	RxCurrent:                 "CURRENT",
	NoPeriodic:                "NO_PERIODIC",
	FastPeriodic:              "FAST_PERIODIC",
	SlowPeriodic:              "SLOW_PERIODIC",
	Unselected:                "UNSELECTED",
	Selected:                  "SELECTED",
	MuxDetached:               "DETACHED",
	MuxWaiting:                "WAITING",
	MuxAttached:               "ATTACHED",
	MuxCollectingDistributing: "COLLECTING_DISTRIBUTING",
	NoActorChurn:              "NO_ACTOR_CHURN",
	ActorChurnMonitor:         "ACTOR_CHURN_MONITOR",
	ActorChurn:                "ACTOR_CHURN",
	NoPartnerChurn:            "NO_PARTNER_CHURN",
	PartnerChurnMonitor:       "PARTNER_CHURN_MONITOR",
	PartnerChurn:              "PARTNER_CHURN",
}

func (s MachineState) String() string {
	if int(s) < len(stateNames) && stateNames[s] != "" {
		return stateNames[s]
	}
	return fmt.Sprintf("MachineState(%d)", uint8(s))
}

// Reason says why a machine changed state.
type Reason uint8

// Reasons for state changes.
const (
	ReasonBegin              Reason = iota + 1 // the port was added (BEGIN)
	ReasonPortUp                               // the link came up
	ReasonPortDown                             // the link went down
	ReasonFlap                                 // the flap schedule took the port down or up
	ReasonPDU                                  // an LACPDU was received
	ReasonCurrentWhile                         // current_while_timer expired: the Partner went quiet
	ReasonPartnerChanged                       // the Partner's identity or aggregation changed
	ReasonAdmin                                // an administrative change (key, activity, timeout)
	ReasonSelected                             // the selection logic chose an aggregator
	ReasonUnselected                           // the port lost its aggregator
	ReasonReady                                // wait_while_timer expired on every waiting port of the aggregator
	ReasonPartnerInSync                        // the Partner asserted Synchronization
	ReasonPartnerOutOfSync                     // the Partner withdrew Synchronization
	ReasonAggregatorActive                     // the port's aggregator became the bond's active one
	ReasonAggregatorInactive                   // another aggregator became the bond's active one
	ReasonSelectionDelay                       // Config.SelectionDelay ran out
	ReasonActorInSync                          // the Actor asserted Synchronization
	ReasonActorOutOfSync                       // the Actor withdrew Synchronization
	ReasonChurn                                // a churn detection timer expired: no Synchronization for Churn_Detection_Time
)

var reasonNames = [...]string{
	ReasonBegin:              "begin",
	ReasonPortUp:             "port up",
	ReasonPortDown:           "port down",
	ReasonFlap:               "flap",
	ReasonPDU:                "LACPDU received",
	ReasonCurrentWhile:       "current_while expired",
	ReasonPartnerChanged:     "partner changed",
	ReasonAdmin:              "admin change",
	ReasonSelected:           "aggregator selected",
	ReasonUnselected:         "unselected",
	ReasonReady:              "ready",
	ReasonPartnerInSync:      "partner in sync",
	ReasonPartnerOutOfSync:   "partner out of sync",
	ReasonAggregatorActive:   "aggregator active",
	ReasonAggregatorInactive: "aggregator inactive",
	ReasonSelectionDelay:     "selection delay over",
	ReasonActorInSync:        "actor in sync",
	ReasonActorOutOfSync:     "actor out of sync",
	ReasonChurn:              "churn detected",
}

func (r Reason) String() string {
	if int(r) < len(reasonNames) && reasonNames[r] != "" {
		return reasonNames[r]
	}
	return fmt.Sprintf("Reason(%d)", uint8(r))
}
