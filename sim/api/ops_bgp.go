package api

import (
	"context"

	"github.com/dxsim/dxsim/sim"
)

// Wire adapters of BGP peers, hosted VIFs, VIF attributes, virtual private
// gateways, router configurations and BGP failover tests.

func (o *ops) CreateBGPPeer(ctx context.Context, in *CreateBGPPeerRequest) (*CreateBGPPeerResponse, error) {
	n := deref(in.NewBGPPeer)
	v, err := o.svc.CreateBGPPeer(ctx, accountFrom(ctx), in.VirtualInterfaceId, sim.NewBGPPeerInput{
		ASN: asn(n.Asn, n.AsnLong), AuthKey: n.AuthKey, AddressFamily: n.AddressFamily,
		AmazonAddress: n.AmazonAddress, CustomerAddress: n.CustomerAddress,
	})
	if err != nil {
		return nil, err
	}
	return &CreateBGPPeerResponse{VirtualInterface: ptr(toVIF(v))}, nil
}

func (o *ops) DeleteBGPPeer(ctx context.Context, in *DeleteBGPPeerRequest) (*DeleteBGPPeerResponse, error) {
	v, err := o.svc.DeleteBGPPeer(ctx, accountFrom(ctx), in.VirtualInterfaceId, sim.DeleteBGPPeerInput{
		PeerID: in.BgpPeerId, ASN: asn(in.Asn, in.AsnLong), CustomerAddress: in.CustomerAddress,
	})
	if err != nil {
		return nil, err
	}
	return &DeleteBGPPeerResponse{VirtualInterface: ptr(toVIF(v))}, nil
}

func (o *ops) AllocatePrivateVirtualInterface(ctx context.Context, in *AllocatePrivateVirtualInterfaceRequest) (*VirtualInterface, error) {
	n := in.NewPrivateVirtualInterfaceAllocation
	return o.allocateVIF(ctx, in.OwnerAccount, sim.CreateVIFInput{
		Type: sim.VIFPrivate, ConnectionID: in.ConnectionId, Name: n.VirtualInterfaceName, VLAN: int(deref(n.Vlan)),
		ASN: asn(n.Asn, n.AsnLong), MTU: int(deref(n.Mtu)), AuthKey: n.AuthKey, AmazonAddress: n.AmazonAddress,
		CustomerAddress: n.CustomerAddress, AddressFamily: n.AddressFamily, Tags: fromTags(n.Tags),
	})
}

func (o *ops) AllocatePublicVirtualInterface(ctx context.Context, in *AllocatePublicVirtualInterfaceRequest) (*VirtualInterface, error) {
	n := in.NewPublicVirtualInterfaceAllocation
	var prefixes []string
	for _, p := range n.RouteFilterPrefixes {
		prefixes = append(prefixes, p.Cidr)
	}
	return o.allocateVIF(ctx, in.OwnerAccount, sim.CreateVIFInput{
		Type: sim.VIFPublic, ConnectionID: in.ConnectionId, Name: n.VirtualInterfaceName, VLAN: int(deref(n.Vlan)),
		ASN: asn(n.Asn, n.AsnLong), AuthKey: n.AuthKey, AmazonAddress: n.AmazonAddress,
		CustomerAddress: n.CustomerAddress, AddressFamily: n.AddressFamily, RouteFilterPrefixes: prefixes,
		Tags: fromTags(n.Tags),
	})
}

func (o *ops) AllocateTransitVirtualInterface(ctx context.Context, in *AllocateTransitVirtualInterfaceRequest) (*AllocateTransitVirtualInterfaceResult, error) {
	n := in.NewTransitVirtualInterfaceAllocation
	v, err := o.allocateVIF(ctx, in.OwnerAccount, sim.CreateVIFInput{
		Type: sim.VIFTransit, ConnectionID: in.ConnectionId, Name: n.VirtualInterfaceName, VLAN: int(deref(n.Vlan)),
		ASN: asn(n.Asn, n.AsnLong), MTU: int(deref(n.Mtu)), AuthKey: n.AuthKey, AmazonAddress: n.AmazonAddress,
		CustomerAddress: n.CustomerAddress, AddressFamily: n.AddressFamily, Tags: fromTags(n.Tags),
	})
	if err != nil {
		return nil, err
	}
	return &AllocateTransitVirtualInterfaceResult{VirtualInterface: v}, nil
}

func (o *ops) allocateVIF(ctx context.Context, owner string, in sim.CreateVIFInput) (*VirtualInterface, error) {
	v, err := o.svc.AllocateVirtualInterface(ctx, accountFrom(ctx), sim.AllocateVIFInput{CreateVIFInput: in, Owner: owner})
	if err != nil {
		return nil, err
	}
	return ptr(toVIF(v)), nil
}

func (o *ops) ConfirmPrivateVirtualInterface(ctx context.Context, in *ConfirmPrivateVirtualInterfaceRequest) (*ConfirmPrivateVirtualInterfaceResponse, error) {
	state, err := o.svc.ConfirmVirtualInterface(ctx, accountFrom(ctx), sim.ConfirmVIFInput{Type: sim.VIFPrivate,
		VIFID: in.VirtualInterfaceId, VirtualGatewayID: in.VirtualGatewayId, DirectConnectGatewayID: in.DirectConnectGatewayId})
	if err != nil {
		return nil, err
	}
	return &ConfirmPrivateVirtualInterfaceResponse{VirtualInterfaceState: state}, nil
}

