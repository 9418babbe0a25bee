package api

import (
	"context"

	"github.com/dxsim/dxsim/sim"
)

// The deprecated hosted-connection operations, served by the same rules as
// DescribeHostedConnections and AllocateHostedConnection.

func (o *ops) DescribeConnectionsOnInterconnect(ctx context.Context, in *DescribeConnectionsOnInterconnectRequest) (*Connections, error) {
	cs, err := o.svc.ConnectionsOnInterconnect(accountFrom(ctx), in.InterconnectId)
	if err != nil {
		return nil, err
	}
	// The request has no paging members: every connection in one answer.
	return &Connections{Connections: toConnections(cs)}, nil
}

func (o *ops) AllocateConnectionOnInterconnect(ctx context.Context, in *AllocateConnectionOnInterconnectRequest) (*Connection, error) {
	c, err := o.svc.AllocateConnectionOnInterconnect(ctx, accountFrom(ctx), sim.AllocateHostedConnectionInput{
		ParentID: in.InterconnectId, Owner: in.OwnerAccount, Bandwidth: in.Bandwidth, Name: in.ConnectionName,
		VLAN: int(deref(in.Vlan)),
	})
	if err != nil {
		return nil, err
	}
	return ptr(toConnection(c)), nil
}
