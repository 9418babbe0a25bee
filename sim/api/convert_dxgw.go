package api

import "github.com/dxsim/dxsim/sim"

// fromPrefixes returns the CIDRs of a RouteFilterPrefixList; nil when the
// request left it out, so "not given" and "given empty" stay apart.
func fromPrefixes(ps []RouteFilterPrefix) []string {
	if ps == nil {
		return nil
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Cidr
	}
	return out
}

func toPrefixes(ps []string) []RouteFilterPrefix {
	if len(ps) == 0 {
		return nil
	}
	out := make([]RouteFilterPrefix, len(ps))
	for i, p := range ps {
		out[i] = RouteFilterPrefix{Cidr: p}
	}
	return out
}

func toGateway(g *sim.DXGateway) DirectConnectGateway {
	return DirectConnectGateway{
		DirectConnectGatewayId: g.ID, DirectConnectGatewayName: g.Name, AmazonSideAsn: ptr(g.AmazonSideASN),
		OwnerAccount: g.Owner, DirectConnectGatewayState: g.State, Tags: toTags(g.Tags),
	}
}

func toAssociation(a *sim.GatewayAssociation) DirectConnectGatewayAssociation {
	out := DirectConnectGatewayAssociation{
		DirectConnectGatewayId: a.GatewayID, DirectConnectGatewayOwnerAccount: a.GatewayOwner, AssociationState: a.State,
		AssociationId: a.ID, AllowedPrefixesToDirectConnectGateway: toPrefixes(a.AllowedPrefixes),
		AssociatedGateway: &AssociatedGateway{Id: a.AssociatedID, Type: a.AssociatedType, OwnerAccount: a.AssociatedOwner, Region: a.AssociatedRegion},
	}
	// The virtualGateway* members are the older form, set for virtual
	// private gateways only.
	if a.AssociatedType == sim.GatewayVirtualPrivate {
		out.VirtualGatewayId, out.VirtualGatewayOwnerAccount, out.VirtualGatewayRegion = a.AssociatedID, a.AssociatedOwner, a.AssociatedRegion
	}
	return out
}

func toProposal(p *sim.GatewayProposal) DirectConnectGatewayAssociationProposal {
	return DirectConnectGatewayAssociationProposal{
		ProposalId: p.ID, DirectConnectGatewayId: p.GatewayID, DirectConnectGatewayOwnerAccount: p.GatewayOwner,
		ProposalState:     p.State,
		AssociatedGateway: &AssociatedGateway{Id: p.AssociatedID, Type: p.AssociatedType, OwnerAccount: p.AssociatedOwner, Region: p.AssociatedRegion},
		ExistingAllowedPrefixesToDirectConnectGateway:  toPrefixes(p.Existing),
		RequestedAllowedPrefixesToDirectConnectGateway: toPrefixes(p.Requested),
	}
}

func toAttachment(a sim.GatewayAttachment) DirectConnectGatewayAttachment {
	kind := "PrivateVirtualInterface"
	if a.VIF.Type == sim.VIFTransit {
		kind = "TransitVirtualInterface"
	}
	return DirectConnectGatewayAttachment{
		DirectConnectGatewayId: a.GatewayID, VirtualInterfaceId: a.VIF.ID, VirtualInterfaceRegion: a.VIF.Region,
		VirtualInterfaceOwnerAccount: a.VIF.Owner, AttachmentState: a.State, AttachmentType: kind,
	}
}
