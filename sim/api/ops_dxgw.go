package api

import (
	"context"

	"github.com/dxsim/dxsim/sim"
)

// Direct Connect gateways, their associations, association proposals and
// attachments.

func (o *ops) CreateDirectConnectGateway(ctx context.Context, in *CreateDirectConnectGatewayRequest) (*CreateDirectConnectGatewayResult, error) {
	g, err := o.svc.CreateDirectConnectGateway(ctx, accountFrom(ctx), sim.CreateGatewayInput{
		Name: in.DirectConnectGatewayName, AmazonSideASN: in.AmazonSideAsn, Tags: fromTags(in.Tags),
	})
	if err != nil {
		return nil, err
	}
	return &CreateDirectConnectGatewayResult{DirectConnectGateway: ptr(toGateway(g))}, nil
}

func (o *ops) DescribeDirectConnectGateways(ctx context.Context, in *DescribeDirectConnectGatewaysRequest) (*DescribeDirectConnectGatewaysResult, error) {
	gs, err := o.svc.DirectConnectGateways(accountFrom(ctx), in.DirectConnectGatewayId)
	if err != nil {
		return nil, err
	}
	gs, next, err := page(gs, func(g *sim.DXGateway) string { return g.ID }, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &DescribeDirectConnectGatewaysResult{NextToken: next, DirectConnectGateways: make([]DirectConnectGateway, len(gs))}
	for i, g := range gs {
		out.DirectConnectGateways[i] = toGateway(g)
	}
	return out, nil
}

func (o *ops) UpdateDirectConnectGateway(ctx context.Context, in *UpdateDirectConnectGatewayRequest) (*UpdateDirectConnectGatewayResponse, error) {
	g, err := o.svc.UpdateDirectConnectGateway(ctx, accountFrom(ctx), in.DirectConnectGatewayId, in.NewDirectConnectGatewayName)
	if err != nil {
		return nil, err
	}
	return &UpdateDirectConnectGatewayResponse{DirectConnectGateway: ptr(toGateway(g))}, nil
}

func (o *ops) DeleteDirectConnectGateway(ctx context.Context, in *DeleteDirectConnectGatewayRequest) (*DeleteDirectConnectGatewayResult, error) {
	g, err := o.svc.DeleteDirectConnectGateway(ctx, accountFrom(ctx), in.DirectConnectGatewayId)
	if err != nil {
		return nil, err
	}
	return &DeleteDirectConnectGatewayResult{DirectConnectGateway: ptr(toGateway(g))}, nil
}

func (o *ops) CreateDirectConnectGatewayAssociation(ctx context.Context, in *CreateDirectConnectGatewayAssociationRequest) (*CreateDirectConnectGatewayAssociationResult, error) {
	a, err := o.svc.CreateDirectConnectGatewayAssociation(ctx, accountFrom(ctx), sim.CreateAssociationInput{
		GatewayID: in.DirectConnectGatewayId, AssociatedID: in.GatewayId, VirtualGatewayID: in.VirtualGatewayId,
		Prefixes: fromPrefixes(in.AddAllowedPrefixesToDirectConnectGateway),
	})
	if err != nil {
		return nil, err
	}
	return &CreateDirectConnectGatewayAssociationResult{DirectConnectGatewayAssociation: ptr(toAssociation(a))}, nil
}

func (o *ops) DescribeDirectConnectGatewayAssociations(ctx context.Context, in *DescribeDirectConnectGatewayAssociationsRequest) (*DescribeDirectConnectGatewayAssociationsResult, error) {
	as, err := o.svc.GatewayAssociations(accountFrom(ctx), sim.AssociationFilter{
		AssociationID: in.AssociationId, GatewayID: in.DirectConnectGatewayId, AssociatedID: in.AssociatedGatewayId,
		VirtualGatewayID: in.VirtualGatewayId,
	})
	if err != nil {
		return nil, err
	}
	as, next, err := page(as, func(a *sim.GatewayAssociation) string { return a.ID }, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &DescribeDirectConnectGatewayAssociationsResult{NextToken: next, DirectConnectGatewayAssociations: make([]DirectConnectGatewayAssociation, len(as))}
	for i, a := range as {
		out.DirectConnectGatewayAssociations[i] = toAssociation(a)
	}
	return out, nil
}

func (o *ops) UpdateDirectConnectGatewayAssociation(ctx context.Context, in *UpdateDirectConnectGatewayAssociationRequest) (*UpdateDirectConnectGatewayAssociationResult, error) {
	a, err := o.svc.UpdateDirectConnectGatewayAssociation(ctx, accountFrom(ctx), in.AssociationId,
		fromPrefixes(in.AddAllowedPrefixesToDirectConnectGateway), fromPrefixes(in.RemoveAllowedPrefixesToDirectConnectGateway))
	if err != nil {
		return nil, err
	}
	return &UpdateDirectConnectGatewayAssociationResult{DirectConnectGatewayAssociation: ptr(toAssociation(a))}, nil
}

func (o *ops) DeleteDirectConnectGatewayAssociation(ctx context.Context, in *DeleteDirectConnectGatewayAssociationRequest) (*DeleteDirectConnectGatewayAssociationResult, error) {
	a, err := o.svc.DeleteDirectConnectGatewayAssociation(ctx, accountFrom(ctx), in.AssociationId, in.DirectConnectGatewayId, in.VirtualGatewayId)
	if err != nil {
		return nil, err
	}
	return &DeleteDirectConnectGatewayAssociationResult{DirectConnectGatewayAssociation: ptr(toAssociation(a))}, nil
}

func (o *ops) CreateDirectConnectGatewayAssociationProposal(ctx context.Context, in *CreateDirectConnectGatewayAssociationProposalRequest) (*CreateDirectConnectGatewayAssociationProposalResult, error) {
	p, err := o.svc.CreateDirectConnectGatewayAssociationProposal(ctx, accountFrom(ctx), sim.CreateProposalInput{
		GatewayID: in.DirectConnectGatewayId, GatewayOwner: in.DirectConnectGatewayOwnerAccount, AssociatedID: in.GatewayId,
		Add: fromPrefixes(in.AddAllowedPrefixesToDirectConnectGateway), Remove: fromPrefixes(in.RemoveAllowedPrefixesToDirectConnectGateway),
	})
	if err != nil {
		return nil, err
	}
	return &CreateDirectConnectGatewayAssociationProposalResult{DirectConnectGatewayAssociationProposal: ptr(toProposal(p))}, nil
}

func (o *ops) DescribeDirectConnectGatewayAssociationProposals(ctx context.Context, in *DescribeDirectConnectGatewayAssociationProposalsRequest) (*DescribeDirectConnectGatewayAssociationProposalsResult, error) {
	ps, err := o.svc.GatewayProposals(accountFrom(ctx), sim.ProposalFilter{
		ProposalID: in.ProposalId, GatewayID: in.DirectConnectGatewayId, AssociatedID: in.AssociatedGatewayId,
	})
	if err != nil {
		return nil, err
	}
	ps, next, err := page(ps, func(p *sim.GatewayProposal) string { return p.ID }, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &DescribeDirectConnectGatewayAssociationProposalsResult{NextToken: next, DirectConnectGatewayAssociationProposals: make([]DirectConnectGatewayAssociationProposal, len(ps))}
	for i, p := range ps {
		out.DirectConnectGatewayAssociationProposals[i] = toProposal(p)
	}
	return out, nil
}

func (o *ops) AcceptDirectConnectGatewayAssociationProposal(ctx context.Context, in *AcceptDirectConnectGatewayAssociationProposalRequest) (*AcceptDirectConnectGatewayAssociationProposalResult, error) {
	a, err := o.svc.AcceptDirectConnectGatewayAssociationProposal(ctx, accountFrom(ctx), sim.AcceptProposalInput{
		GatewayID: in.DirectConnectGatewayId, ProposalID: in.ProposalId, AssociatedOwner: in.AssociatedGatewayOwnerAccount,
		Override: fromPrefixes(in.OverrideAllowedPrefixesToDirectConnectGateway),
	})
	if err != nil {
		return nil, err
	}
	return &AcceptDirectConnectGatewayAssociationProposalResult{DirectConnectGatewayAssociation: ptr(toAssociation(a))}, nil
}

func (o *ops) DeleteDirectConnectGatewayAssociationProposal(ctx context.Context, in *DeleteDirectConnectGatewayAssociationProposalRequest) (*DeleteDirectConnectGatewayAssociationProposalResult, error) {
	p, err := o.svc.DeleteDirectConnectGatewayAssociationProposal(ctx, accountFrom(ctx), in.ProposalId)
	if err != nil {
		return nil, err
	}
	return &DeleteDirectConnectGatewayAssociationProposalResult{DirectConnectGatewayAssociationProposal: ptr(toProposal(p))}, nil
}

func (o *ops) DescribeDirectConnectGatewayAttachments(ctx context.Context, in *DescribeDirectConnectGatewayAttachmentsRequest) (*DescribeDirectConnectGatewayAttachmentsResult, error) {
	as, err := o.svc.GatewayAttachments(accountFrom(ctx), in.DirectConnectGatewayId, in.VirtualInterfaceId)
	if err != nil {
		return nil, err
	}
	as, next, err := page(as, func(a sim.GatewayAttachment) string { return a.VIF.ID }, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &DescribeDirectConnectGatewayAttachmentsResult{NextToken: next, DirectConnectGatewayAttachments: make([]DirectConnectGatewayAttachment, len(as))}
	for i, a := range as {
		out.DirectConnectGatewayAttachments[i] = toAttachment(a)
	}
	return out, nil
}
