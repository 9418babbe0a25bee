package lab

import (
	"cmp"
	"slices"
	"strings"
	"sync"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/bus"
)

// Source is a lab's BGP as topology/bgp's controller reads it (it is a
// bgp.Source): the lab file's routers, which never change, and the sessions
// the controller reports, kept for `lab status` and told to watchers.
type Source struct {
	routers []sim.BGPRouter

	mu     sync.Mutex
	byPeer map[string]sim.BGPSession
	bus    bus.Bus[sim.BGPSession]
}

// NewSource returns a source of the routers; Close ends its watchers.
func NewSource(routers []sim.BGPRouter) *Source {
	return &Source{routers: slices.Clone(routers), byPeer: map[string]sim.BGPSession{}}
}

// BGPRouters returns the lab's routers.
func (s *Source) BGPRouters() ([]sim.BGPRouter, error) { return slices.Clone(s.routers), nil }

// Subscribe returns a channel of state changes: a lab's routers never
// change, so nothing comes until stop closes it.
func (s *Source) Subscribe(int) (<-chan sim.StateChange, func()) {
	c := make(chan sim.StateChange)
	var once sync.Once
	return c, func() { once.Do(func() { close(c) }) }
}

// SetBGPSession keeps a session's latest report and tells the watchers.
func (s *Source) SetBGPSession(b sim.BGPSession) {
	s.mu.Lock()
	s.byPeer[b.PeerID] = b
	s.mu.Unlock()
	s.bus.Publish(b)
}

// ForgetBGPSession drops a session the controller no longer runs.
func (s *Source) ForgetBGPSession(peerID string) {
	s.mu.Lock()
	delete(s.byPeer, peerID)
	s.mu.Unlock()
}

// Sessions returns the sessions' latest reports, by VIF and peer.
func (s *Source) Sessions() []sim.BGPSession {
	s.mu.Lock()
	out := make([]sim.BGPSession, 0, len(s.byPeer))
	for _, b := range s.byPeer {
		out = append(out, b)
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b sim.BGPSession) int {
		return cmp.Or(strings.Compare(a.VIFID, b.VIFID), strings.Compare(a.PeerID, b.PeerID))
	})
	return out
}

// Watch returns every session report from now on (see bus.Bus.Subscribe
// for limit).
func (s *Source) Watch(limit int) *bus.Sub[sim.BGPSession] { return s.bus.Subscribe(limit) }

// Close ends the watches once they have delivered what was reported.
func (s *Source) Close() { s.bus.Close() }
