package sim

import (
	"slices"
	"time"
)

// ConnectionKind says what a Connection record is. Interconnects share the
// record because they take part in LAGs exactly as dedicated connections do.
type ConnectionKind string

const (
	KindDedicated    ConnectionKind = "dedicated"
	KindHosted       ConnectionKind = "hosted"
	KindInterconnect ConnectionKind = "interconnect"
)

// Connection, LAG, interconnect and virtual-interface states, as the service
// model spells them.
const (
	StateOrdering   = "ordering"
	StateRequested  = "requested"
	StatePending    = "pending"
	StateAvailable  = "available"
	StateDown       = "down"
	StateDeleting   = "deleting"
	StateDeleted    = "deleted"
	StateRejected   = "rejected"
	StateConfirming = "confirming"
	StateVerifying  = "verifying"
)

// Encryption modes a LAG or connection may have.
const (
	EncryptNo     = "no_encrypt"
	EncryptShould = "should_encrypt"
	EncryptMust   = "must_encrypt"
)

// Tag is a resource tag.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value,omitempty"`
}

// MACsecKey is a MACsec key associated with a dedicated connection or LAG.
type MACsecKey struct {
	SecretARN string `json:"secretARN"`
	CKN       string `json:"ckn"`
	State     string `json:"state"`
	StartOn   string `json:"startOn,omitempty"`
}

// Connection is a dedicated connection, a hosted connection or an interconnect.
type Connection struct {
	ID            string         `json:"id"`
	Kind          ConnectionKind `json:"kind"`
	Name          string         `json:"name"`
	Owner         string         `json:"owner"`
	State         string         `json:"state"`
	Region        string         `json:"region"`
	Location      string         `json:"location"`
	Bandwidth     string         `json:"bandwidth"`
	Device        string         `json:"device"`
	LAGID         string         `json:"lagId,omitempty"`
	ParentID      string         `json:"parentId,omitempty"` // hosted: the interconnect or LAG carrying it
	Partner       string         `json:"partner,omitempty"`  // hosted: the account that allocated it
	VLAN          int            `json:"vlan,omitempty"`     // hosted only
	PartnerName   string         `json:"partnerName,omitempty"`
	ProviderName  string         `json:"providerName,omitempty"`
	LOAIssueTime  time.Time      `json:"loaIssueTime"`
	MACsecCapable bool           `json:"macSecCapable,omitempty"`
	Encryption    string         `json:"encryptionMode,omitempty"`
	MACsecKeys    []MACsecKey    `json:"macSecKeys,omitempty"`
	Tags          []Tag          `json:"tags,omitempty"`

	// Since is when State was entered; the provisioning schedule counts from it.
	Since time.Time `json:"since"`
	// Created is when it was ordered (zero in states from before it was kept).
	Created time.Time `json:"created,omitzero"`
	// Transitioning is set from an associate or disassociate until the link
	// has converged; another associate or disassociate is refused meanwhile.
	Transitioning bool `json:"transitioning,omitempty"`

	// EncryptionDown is derived, never stored: the connection must encrypt
	// (its own or its LAG's encryptionMode is must_encrypt) and has no MACsec
	// key to encrypt with, so it carries no traffic and reports down.
	EncryptionDown bool `json:"-"`
}

// LAG is a link aggregation group. Its members are the connections whose
// LAGID names it.
type LAG struct {
	ID                      string      `json:"id"`
	Name                    string      `json:"name"`
	Owner                   string      `json:"owner"`
	State                   string      `json:"state"`
	Region                  string      `json:"region"`
	Location                string      `json:"location"`
	Bandwidth               string      `json:"bandwidth"`
	Device                  string      `json:"device"`
	MinimumLinks            int         `json:"minimumLinks"`
	AllowsHostedConnections bool        `json:"allowsHostedConnections,omitempty"`
	ProviderName            string      `json:"providerName,omitempty"`
	MACsecCapable           bool        `json:"macSecCapable,omitempty"`
	Encryption              string      `json:"encryptionMode,omitempty"`
	MACsecKeys              []MACsecKey `json:"macSecKeys,omitempty"`
	Tags                    []Tag       `json:"tags,omitempty"`
	Since                   time.Time   `json:"since"`
	Created                 time.Time   `json:"created,omitzero"` // when it was ordered
}

// VIF types.
const (
	VIFPrivate = "private"
	VIFPublic  = "public"
	VIFTransit = "transit"
)

// VIF is a virtual interface on a connection, hosted connection or LAG.
type VIF struct {
	ID                     string    `json:"id"`
	Type                   string    `json:"type"`
	Name                   string    `json:"name"`
	Owner                  string    `json:"owner"`
	State                  string    `json:"state"`
	Region                 string    `json:"region"`
	Location               string    `json:"location"`
	Device                 string    `json:"device,omitempty"` // the AWS device of its connection or LAG
	ConnectionID           string    `json:"connectionId"`     // dxcon-… or dxlag-…
	VLAN                   int       `json:"vlan"`
	ASN                    int64     `json:"asn"`
	AmazonSideASN          int64     `json:"amazonSideAsn,omitempty"`
	AuthKey                string    `json:"authKey,omitempty"`
	AmazonAddress          string    `json:"amazonAddress,omitempty"`
	CustomerAddress        string    `json:"customerAddress,omitempty"`
	AddressFamily          string    `json:"addressFamily,omitempty"`
	MTU                    int       `json:"mtu,omitempty"`
	VirtualGatewayID       string    `json:"virtualGatewayId,omitempty"`
	DirectConnectGatewayID string    `json:"directConnectGatewayId,omitempty"`
	RouteFilterPrefixes    []string  `json:"routeFilterPrefixes,omitempty"`
	EnableSiteLink         bool      `json:"siteLinkEnabled,omitempty"`
	Tags                   []Tag     `json:"tags,omitempty"`
	Since                  time.Time `json:"since"`
	// Peers are its BGP peers (see bgp.go); empty until the first
	// CreateBGPPeer, when the peer it was created with is its only one.
	Peers []BGPPeer `json:"bgpPeers,omitempty"`
	// Allocator is the account that allocated a hosted VIF for its owner.
	Allocator string `json:"allocator,omitempty"`

	// live is each peer's session, up or not, as the data plane reports
	// it: set on the copies describes return, never kept.
	live map[string]bool
}

