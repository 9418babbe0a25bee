// Package labctl is the control socket of a running `dxsim lab up`.
//
// With the userspace backend a lab's LAGs and VIFs exist only inside the
// process that made them: its LACP engine drives their TAP devices. Another
// process reading the kernel sees them missing. So while `lab up` runs it
// serves, on a unix socket that belongs to the lab, the status it sees and a
// request to stop; `lab status` and `lab down` ask it there first. The same
// goes for a lab's BGP, on either backend: its speakers are children of
// that process, and only it knows their sessions.
//
// The protocol is HTTP over the socket:
//
//	GET  /status  200 Report; 503 Problem while stopping
//	POST /stop    200 Problem (the pid): the process closes its data plane and exits
//
// The socket file is the process's claim on the lab: a second `lab up` that
// finds someone answering there refuses to start a second engine, and one
// that finds a stale file (nothing listening) replaces it; `lab down`
// removes a stale file (RemoveStale).
package labctl

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology"
)

// DefaultDir holds the labs' sockets. It is made 0700: only its owner (root,
// who alone can build a lab) may reach a lab's engine.
const DefaultDir = "/run/dxsim"

// Report is what a running `lab up` answers on GET /status.
type Report struct {
	PID     int    `json:"pid"`
	Lab     string `json:"lab"`
	Backend string `json:"backend"`
	Why     string `json:"why"` // why this backend was chosen
	// Status is the data plane as the serving process sees it: with the
	// userspace backend, its own engine's LAGs and LACP states included.
	Status topology.Status `json:"status"`
	// BGP are the Amazon side's sessions of the lab's VIFs, as the
	// process's speakers last reported them; none for a lab without BGP.
	BGP []sim.BGPSession `json:"bgp,omitempty"`
}

// Problem is the body of every answer that is not a Report: the serving
// process's pid and, for a failure, what went wrong.
type Problem struct {
	PID   int    `json:"pid"`
	Error string `json:"error,omitempty"`
}

// SocketPath is the socket of the lab whose namespaces start with prefix.
// The prefix must be one path element: a lab's prefix ("dxsim-<name>") is.
func SocketPath(dir, prefix string) (string, error) {
	if prefix == "" || prefix == "." || prefix == ".." || strings.ContainsAny(prefix, "/\x00") {
		return "", fmt.Errorf("lab prefix %q cannot name a socket", prefix)
	}
	return filepath.Join(dir, prefix+".sock"), nil
}
