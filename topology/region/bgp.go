package region

import (
	"net/netip"

	"github.com/dxsim/dxsim/sim/bus"
	"github.com/dxsim/dxsim/topology/bgp"
)

// BGPLearner is what the region needs of a bgp.Controller.
type BGPLearner interface {
	Learned() []bgp.Learned
	SubscribeLearned(limit int) *bus.Sub[string]
}

// FromBGP is the Learner of a bgp.Controller: what Amazon's side of each
// VIF accepted.
func FromBGP(c BGPLearner) Learner { return bgpLearner{c} }

type bgpLearner struct{ c BGPLearner }

func (l bgpLearner) Paths() []Path {
	learned := l.c.Learned()
	out := make([]Path, 0, len(learned))
	for _, r := range learned {
		out = append(out, Path{VIFID: r.VIFID, Prefix: r.Prefix, NextHop: r.NextHop, Communities: r.Communities, ASPathLen: r.ASPathLen})
	}
	return out
}

func (l bgpLearner) SubscribePaths(limit int) *bus.Sub[string] { return l.c.SubscribeLearned(limit) }

// BuiltinCustomerNets gives, for a VIF, the network of dxsim's builtin
// customer router it is on (a bgp.Controller's Customer), for the routed
// probe to start from.
func BuiltinCustomerNets(c interface{ Customer() []bgp.CustomerSession }) CustomerNets {
	return func(vifID string) (netip.Prefix, bool) {
		for _, s := range c.Customer() {
			if s.VIFID == vifID && s.Network.IsValid() {
				return s.Network, true
			}
		}
		return netip.Prefix{}, false
	}
}
