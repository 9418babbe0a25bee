package api

import (
	"context"

	"github.com/dxsim/dxsim/sim"
)

// ops adapts the service to the wire: it converts requests to the service's
// inputs and its results to the model's shapes.
type ops struct {
	svc   *sim.Service
	conns *connCache
}

var _ Operations = (*ops)(nil)

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func (o *ops) CreateConnection(ctx context.Context, in *CreateConnectionRequest) (*Connection, error) {
	c, err := o.svc.CreateConnection(ctx, accountFrom(ctx), sim.CreateConnectionInput{
		Location: in.Location, Bandwidth: in.Bandwidth, Name: in.ConnectionName, LAGID: in.LagId,
		Tags: fromTags(in.Tags), ProviderName: in.ProviderName, RequestMACsec: deref(in.RequestMACSec),
	})
	if err != nil {
		return nil, err
	}
	return ptr(toConnection(c)), nil
}

// DescribeConnections is served by describeConnections through the
// encoding cache (see listConnections); this is the reference it is held to.
func (o *ops) DescribeConnections(ctx context.Context, in *DescribeConnectionsRequest) (*Connections, error) {
	return toConnectionsShape(o.describeConnections(ctx, in))
}

func (o *ops) describeConnections(ctx context.Context, in *DescribeConnectionsRequest) ([]*sim.Connection, string, error) {
	cs, err := o.svc.Connections(accountFrom(ctx), in.ConnectionId)
	if err != nil {
		return nil, "", err
	}
	return page(cs, connKey, in.MaxResults, in.NextToken)
}

func toConnectionsShape(cs []*sim.Connection, next string, err error) (*Connections, error) {
	if err != nil {
		return nil, err
	}
	return &Connections{Connections: toConnections(cs), NextToken: next}, nil
}

func connKey(c *sim.Connection) string { return c.ID }

func (o *ops) UpdateConnection(ctx context.Context, in *UpdateConnectionRequest) (*Connection, error) {
	var name, mode *string
	if in.ConnectionName != "" {
		name = &in.ConnectionName
	}
	if in.EncryptionMode != "" {
		mode = &in.EncryptionMode
	}
	c, err := o.svc.UpdateConnection(accountFrom(ctx), in.ConnectionId, name, mode)
	if err != nil {
		return nil, err
	}
	return ptr(toConnection(c)), nil
}

func (o *ops) DeleteConnection(ctx context.Context, in *DeleteConnectionRequest) (*Connection, error) {
	c, err := o.svc.DeleteConnection(ctx, accountFrom(ctx), in.ConnectionId)
	if err != nil {
		return nil, err
	}
	return ptr(toConnection(c)), nil
}

func (o *ops) ConfirmConnection(ctx context.Context, in *ConfirmConnectionRequest) (*ConfirmConnectionResponse, error) {
	state, err := o.svc.ConfirmConnection(accountFrom(ctx), in.ConnectionId)
	if err != nil {
		return nil, err
	}
	return &ConfirmConnectionResponse{ConnectionState: state}, nil
}

func (o *ops) CreateLag(ctx context.Context, in *CreateLagRequest) (*Lag, error) {
	v, err := o.svc.CreateLag(ctx, accountFrom(ctx), sim.CreateLagInput{
		NumberOfConnections: int(deref(in.NumberOfConnections)), Location: in.Location,
		Bandwidth: in.ConnectionsBandwidth, Name: in.LagName, ConnectionID: in.ConnectionId,
		Tags: fromTags(in.Tags), ChildTags: fromTags(in.ChildConnectionTags), ProviderName: in.ProviderName,
		RequestMACsec: deref(in.RequestMACSec),
	})
	if err != nil {
		return nil, err
	}
	return ptr(toLag(v)), nil
}

