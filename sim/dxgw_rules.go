package sim

import (
	"net/netip"
	"regexp"
	"slices"
	"strings"
)

// Rules of Direct Connect gateways, their associations and the VIFs attached
// to them. Like those in rules.go they are pure functions of the state and a
// request.

// Rule names of the Direct Connect gateway rules.
const (
	// RuleGatewayInUse: a gateway with associations or attached VIFs
	// cannot be deleted; a virtual private gateway has one Direct Connect
	// gateway.
	RuleGatewayInUse = "gateway-in-use"
	// RuleGatewayKind: a Direct Connect gateway serves either virtual
	// private gateways (and private VIFs) or transit gateways (and transit
	// VIFs), not both.
	RuleGatewayKind = "gateway-kind"
	// RulePrefixes: allowed prefixes are CIDRs, required for a transit
	// gateway, at most PrefixesPerTransitAssoc of them.
	RulePrefixes = "allowed-prefixes"
)

// Virtual private gateway and transit gateway IDs, as EC2 writes them: 8 or
// 17 hexadecimal digits. dxsim keeps no catalogue of them, so any ID of this
// form is taken to name an existing gateway in the caller's account.
var (
	vgwID = regexp.MustCompile(`^vgw-([0-9a-f]{8}|[0-9a-f]{17})$`)
	tgwID = regexp.MustCompile(`^tgw-([0-9a-f]{8}|[0-9a-f]{17})$`)
)

// CheckAssociatedGatewayID returns the type of the gateway an ID names.
func CheckAssociatedGatewayID(id string) (string, error) {
	switch {
	case vgwID.MatchString(id):
		return GatewayVirtualPrivate, nil
	case tgwID.MatchString(id):
		return GatewayTransit, nil
	}
	return "", clientErr(RuleInvalidArgument, "%q is not a virtual private gateway (vgw-…) or transit gateway (tgw-…) ID.", id)
}

// CheckAmazonSideASN: a Direct Connect gateway's ASN is private, 64512-65534
// or 4200000000-4294967294.
func CheckAmazonSideASN(asn int64) error {
	if (asn >= 64512 && asn <= 65534) || (asn >= 4200000000 && asn <= 4294967294) {
		return nil
	}
	return clientErr(RuleInvalidArgument, "amazonSideAsn %d is not a private ASN: it must be in the range 64512-65534 or 4200000000-4294967294.", asn)
}

// CheckPrefixes: every allowed prefix is a CIDR, an IPv6 one /64 or shorter
// (as the model's CIDR documentation says). Duplicates count once; the order
// given is kept.
func CheckPrefixes(prefixes []string) ([]string, error) {
	var out []string
	for _, p := range prefixes {
		pf, err := netip.ParsePrefix(strings.TrimSpace(p))
		if err != nil {
			return nil, clientErr(RulePrefixes, "Allowed prefix %q is not a CIDR.", p)
		}
		if pf.Addr().Is6() && pf.Bits() > 64 {
			return nil, clientErr(RulePrefixes, "Allowed prefix %s is longer than /64; an IPv6 prefix must be /64 or shorter.", p)
		}
		if !slices.Contains(out, pf.String()) {
			out = append(out, pf.String())
		}
	}
	return out, nil
}

// checkPrefixCount: an association to a transit gateway needs allowed
// prefixes (AWS advertises nothing to it otherwise), at most
// PrefixesPerTransitAssoc. A virtual private gateway's association without
// any gets the VPC's CIDRs (the catalogue's), as in AWS.
func checkPrefixCount(kind, associated string, prefixes []string) error {
	if kind != GatewayTransit {
		return nil
	}
	if len(prefixes) == 0 {
		return clientErr(RulePrefixes, "An association with transit gateway %s needs allowed prefixes (addAllowedPrefixesToDirectConnectGateway).", associated)
	}
	if len(prefixes) > PrefixesPerTransitAssoc {
		return clientErr(RulePrefixes, "An association with transit gateway %s can have at most %d allowed prefixes; it would have %d.", associated, PrefixesPerTransitAssoc, len(prefixes))
	}
	return nil
}

func gatewayNotFound(id string) error {
	return clientErr(RuleNotFound, "Direct Connect gateway %s does not exist.", id)
}

// findGateway finds a gateway of account that is not being deleted.
func findGateway(st *State, account, id string) (*DXGateway, error) {
	g, ok := st.Gateways[id]
	if !ok || g.Owner != account || g.State == StateDeleting || g.State == StateDeleted {
		return nil, gatewayNotFound(id)
	}
	return g, nil
}

// liveAssociations returns a gateway's associations that still bind, sorted by ID.
func (s *State) liveAssociations(gatewayID string) []*GatewayAssociation {
	var out []*GatewayAssociation
	for _, a := range s.GatewayAssociations {
		if a.GatewayID == gatewayID && a.live() {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b *GatewayAssociation) int { return compareIDs(a.ID, b.ID) })
	return out
}

