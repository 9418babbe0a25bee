package sim

import (
	"fmt"
	"io"
	"slices"
	"time"
)

// Direct Connect gateways.
//
// A Direct Connect gateway is global: it belongs to an account, not to a
// Region, and its ID is a UUID. Private and transit VIFs attach to it (a VIF
// created with its directConnectGatewayId), and it is associated with
// virtual private gateways (vgw-…) or transit gateways (tgw-…), each
// association with the prefixes Amazon advertises through it. An account
// that does not own the gateway proposes an association; the gateway's owner
// accepts it.
//
//	gateway:     pending → available;  deleting → (no longer described)
//	association: associating → associated (⇄ updating);
//	             disassociating → disassociated → (no longer described)
//	proposal:    requested → accepted | deleted → (no longer described)
//
// States move on the Schedule: pending, associating and updating end after
// Confirm; deleting and disassociating after Deleting; disassociated
// associations and settled proposals are still described for Retain.

// Direct Connect gateway, association and proposal states, as the model
// spells them.
const (
	StateAssociating    = "associating"
	StateAssociated     = "associated"
	StateDisassociating = "disassociating"
	StateDisassociated  = "disassociated"
	StateUpdating       = "updating"
	StateAccepted       = "accepted"
)

// Associated gateway types, as the model spells them.
const (
	GatewayVirtualPrivate = "virtualPrivateGateway"
	GatewayTransit        = "transitGateway"
)

// DefaultAmazonSideASN is a Direct Connect gateway's ASN when none is given.
const DefaultAmazonSideASN = 64512

// Limits AWS applies to Direct Connect gateways (the Direct Connect quotas
// page): associations of each kind per gateway, allowed prefixes per transit
// gateway association, and private or transit VIFs attached to a gateway.
const (
	VirtualGatewaysPerDXGateway = 10
	TransitGatewaysPerDXGateway = 3
	PrefixesPerTransitAssoc     = 20
	VIFsPerDXGateway            = 30
)

// DXGateway is a Direct Connect gateway.
type DXGateway struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	Owner         string    `json:"owner"`
	State         string    `json:"state"`
	AmazonSideASN int64     `json:"amazonSideAsn"`
	Tags          []Tag     `json:"tags,omitempty"`
	Since         time.Time `json:"since"`
}

// GatewayAssociation associates a Direct Connect gateway with a virtual
// private gateway or a transit gateway.
type GatewayAssociation struct {
	ID             string `json:"id"`
	GatewayID      string `json:"gatewayId"`    // the Direct Connect gateway
	GatewayOwner   string `json:"gatewayOwner"` // its account
	AssociatedID   string `json:"associatedId"` // vgw-… or tgw-…
	AssociatedType string `json:"associatedType"`
	// AssociatedOwner and AssociatedRegion are the associated gateway's
	// account and Region: the caller's (or the proposer's) and the
	// endpoint's Region, as dxsim keeps no catalogue of VPCs and gateways.
	AssociatedOwner  string    `json:"associatedOwner"`
	AssociatedRegion string    `json:"associatedRegion"`
	AllowedPrefixes  []string  `json:"allowedPrefixes,omitempty"`
	State            string    `json:"state"`
	Since            time.Time `json:"since"`
}

// GatewayProposal is an account's proposal to associate its virtual private
// or transit gateway with another account's Direct Connect gateway.
type GatewayProposal struct {
	ID               string    `json:"id"`
	GatewayID        string    `json:"gatewayId"`
	GatewayOwner     string    `json:"gatewayOwner"`
	AssociatedID     string    `json:"associatedId"`
	AssociatedType   string    `json:"associatedType"`
	AssociatedOwner  string    `json:"associatedOwner"` // the proposer
	AssociatedRegion string    `json:"associatedRegion"`
	Existing         []string  `json:"existing,omitempty"`  // the association's prefixes when proposed
	Requested        []string  `json:"requested,omitempty"` // the prefixes proposed
	State            string    `json:"state"`
	Since            time.Time `json:"since"`
}

func (g *DXGateway) lifecycle() (string, string, *time.Time) { return g.ID, g.State, &g.Since }

func (a *GatewayAssociation) lifecycle() (string, string, *time.Time) {
	return a.ID, a.State, &a.Since
}

func (p *GatewayProposal) lifecycle() (string, string, *time.Time) { return p.ID, p.State, &p.Since }

func (g *DXGateway) clone() *DXGateway {
	n := *g
	n.Tags = slices.Clone(g.Tags)
	return &n
}

func (a *GatewayAssociation) clone() *GatewayAssociation {
	n := *a
	n.AllowedPrefixes = slices.Clone(a.AllowedPrefixes)
	return &n
}

func (p *GatewayProposal) clone() *GatewayProposal {
	n := *p
	n.Existing = slices.Clone(p.Existing)
	n.Requested = slices.Clone(p.Requested)
	return &n
}

// live reports whether an association still binds its gateways: the rules
// (quotas, one Direct Connect gateway per virtual private gateway, no
// deleting a gateway in use) count it.
func (a *GatewayAssociation) live() bool { return a.State != StateDisassociated }

func (t *txn) putGateway(g *DXGateway)              { put(t, t.st.Gateways, g) }
func (t *txn) putAssociation(a *GatewayAssociation) { put(t, t.st.GatewayAssociations, a) }
func (t *txn) putProposal(p *GatewayProposal)       { put(t, t.st.GatewayProposals, p) }

// gatewayDropped marks, in a transaction's dirty set, a Direct Connect
// gateway, association or proposal no longer described: the commit removes
// it from the store.
type gatewayDropped struct{}

// drop removes a gateway object that is no longer described, remembering
// how to undo that.
func drop[T any](t *txn, m map[string]*T, id string) {
	old, had := m[id]
	if !had {
		return
	}
	t.undo = append(t.undo, func() { m[id] = old })
	delete(m, id)
	t.mark(id, gatewayDropped{})
}

// newUUID returns a random (version 4) UUID, the form of Direct Connect
// gateway, association and proposal IDs.
func newUUID(r io.Reader) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("reading random ID bytes: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}

func (s *Service) newUUID() (string, error) {
	id, err := newUUID(s.rand)
	if err != nil {
		return "", serverErr(err)
	}
	return id, nil
}