func (o *ops) DescribeLags(ctx context.Context, in *DescribeLagsRequest) (*Lags, error) {
	ls, err := o.svc.LAGs(accountFrom(ctx), in.LagId)
	if err != nil {
		return nil, err
	}
	ls, next, err := page(ls, func(v sim.LAGView) string { return v.LAG.ID }, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &Lags{NextToken: next, Lags: make([]Lag, len(ls))}
	for i, l := range ls {
		out.Lags[i] = toLag(l)
	}
	return out, nil
}

func (o *ops) UpdateLag(ctx context.Context, in *UpdateLagRequest) (*Lag, error) {
	var u sim.UpdateLagInput
	if in.LagName != "" {
		u.Name = &in.LagName
	}
	if in.MinimumLinks != nil {
		u.MinimumLinks = ptr(int(*in.MinimumLinks))
	}
	if in.EncryptionMode != "" {
		u.Encryption = &in.EncryptionMode
	}
	v, err := o.svc.UpdateLag(ctx, accountFrom(ctx), in.LagId, u)
	if err != nil {
		return nil, err
	}
	return ptr(toLag(v)), nil
}

func (o *ops) DeleteLag(ctx context.Context, in *DeleteLagRequest) (*Lag, error) {
	v, err := o.svc.DeleteLag(ctx, accountFrom(ctx), in.LagId)
	if err != nil {
		return nil, err
	}
	return ptr(toLag(v)), nil
}

func (o *ops) AssociateConnectionWithLag(ctx context.Context, in *AssociateConnectionWithLagRequest) (*Connection, error) {
	c, err := o.svc.AssociateConnectionWithLag(ctx, accountFrom(ctx), in.ConnectionId, in.LagId)
	if err != nil {
		return nil, err
	}
	return ptr(toConnection(c)), nil
}

func (o *ops) DisassociateConnectionFromLag(ctx context.Context, in *DisassociateConnectionFromLagRequest) (*Connection, error) {
	c, err := o.svc.DisassociateConnectionFromLag(ctx, accountFrom(ctx), in.ConnectionId, in.LagId)
	if err != nil {
		return nil, err
	}
	return ptr(toConnection(c)), nil
}

func (o *ops) CreateInterconnect(ctx context.Context, in *CreateInterconnectRequest) (*Interconnect, error) {
	c, err := o.svc.CreateInterconnect(ctx, accountFrom(ctx), sim.CreateConnectionInput{
		Location: in.Location, Bandwidth: in.Bandwidth, Name: in.InterconnectName, LAGID: in.LagId,
		Tags: fromTags(in.Tags), ProviderName: in.ProviderName, RequestMACsec: deref(in.RequestMACSec),
	})
	if err != nil {
		return nil, err
	}
	return ptr(toInterconnect(c)), nil
}

func (o *ops) DescribeInterconnects(ctx context.Context, in *DescribeInterconnectsRequest) (*Interconnects, error) {
	cs, err := o.svc.Interconnects(accountFrom(ctx), in.InterconnectId)
	if err != nil {
		return nil, err
	}
	cs, next, err := page(cs, connKey, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &Interconnects{NextToken: next, Interconnects: make([]Interconnect, len(cs))}
	for i, c := range cs {
		out.Interconnects[i] = toInterconnect(c)
	}
	return out, nil
}

func (o *ops) DeleteInterconnect(ctx context.Context, in *DeleteInterconnectRequest) (*DeleteInterconnectResponse, error) {
	state, err := o.svc.DeleteInterconnect(ctx, accountFrom(ctx), in.InterconnectId)
	if err != nil {
		return nil, err
	}
	return &DeleteInterconnectResponse{InterconnectState: state}, nil
}

func (o *ops) AllocateHostedConnection(ctx context.Context, in *AllocateHostedConnectionRequest) (*Connection, error) {
	c, err := o.svc.AllocateHostedConnection(ctx, accountFrom(ctx), sim.AllocateHostedConnectionInput{
		ParentID: in.ConnectionId, Owner: in.OwnerAccount, Bandwidth: in.Bandwidth, Name: in.ConnectionName,
		VLAN: int(deref(in.Vlan)), Tags: fromTags(in.Tags),
	})
	if err != nil {
		return nil, err
	}
	return ptr(toConnection(c)), nil
}

// DescribeHostedConnections is served through the encoding cache, as
// DescribeConnections is.
func (o *ops) DescribeHostedConnections(ctx context.Context, in *DescribeHostedConnectionsRequest) (*Connections, error) {
	return toConnectionsShape(o.describeHostedConnections(ctx, in))
}

func (o *ops) describeHostedConnections(ctx context.Context, in *DescribeHostedConnectionsRequest) ([]*sim.Connection, string, error) {
	cs, err := o.svc.HostedConnections(accountFrom(ctx), in.ConnectionId)
	if err != nil {
		return nil, "", err
	}
	return page(cs, connKey, in.MaxResults, in.NextToken)
}

func (o *ops) AssociateHostedConnection(ctx context.Context, in *AssociateHostedConnectionRequest) (*Connection, error) {
	c, err := o.svc.AssociateHostedConnection(ctx, accountFrom(ctx), in.ConnectionId, in.ParentConnectionId)
	if err != nil {
		return nil, err
	}
	return ptr(toConnection(c)), nil
}

func asn(short *int32, long *int64) int64 {
	if long != nil {
		return *long
	}
	return int64(deref(short))
}

func (o *ops) CreatePrivateVirtualInterface(ctx context.Context, in *CreatePrivateVirtualInterfaceRequest) (*VirtualInterface, error) {
	n := in.NewPrivateVirtualInterface
	return o.createVIF(ctx, sim.CreateVIFInput{
		Type: sim.VIFPrivate, ConnectionID: in.ConnectionId, Name: n.VirtualInterfaceName, VLAN: int(deref(n.Vlan)),
		ASN: asn(n.Asn, n.AsnLong), MTU: int(deref(n.Mtu)), AuthKey: n.AuthKey, AmazonAddress: n.AmazonAddress,
		CustomerAddress: n.CustomerAddress, AddressFamily: n.AddressFamily, VirtualGatewayID: n.VirtualGatewayId,
		DirectConnectGatewayID: n.DirectConnectGatewayId, EnableSiteLink: deref(n.EnableSiteLink), Tags: fromTags(n.Tags),
	})
}

func (o *ops) CreatePublicVirtualInterface(ctx context.Context, in *CreatePublicVirtualInterfaceRequest) (*VirtualInterface, error) {
	n := in.NewPublicVirtualInterface
	var prefixes []string
	for _, p := range n.RouteFilterPrefixes {
		prefixes = append(prefixes, p.Cidr)
	}
	return o.createVIF(ctx, sim.CreateVIFInput{
		Type: sim.VIFPublic, ConnectionID: in.ConnectionId, Name: n.VirtualInterfaceName, VLAN: int(deref(n.Vlan)),
		ASN: asn(n.Asn, n.AsnLong), AuthKey: n.AuthKey, AmazonAddress: n.AmazonAddress,
		CustomerAddress: n.CustomerAddress, AddressFamily: n.AddressFamily, RouteFilterPrefixes: prefixes,
		Tags: fromTags(n.Tags),
	})
}

func (o *ops) CreateTransitVirtualInterface(ctx context.Context, in *CreateTransitVirtualInterfaceRequest) (*CreateTransitVirtualInterfaceResult, error) {
	n := in.NewTransitVirtualInterface
	v, err := o.createVIF(ctx, sim.CreateVIFInput{
		Type: sim.VIFTransit, ConnectionID: in.ConnectionId, Name: n.VirtualInterfaceName, VLAN: int(deref(n.Vlan)),
		ASN: asn(n.Asn, n.AsnLong), MTU: int(deref(n.Mtu)), AuthKey: n.AuthKey, AmazonAddress: n.AmazonAddress,
		CustomerAddress: n.CustomerAddress, AddressFamily: n.AddressFamily,
		DirectConnectGatewayID: n.DirectConnectGatewayId, EnableSiteLink: deref(n.EnableSiteLink), Tags: fromTags(n.Tags),
	})
	if err != nil {
		return nil, err
	}
	return &CreateTransitVirtualInterfaceResult{VirtualInterface: v}, nil
}

func (o *ops) createVIF(ctx context.Context, in sim.CreateVIFInput) (*VirtualInterface, error) {
	v, err := o.svc.CreateVirtualInterface(ctx, accountFrom(ctx), in)
	if err != nil {
		return nil, err
	}
	return ptr(toVIF(v)), nil
}

func (o *ops) DescribeVirtualInterfaces(ctx context.Context, in *DescribeVirtualInterfacesRequest) (*VirtualInterfaces, error) {
	vs, err := o.svc.VirtualInterfaces(accountFrom(ctx), in.ConnectionId, in.VirtualInterfaceId)
	if err != nil {
		return nil, err
	}
	vs, next, err := page(vs, func(v *sim.VIF) string { return v.ID }, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &VirtualInterfaces{NextToken: next, VirtualInterfaces: make([]VirtualInterface, len(vs))}
	for i, v := range vs {
		out.VirtualInterfaces[i] = toVIF(v)
	}
	return out, nil
}

func (o *ops) DeleteVirtualInterface(ctx context.Context, in *DeleteVirtualInterfaceRequest) (*DeleteVirtualInterfaceResponse, error) {
	state, err := o.svc.DeleteVirtualInterface(ctx, accountFrom(ctx), in.VirtualInterfaceId)
	if err != nil {
		return nil, err
	}
	return &DeleteVirtualInterfaceResponse{VirtualInterfaceState: state}, nil
}

func (o *ops) AssociateVirtualInterface(ctx context.Context, in *AssociateVirtualInterfaceRequest) (*VirtualInterface, error) {
	v, err := o.svc.AssociateVirtualInterface(ctx, accountFrom(ctx), in.VirtualInterfaceId, in.ConnectionId)
	if err != nil {
		return nil, err
	}
	return ptr(toVIF(v)), nil
}

func (o *ops) DescribeLocations(ctx context.Context, _ *Empty) (*Locations, error) {
	out := &Locations{Locations: []Location{}}
	for _, l := range o.svc.Catalogue().InRegion(o.svc.Region()) {
		out.Locations = append(out.Locations, toLocation(l))
	}
	return out, nil
}

func (o *ops) TagResource(ctx context.Context, in *TagResourceRequest) (*TagResourceResponse, error) {
	if err := o.svc.TagResource(accountFrom(ctx), in.ResourceArn, fromTags(in.Tags)); err != nil {
		return nil, err
	}
	return &TagResourceResponse{}, nil
}

func (o *ops) UntagResource(ctx context.Context, in *UntagResourceRequest) (*UntagResourceResponse, error) {
	if err := o.svc.UntagResource(accountFrom(ctx), in.ResourceArn, in.TagKeys); err != nil {
		return nil, err
	}
	return &UntagResourceResponse{}, nil
}

func (o *ops) DescribeTags(ctx context.Context, in *DescribeTagsRequest) (*DescribeTagsResponse, error) {
	rts, err := o.svc.Tags(accountFrom(ctx), in.ResourceArns)
	if err != nil {
		return nil, err
	}
	out := &DescribeTagsResponse{ResourceTags: make([]ResourceTag, len(rts))}
	for i, rt := range rts {
		out.ResourceTags[i] = ResourceTag{ResourceArn: rt.ARN, Tags: toTags(rt.Tags)}
	}
	return out, nil
}

func (o *ops) AssociateMacSecKey(ctx context.Context, in *AssociateMacSecKeyRequest) (*AssociateMacSecKeyResponse, error) {
	keys, err := o.svc.AssociateMACsecKey(accountFrom(ctx), in.ConnectionId, in.SecretARN, in.Ckn, in.Cak)
	if err != nil {
		return nil, err
	}
	return &AssociateMacSecKeyResponse{ConnectionId: in.ConnectionId, MacSecKeys: toKeys(keys)}, nil
}

func (o *ops) DisassociateMacSecKey(ctx context.Context, in *DisassociateMacSecKeyRequest) (*DisassociateMacSecKeyResponse, error) {
	keys, err := o.svc.DisassociateMACsecKey(accountFrom(ctx), in.ConnectionId, in.SecretARN)
	if err != nil {
		return nil, err
	}
	return &DisassociateMacSecKeyResponse{ConnectionId: in.ConnectionId, MacSecKeys: toKeys(keys)}, nil
}
