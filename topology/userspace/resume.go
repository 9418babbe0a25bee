package userspace

import (
	"time"

	"github.com/dxsim/dxsim/lacp/engine"
)

// HostCheckpoint is what a Host hands over to the process that comes after
// it (Config.OnCheckpoint, Host.Resume): its LAGs with their members and
// LACP state, and its VLANs. Their TAPs are persistent and stay in the
// namespace meanwhile, with their addresses and routes. It encodes as JSON.
type HostCheckpoint struct {
	Time  time.Time
	LAGs  []LAGCheckpoint
	VLANs []VLANConfig
}

// LAGCheckpoint is one LAG in a HostCheckpoint.
type LAGCheckpoint struct {
	Config   LAGConfig
	MinLinks int
	NextPort uint16
	Members  []MemberCheckpoint
	// Engine is the LACP engine's state; nil for a static LAG, or before
	// the engine had any.
	Engine *engine.Checkpoint `json:",omitempty"`
}

// MemberCheckpoint is a member and its LACP port number, which its partner
// knows it by.
type MemberCheckpoint struct {
	Name   string
	Number uint16
	// Sysctls are the member's own values of the sysctls quieted as it
	// first joined, for when it leaves, in the order of memberSysctls
	// ("" where it was quiet already); none when it was quiet throughout.
	Sysctls []string `json:",omitempty"`
}

// ResumeReport says what Resume adopted.
type ResumeReport struct {
	LAGs, VLANs, Members int
	// Resumed counts the LAGs whose LACP carried on from the checkpoint;
	// the others (Renegotiated) start their engine afresh.
	Resumed, Renegotiated int
	// Skipped names what the checkpoint held but the namespace no longer
	// does (a TAP or member gone), left to the caller to make again.
	Skipped []string
}
