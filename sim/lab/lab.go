// Package lab reads dxsim lab files: a set of AWS devices with their
// connections, LAGs and virtual interfaces, to be built as real links without
// the Direct Connect API. A file is read into raw structs that mirror its
// JSON, then resolved into a checked Lab whose Snapshot the data plane
// reconciles to, and whose BGP (a VIF with an ASN has a session) a
// topology/bgp controller runs over a Source.
package lab

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"

	"github.com/dxsim/dxsim/sim"
)

// File is a lab file as written.
type File struct {
	// Name names the lab; its namespaces are "dxsim-<name>-…". It has no
	// "dx" or "cr" part (see CheckName).
	Name string `json:"name"`
	// CustomerRouter runs the customer's side of each VIF's BGP:
	// CustomerBuiltin (when empty) or CustomerNone.
	CustomerRouter string `json:"customerRouter,omitempty"`
	// LACPTimers is the LAGs' LACP timing: TimersLinux (when empty), as
	// the Linux bonds of the kernel backend, on either backend, or
	// Timers8021AX, the standard's alone (userspace backend only).
	LACPTimers string   `json:"lacpTimers,omitempty"`
	Devices    []Device `json:"devices"`
	// Faults are training faults the lab starts with (sim.FaultSpec, as
	// `dxsim fault set` and dxsim's API take them).
	Faults []sim.FaultSpec `json:"faults,omitempty"`
}

// Customer routers, as topology/bgp names them.
const (
	// CustomerBuiltin: dxsim runs a speaker in the customer router's
	// namespace that announces a network of its own.
	CustomerBuiltin = "builtin"
	// CustomerNone: the user runs a router there (FRR, BIRD, …).
	CustomerNone = "none"
)

// LACP timings of File.LACPTimers, as topology names them.
const (
	// TimersLinux: Linux bonding's timers, the 8 s aggregator selection
	// timer on a LAG's first member included.
	TimersLinux = "linux"
	// Timers8021AX: IEEE 802.1AX's timers alone, as a peer that is not
	// Linux might run them.
	Timers8021AX = "802.1ax"
)

// Device is one AWS device (a DX endpoint) and what terminates on it.
type Device struct {
	ID          string       `json:"id"`       // e.g. "EqDC2-1a2b3c4d5e6f"
	Location    string       `json:"location"` // e.g. "EqDC2"
	LAGs        []LAG        `json:"lags,omitempty"`
	Connections []Connection `json:"connections,omitempty"`
	VIFs        []VIF        `json:"vifs,omitempty"`
}

// LAG is a link aggregation group on the device.
type LAG struct {
	ID           string `json:"id"`
	Bandwidth    string `json:"bandwidth,omitempty"` // of each member; "10Gbps" when empty
	MinimumLinks int    `json:"minimumLinks,omitempty"`
}

// Connection is a dedicated connection: a port.
type Connection struct {
	ID        string `json:"id"`
	Bandwidth string `json:"bandwidth,omitempty"` // "10Gbps" when empty
	LAG       string `json:"lag,omitempty"`       // the LAG it is a member of
}

// VIF is a virtual interface: a VLAN on a connection or a LAG.
type VIF struct {
	ID              string `json:"id"`
	On              string `json:"on"` // the dxcon-… or dxlag-… that carries it
	VLAN            int    `json:"vlan"`
	AmazonAddress   string `json:"amazonAddress,omitempty"`   // CIDR
	CustomerAddress string `json:"customerAddress,omitempty"` // CIDR

	// A VIF with an ASN has a BGP session between the two addresses, with
	// AWS's settings; without one, the fields below must be empty.

	ASN       int64 `json:"asn,omitempty"`       // the customer's, 1-4294967294
	AmazonASN int64 `json:"amazonAsn,omitempty"` // 64512 when empty
	// AuthKey is the session's MD5 key. AWS always sets one; when empty, one
	// is derived from the lab's name and the VIF's ID, the same every run.
	AuthKey string `json:"authKey,omitempty"`
	// Type is private (when empty), public or transit: it sets how many
	// prefixes the customer may announce.
	Type string `json:"type,omitempty"`
	// Announce are the prefixes Amazon advertises (CIDRs of the session's
	// family); none when empty.
	Announce []string `json:"announce,omitempty"`
}

// Lab is a resolved lab: checked, with defaults filled in.
type Lab struct {
	Name     string
	Prefix   string // the data plane's namespace prefix
	Snapshot sim.Snapshot
	// BGP is the Amazon side of each VIF with an ASN, in file order; each
	// has one peer, whose ID is PeerID of the VIF's.
	BGP []sim.BGPRouter
	// CustomerRouter is CustomerBuiltin or CustomerNone.
	CustomerRouter string
	// LACPTimers is TimersLinux or Timers8021AX.
	LACPTimers string
	// Faults are the lab's training faults, in file order: the ports' are
	// in Snapshot too, the VIFs' in their BGP routers.
	Faults []sim.Fault
}

// Load reads and resolves a lab file.
func Load(path string) (*Lab, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	defer f.Close()
	l, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("lab %s: %w", path, err)
	}
	return l, nil
}

// Read parses and resolves a lab file's contents. Unknown fields are
// errors: a misspelt field would otherwise silently build something else.
func Read(r io.Reader) (*Lab, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("parsing: %w", err)
	}
	return f.Resolve()
}

// Default is the built-in lab: one location, one device, a LAG of two
// connections with minimum links 1, and one standalone connection with a
// private VIF that has BGP.
func Default() *Lab {
	l, err := Read(bytes.NewReader(defaultJSON))
	if err != nil {
		panic("lab: the built-in default lab does not resolve: " + err.Error())
	}
	return l
}

// DefaultJSON is the built-in lab as a lab file, a starting point for one's
// own.
func DefaultJSON() []byte { return bytes.Clone(defaultJSON) }

var defaultJSON = []byte(`{
  "name": "default",
  "devices": [
    {
      "id": "EqDC2-1a2b3c4d5e6f",
      "location": "EqDC2",
      "lags": [
        {"id": "dxlag-lab00001", "bandwidth": "10Gbps", "minimumLinks": 1}
      ],
      "connections": [
        {"id": "dxcon-lab00001", "bandwidth": "10Gbps", "lag": "dxlag-lab00001"},
        {"id": "dxcon-lab00002", "bandwidth": "10Gbps", "lag": "dxlag-lab00001"},
        {"id": "dxcon-lab00003", "bandwidth": "10Gbps"}
      ],
      "vifs": [
        {"id": "dxvif-lab00001", "on": "dxcon-lab00003", "vlan": 101,
         "amazonAddress": "169.254.10.1/30", "customerAddress": "169.254.10.2/30",
         "asn": 65000, "announce": ["10.0.0.0/16"]}
      ]
    }
  ]
}
`)

var (
	nameRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,23}$`)
	deviceRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,39}$`)
	idRE     = map[string]*regexp.Regexp{
		"dxcon": regexp.MustCompile(`^dxcon-[a-z0-9]{8}$`),
		"dxlag": regexp.MustCompile(`^dxlag-[a-z0-9]{8}$`),
		"dxvif": regexp.MustCompile(`^dxvif-[a-z0-9]{8}$`),
	}
)
