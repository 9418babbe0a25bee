package api

import (
	"context"

	"github.com/dxsim/dxsim/sim"
)

// The deprecated hosted-connection operations, served by the same rules as
// DescribeHostedConnections and AllocateHostedConnection.

// DescribeConnectionsOnInterconnect is served through the encoding cache,
// as DescribeConnections is.
func (o *ops) DescribeConnectionsOnInterconnect(ctx context.Context, in *DescribeConnectionsOnInterconnectRequest) (*Connections, error) {
	return toConnectionsShape(o.describeConnectionsOnInterconnect(ctx, in))
}

func (o *ops) describeConnectionsOnInterconnect(ctx context.Context, in *DescribeConnectionsOnInterconnectRequest) ([]*sim.Connection, string, error) {
	// The request has no paging members: every connection in one answer.
	cs, err := o.svc.ConnectionsOnInterconnect(accountFrom(ctx), in.InterconnectId)
	return cs, "", err
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