// attachedVIFs returns the VIFs attached to a gateway, sorted by ID.
func (s *State) attachedVIFs(gatewayID string) []*VIF {
	var out []*VIF
	for _, v := range s.VIFs {
		if v.DirectConnectGatewayID == gatewayID && v.State != StateDeleted {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b *VIF) int { return compareIDs(a.ID, b.ID) })
	return out
}

// CheckDeleteGateway: a gateway with associations or attached VIFs cannot be
// deleted (the operation's documentation).
func CheckDeleteGateway(st *State, g *DXGateway) error {
	if as := st.liveAssociations(g.ID); len(as) > 0 {
		ids := make([]string, len(as))
		for i, a := range as {
			ids[i] = a.AssociatedID
		}
		return clientErr(RuleGatewayInUse, "Direct Connect gateway %s is associated with %s; delete the associations first.", g.ID, strings.Join(ids, ", "))
	}
	if vs := st.attachedVIFs(g.ID); len(vs) > 0 {
		return clientErr(RuleGatewayInUse, "Direct Connect gateway %s has virtual interfaces attached (%s); delete them first.", g.ID, vifIDs(vs))
	}
	return nil
}

// checkKind: a Direct Connect gateway associated with, or attached to,
// transit gateways and transit VIFs takes no virtual private gateways or
// private VIFs, and the other way round (the user guide: a gateway
// associated with a virtual private gateway or attached to a private VIF
// cannot be associated with a transit gateway). kind is a gateway type.
func checkKind(st *State, g *DXGateway, kind, what string) error {
	other := GatewayVirtualPrivate
	otherVIF := VIFPrivate
	if kind == GatewayVirtualPrivate {
		other, otherVIF = GatewayTransit, VIFTransit
	}
	for _, a := range st.liveAssociations(g.ID) {
		if a.AssociatedType == other {
			return clientErr(RuleGatewayKind, "Direct Connect gateway %s is associated with %s, so %s cannot use it.", g.ID, a.AssociatedID, what)
		}
	}
	for _, v := range st.attachedVIFs(g.ID) {
		if v.Type == otherVIF {
			return clientErr(RuleGatewayKind, "Direct Connect gateway %s has %s virtual interface %s attached, so %s cannot use it.", g.ID, otherVIF, v.ID, what)
		}
	}
	return nil
}

// CheckNewAssociation applies the rules of a new association of g with the
// gateway associated (of type kind): a virtual private gateway has one
// Direct Connect gateway; a pair is associated once; the gateway serves one
// kind; quotas; prefixes.
func CheckNewAssociation(st *State, g *DXGateway, kind, associated string, prefixes []string) error {
	n := 0
	for _, a := range st.GatewayAssociations {
		if !a.live() || a.AssociatedID != associated {
			continue
		}
		if a.GatewayID == g.ID {
			return clientErr(RuleGatewayInUse, "%s is already associated with Direct Connect gateway %s (association %s).", associated, g.ID, a.ID)
		}
		if kind == GatewayVirtualPrivate {
			return clientErr(RuleGatewayInUse, "Virtual private gateway %s is already associated with Direct Connect gateway %s; a virtual private gateway can be associated with one Direct Connect gateway.", associated, a.GatewayID)
		}
	}
	what := "virtual private gateway " + associated
	if kind == GatewayTransit {
		what = "transit gateway " + associated
	}
	if err := checkKind(st, g, kind, what); err != nil {
		return err
	}
	for _, a := range st.liveAssociations(g.ID) {
		if a.AssociatedType == kind {
			n++
		}
	}
	limit := VirtualGatewaysPerDXGateway
	if kind == GatewayTransit {
		limit = TransitGatewaysPerDXGateway
	}
	if n >= limit {
		return clientErr(RuleQuota, "Direct Connect gateway %s already has %d %s associations, the limit.", g.ID, n, kind)
	}
	return checkPrefixCount(kind, associated, prefixes)
}

// CheckVIFAttachment applies the rules of a private or transit VIF created
// on a Direct Connect gateway: the gateway exists and is the caller's (in
// AWS, another account's VIF reaches it only as a hosted VIF its owner
// accepts), it serves the VIF's kind, and it has room.
func CheckVIFAttachment(st *State, account string, in CreateVIFInput) error {
	if in.DirectConnectGatewayID == "" {
		if in.Type == VIFTransit {
			return clientErr(RuleInvalidArgument, "A transit virtual interface needs a directConnectGatewayId.")
		}
		return nil
	}
	g, err := findGateway(st, account, in.DirectConnectGatewayID)
	if err != nil {
		return err
	}
	kind := GatewayVirtualPrivate
	if in.Type == VIFTransit {
		kind = GatewayTransit
	}
	if err := checkKind(st, g, kind, "a "+in.Type+" virtual interface"); err != nil {
		return err
	}
	if n := len(st.attachedVIFs(g.ID)); n >= VIFsPerDXGateway {
		return clientErr(RuleQuota, "Direct Connect gateway %s already has %d virtual interfaces attached, the limit.", g.ID, n)
	}
	return nil
}
