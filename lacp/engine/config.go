package engine

import (
	"log/slog"
	"net"
	"time"

	"github.com/dxsim/dxsim/lacp"
)

// Timer constants of 802.1AX-2014 6.4.4, which Linux bonding uses too.
const (
	FastPeriodicTime   = 1 * time.Second  // periodic transmission while the Partner uses short timeouts
	SlowPeriodicTime   = 30 * time.Second // periodic transmission while the Partner uses long timeouts
	ShortTimeoutTime   = 3 * time.Second  // current_while_timer with short timeouts
	LongTimeoutTime    = 90 * time.Second // current_while_timer with long timeouts
	AggregateWaitTime  = 2 * time.Second  // wait_while_timer: ports that arrive together attach together
	ChurnDetectionTime = 60 * time.Second // actor_ and partner_churn_timer, as Linux's AD_CHURN_DETECTION_TIME
)

// LinuxSelectionDelay is Linux bonding's aggregator selection timer
// (bond_3ad.c AD_AGGREGATOR_SELECTION_TIMER), for Config.SelectionDelay.
const LinuxSelectionDelay = 8 * time.Second

// LinuxTick is how often Linux bonding runs its 802.3ad state machines
// (bond_3ad.c AD_TIMER_INTERVAL, 100 ms), for Config.Tick.
const LinuxTick = 100 * time.Millisecond

// maxTxPerFastPeriod is the transmit machine's limit (6.4.16): no more than
// three LACPDUs in any Fast_Periodic_Time.
const maxTxPerFastPeriod = 3

// Defaults for zero Config fields. They are Linux bonding's.
const (
	DefaultSystemPriority = 65535
	DefaultPortPriority   = 255
	DefaultKey            = 1
)

// Config is an Engine's System and the administrative defaults of its ports.
type Config struct {
	// SystemPriority and System form the Actor's System ID (6.3.2). Zero
	// SystemPriority means DefaultSystemPriority; System must be set.
	SystemPriority uint16
	System         lacp.SystemID

	// Key is every port's initial administrative key (6.3.5); zero means
	// DefaultKey. Ports with equal keys may aggregate.
	Key uint16
	// PortPriority is every port's initial priority; zero means
	// DefaultPortPriority.
	PortPriority uint16
	// Passive makes ports passive (LACP_Activity FALSE): they speak only to
	// an active Partner. By default ports are active.
	Passive bool
	// Slow asks the Partner for long timeouts (LACP_Timeout FALSE: it sends
	// every 30 s and is timed out after 90 s). By default ports ask for short
	// timeouts (Linux lacp_rate fast).
	Slow bool

	// AggregateWait is the wait_while_timer (6.4.15); zero means
	// AggregateWaitTime. Use a negative value for no wait at all.
	AggregateWait time.Duration
	// SelectionDelay, when positive, holds every port out of
	// COLLECTING_DISTRIBUTING until that long after the first port is added:
	// Linux bonding's aggregator selection timer (LinuxSelectionDelay).
	// Zero, the standard's behaviour, by default.
	SelectionDelay time.Duration
	// Tick, when positive, switches on the Linux timing mode: the engine
	// runs its machines as Linux 6.1's bond_3ad_state_machine_handler
	// does, once every Tick (use LinuxTick), with every timer counting
	// ticks, and sends on a port only every third tick. Received PDUs are
	// still taken at once, but what they cause waits for the next tick.
	// The timers count ten ticks to the second as Linux's do
	// (ad_ticks_per_sec), so a longer Tick, such as the 105 ms a kernel
	// under load ticks at, stretches them all. Zero, the default, is the
	// event-driven engine of the standard. See the package doc.
	Tick time.Duration
	// TickFrom, in the Linux timing mode, is when the bond came up: Linux
	// starts its handler as the bond opens, not as it gets a port, so the
	// ticks keep that phase. A first port added between two ticks then
	// sends its first LACPDU on the third tick after, 200-300 ms later as
	// on a bond, and the selection timer ends on the 80th. Zero: tick 0 is
	// the first port's addition.
	TickFrom time.Time
	// Stable keeps the active aggregator while one of its ports is
	// enabled and it has a Partner, as Linux bonding's default
	// ad_select=stable does: a port leaving it (a wrong key, say) does not
	// take the role from the ports that stay, even when its new aggregator
	// would win on count. By default the engine reselects as
	// ad_select=count does.
	Stable bool

	// CollectorMaxDelay is sent in the Collector TLV, in tens of
	// microseconds. Linux sends 0.
	CollectorMaxDelay uint16

	// Logger receives every event at debug level. Nil discards.
	Logger *slog.Logger
}

// PortConfig adds a port to an Engine.
type PortConfig struct {
	// Number is the Actor's port number (6.3.4), unique in the Engine and
	// not zero.
	Number uint16
	// MAC is the port's address: the source of its frames. Optional when
	// the caller sends PDU values rather than frames.
	MAC net.HardwareAddr
}

// PortAdmin is what an operator (or a training scenario) can change on a
// running port with SetPortAdmin. Zero Key and Priority are invalid.
type PortAdmin struct {
	Key      uint16 // administrative key; a key unlike the Partner's LAG keeps the port out of it
	Priority uint16 // port priority
	Passive  bool   // LACP_Activity FALSE
	Slow     bool   // LACP_Timeout FALSE: ask the Partner for long timeouts

	// Silent is a fault: the port keeps running its machines but sends
	// nothing, so its Partner times it out.
	Silent bool
	// Flap is a fault: the port bounces on a schedule while its link is up.
	Flap Flap
}

// Flap bounces a port: Up with the link up, then Down with it down, and
// again, for as long as it is set. Both must be positive to take effect.
type Flap struct {
	Up, Down time.Duration
}

func (f Flap) enabled() bool { return f.Up > 0 && f.Down > 0 }

func (c Config) withDefaults() Config {
	if c.SystemPriority == 0 {
		c.SystemPriority = DefaultSystemPriority
	}
	if c.Key == 0 {
		c.Key = DefaultKey
	}
	if c.PortPriority == 0 {
		c.PortPriority = DefaultPortPriority
	}
	switch {
	case c.AggregateWait == 0:
		c.AggregateWait = AggregateWaitTime
	case c.AggregateWait < 0:
		c.AggregateWait = 0
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// partnerAdmin is the Partner information a port records while it has heard
// no Partner (recordDefault, 6.4.9). The values are Linux bonding's, which
// make a defaulted port Individual, passive and slow.
var partnerAdmin = lacp.PortInfo{
	SystemPriority: DefaultSystemPriority,
	Key:            1,
	PortPriority:   DefaultPortPriority,
	Port:           1,
}
