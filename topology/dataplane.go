package topology

import (
	"log/slog"
	"time"
)

// Options configure a DataPlane.
type Options struct {
	// Backend is "auto" (kernel where bonding and 802.1Q exist, userspace
	// elsewhere), "kernel" or "userspace".
	Backend string
	// Prefix starts every namespace name: "<prefix>-dx-<device>" and
	// "<prefix>-cr-<device>". It must start with "dxsim"; DefaultPrefix
	// when empty. A lab uses its own, so two labs never share a namespace.
	Prefix string
	// Ownership, when set, records the namespaces this data plane made:
	// only those are adopted, repaired and deleted (by Reconcile and
	// Teardown); another namespace matching the prefix is left alone and
	// logged once. When nil, every namespace matching the prefix is this
	// data plane's.
	Ownership Ownership
	// Logger receives what the data plane decides; slog.Default when nil.
	Logger *slog.Logger
	// Now timestamps steps and events; time.Now when nil.
	Now func() time.Time
	// PollInterval is how often LAG members' LACP state is read; 200ms
	// when zero. The bond reports its per-member 802.3ad state on request,
	// not in link notifications.
	PollInterval time.Duration

	// linkBuffer, when not zero, is the link watches' receive buffer in
	// bytes instead of linkwatch's default: tests make it tiny to overflow.
	linkBuffer int
}

func (o Options) withDefaults() Options {
	if o.Backend == "" {
		o.Backend = "auto"
	}
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 200 * time.Millisecond
	}
	return o
}