// State is the control plane's whole state. Objects in it are never modified
// in place: a change replaces the pointer with an updated copy, so readers
// holding an old pointer see a consistent object.
type State struct {
	Connections map[string]*Connection
	LAGs        map[string]*LAG
	VIFs        map[string]*VIF
	// Pending holds, as loaded, the intents a crash left unfinished, in
	// commit order. New runs them and empties it.
	Pending []*Intent
	// Records holds, as loaded, each connection's last association record.
	Records map[string]*AssociationRecord
	// Gone holds deleted objects still described, by ID.
	Gone map[string]*Gone
	// Direct Connect gateways, their associations and association
	// proposals, by ID (see dxgw.go).
	Gateways            map[string]*DXGateway
	GatewayAssociations map[string]*GatewayAssociation
	GatewayProposals    map[string]*GatewayProposal
	// Agreements holds each account's signed customer agreements, by account.
	Agreements map[string]*Agreements
	// FailoverTests are the BGP failover tests, running and past, by test ID.
	FailoverTests map[string]*FailoverTest
	// Faults are the training faults set, by ID (see fault.go).
	Faults map[string]*Fault
}

// NewState returns an empty state.
func NewState() *State {
	return &State{
		Connections: map[string]*Connection{},
		LAGs:        map[string]*LAG{},
		VIFs:        map[string]*VIF{},
		Gone:        map[string]*Gone{},

		Gateways:            map[string]*DXGateway{},
		GatewayAssociations: map[string]*GatewayAssociation{},
		GatewayProposals:    map[string]*GatewayProposal{},
		Agreements:          map[string]*Agreements{},
		FailoverTests:       map[string]*FailoverTest{},
		Faults:              map[string]*Fault{},
	}
}

// Members returns the connections (dedicated and interconnects) in a LAG,
// sorted by ID.
func (s *State) Members(lagID string) []*Connection {
	var out []*Connection
	for _, c := range s.Connections {
		if c.LAGID == lagID && c.Kind != KindHosted && c.State != StateDeleted {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b *Connection) int { return compareIDs(a.ID, b.ID) })
	return out
}

// Hosted returns the hosted connections carried by an interconnect or LAG.
func (s *State) Hosted(parentID string) []*Connection {
	var out []*Connection
	for _, c := range s.Connections {
		if c.Kind == KindHosted && c.ParentID == parentID && c.State != StateDeleted {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b *Connection) int { return compareIDs(a.ID, b.ID) })
	return out
}

// VIFsOn returns the virtual interfaces whose parent is id.
func (s *State) VIFsOn(id string) []*VIF {
	var out []*VIF
	for _, v := range s.VIFs {
		if v.ConnectionID == id && v.State != StateDeleted {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b *VIF) int { return compareIDs(a.ID, b.ID) })
	return out
}

// Operational counts a LAG's members that carry traffic.
func (s *State) Operational(lagID string) int {
	n := 0
	for _, c := range s.Members(lagID) {
		if c.State == StateAvailable && !c.Transitioning && !s.encryptionDown(c) {
			n++
		}
	}
	return n
}

// encryptionDown reports whether c must encrypt but cannot: with
// must_encrypt, a member goes down when encryption is down. The keys and
// mode that govern a LAG member are the LAG's.
func (s *State) encryptionDown(c *Connection) bool {
	mode, keys := c.Encryption, len(c.MACsecKeys)
	if c.LAGID == "" { // most connections: a describe looked up "" for each
		return mode == EncryptMust && keys == 0
	}
	if l, ok := s.LAGs[c.LAGID]; ok {
		mode, keys = l.Encryption, len(l.MACsecKeys)
	}
	return mode == EncryptMust && keys == 0
}

// Present returns c as clients see it: a connection whose encryption is
// down reports down, whatever its link.
func (s *State) Present(c *Connection) *Connection {
	if !s.encryptionDown(c) {
		return c
	}
	n := c.clone()
	n.EncryptionDown = true
	if n.State == StateAvailable {
		n.State = StateDown
	}
	return n
}

func (s *State) presentAll(cs []*Connection) []*Connection {
	for i, c := range cs {
		cs[i] = s.Present(c)
	}
	return cs
}

func compareIDs(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (c *Connection) clone() *Connection {
	n := *c
	n.MACsecKeys = slices.Clone(c.MACsecKeys)
	n.Tags = slices.Clone(c.Tags)
	return &n
}

func (l *LAG) clone() *LAG {
	n := *l
	n.MACsecKeys = slices.Clone(l.MACsecKeys)
	n.Tags = slices.Clone(l.Tags)
	return &n
}

func (v *VIF) clone() *VIF {
	n := *v
	n.RouteFilterPrefixes = slices.Clone(v.RouteFilterPrefixes)
	n.Tags = slices.Clone(v.Tags)
	n.Peers = slices.Clone(v.Peers)
	return &n
}