func (o *ops) ConfirmPublicVirtualInterface(ctx context.Context, in *ConfirmPublicVirtualInterfaceRequest) (*ConfirmPublicVirtualInterfaceResponse, error) {
	state, err := o.svc.ConfirmVirtualInterface(ctx, accountFrom(ctx), sim.ConfirmVIFInput{Type: sim.VIFPublic, VIFID: in.VirtualInterfaceId})
	if err != nil {
		return nil, err
	}
	return &ConfirmPublicVirtualInterfaceResponse{VirtualInterfaceState: state}, nil
}

func (o *ops) ConfirmTransitVirtualInterface(ctx context.Context, in *ConfirmTransitVirtualInterfaceRequest) (*ConfirmTransitVirtualInterfaceResponse, error) {
	state, err := o.svc.ConfirmVirtualInterface(ctx, accountFrom(ctx), sim.ConfirmVIFInput{Type: sim.VIFTransit,
		VIFID: in.VirtualInterfaceId, DirectConnectGatewayID: in.DirectConnectGatewayId})
	if err != nil {
		return nil, err
	}
	return &ConfirmTransitVirtualInterfaceResponse{VirtualInterfaceState: state}, nil
}

func (o *ops) UpdateVirtualInterfaceAttributes(ctx context.Context, in *UpdateVirtualInterfaceAttributesRequest) (*VirtualInterface, error) {
	u := sim.UpdateVIFInput{EnableSiteLink: in.EnableSiteLink}
	if in.Mtu != nil {
		u.MTU = ptr(int(*in.Mtu))
	}
	if in.VirtualInterfaceName != "" {
		u.Name = &in.VirtualInterfaceName
	}
	v, err := o.svc.UpdateVirtualInterfaceAttributes(ctx, accountFrom(ctx), in.VirtualInterfaceId, u)
	if err != nil {
		return nil, err
	}
	return ptr(toVIF(v)), nil
}

func (o *ops) DescribeVirtualGateways(ctx context.Context, _ *Empty) (*VirtualGateways, error) {
	out := &VirtualGateways{VirtualGateways: []VirtualGateway{}}
	for _, g := range o.svc.Catalogue().VirtualGatewaysIn(o.svc.Region()) {
		out.VirtualGateways = append(out.VirtualGateways, VirtualGateway{VirtualGatewayId: g.ID, VirtualGatewayState: g.State})
	}
	return out, nil
}

func (o *ops) DescribeRouterConfiguration(ctx context.Context, in *DescribeRouterConfigurationRequest) (*DescribeRouterConfigurationResponse, error) {
	rc, err := o.svc.RouterConfiguration(accountFrom(ctx), in.VirtualInterfaceId, in.RouterTypeIdentifier)
	if err != nil {
		return nil, err
	}
	out := &DescribeRouterConfigurationResponse{CustomerRouterConfig: rc.Config, VirtualInterfaceId: rc.VIF.ID, VirtualInterfaceName: rc.VIF.Name}
	if r := rc.Router; r != nil {
		out.Router = &RouterType{Vendor: r.Vendor, Platform: r.Platform, Software: r.Software, XsltTemplateName: r.XSLTTemplate, RouterTypeIdentifier: r.ID}
	}
	return out, nil
}

func (o *ops) StartBgpFailoverTest(ctx context.Context, in *StartBgpFailoverTestRequest) (*StartBgpFailoverTestResponse, error) {
	f, err := o.svc.StartFailoverTest(ctx, accountFrom(ctx), in.VirtualInterfaceId, in.BgpPeers, int(deref(in.TestDurationInMinutes)))
	if err != nil {
		return nil, err
	}
	return &StartBgpFailoverTestResponse{VirtualInterfaceTest: ptr(toTest(f))}, nil
}

func (o *ops) StopBgpFailoverTest(ctx context.Context, in *StopBgpFailoverTestRequest) (*StopBgpFailoverTestResponse, error) {
	f, err := o.svc.StopFailoverTest(ctx, accountFrom(ctx), in.VirtualInterfaceId)
	if err != nil {
		return nil, err
	}
	return &StopBgpFailoverTestResponse{VirtualInterfaceTest: ptr(toTest(f))}, nil
}

func (o *ops) ListVirtualInterfaceTestHistory(ctx context.Context, in *ListVirtualInterfaceTestHistoryRequest) (*ListVirtualInterfaceTestHistoryResponse, error) {
	fs, err := o.svc.FailoverTests(accountFrom(ctx), sim.TestFilter{TestID: in.TestId, VIFID: in.VirtualInterfaceId, Status: in.Status, Peers: in.BgpPeers})
	if err != nil {
		return nil, err
	}
	fs, next, err := page(fs, testKey, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &ListVirtualInterfaceTestHistoryResponse{NextToken: next, VirtualInterfaceTestHistory: make([]VirtualInterfaceTestHistory, len(fs))}
	for i, f := range fs {
		out.VirtualInterfaceTestHistory[i] = toTest(f)
	}
	return out, nil
}
