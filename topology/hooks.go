package topology

import (
	"sync"

	"github.com/vishvananda/netns"

	"github.com/dxsim/dxsim/sim"
)

// Move is a port move the data plane is about to make, as it announces it to
// the hooks given to OnMove: what the control plane asked for (with the
// operation and its request time), where the port really is, and the
// namespaces of both its ends.
type Move struct {
	sim.Move
	// Found is the LAG the port is in as the move starts, "" when
	// standalone: Move.From, unless a crash or a hand edit put it elsewhere.
	Found  string
	Device string
	// AWS and Customer are the device's namespace and its customer
	// router's. They are the data plane's and valid while the hook runs: a
	// hook that keeps one duplicates it.
	AWS, Customer netns.NsHandle
}

// MoveHook is told of each move the data plane makes, before the port goes
// down. It returns what to call when the move is over (the port up again, or
// the move failed), or nil. It runs inside the move, so it starts what it
// needs (a capture, a probe) and returns; it never waits.
type MoveHook func(Move) (done func(sim.StepTimes, error))

// moveHooks is the hooks a data plane announces its moves to.
type moveHooks struct {
	mu   sync.Mutex
	next int
	m    map[int]MoveHook
}

func (h *moveHooks) add(f MoveHook) (remove func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m == nil {
		h.m = map[int]MoveHook{}
	}
	id := h.next
	h.next++
	h.m[id] = f
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.m, id)
	}
}

// announce tells every hook of m and returns what to tell them when it is
// over.
func (h *moveHooks) announce(m Move) (done func(sim.StepTimes, error)) {
	h.mu.Lock()
	hooks := make([]MoveHook, 0, len(h.m))
	for _, f := range h.m {
		hooks = append(hooks, f)
	}
	h.mu.Unlock()
	var dones []func(sim.StepTimes, error)
	for _, f := range hooks {
		if d := f(m); d != nil {
			dones = append(dones, d)
		}
	}
	return func(st sim.StepTimes, err error) {
		for _, d := range dones {
			d(st, err)
		}
	}
}
