package sim

import (
	"context"
	"maps"
	"slices"
)

// CreateGatewayInput is a CreateDirectConnectGateway request.
type CreateGatewayInput struct {
	Name          string
	AmazonSideASN *int64 // nil: DefaultAmazonSideASN
	Tags          []Tag
}

// CreateDirectConnectGateway creates a Direct Connect gateway, pending until
// the schedule's Confirm has passed.
func (s *Service) CreateDirectConnectGateway(ctx context.Context, account string, in CreateGatewayInput) (*DXGateway, error) {
	var g *DXGateway
	err := s.do(ctx, "CreateDirectConnectGateway", func(t *txn) error {
		asn := int64(DefaultAmazonSideASN)
		if in.AmazonSideASN != nil {
			asn = *in.AmazonSideASN
		}
		if err := CheckAmazonSideASN(asn); err != nil {
			return err
		}
		tags, err := CheckTags(nil, in.Tags, s.quotas)
		if err != nil {
			return err
		}
		id, err := s.newUUID()
		if err != nil {
			return err
		}
		g = &DXGateway{ID: id, Name: in.Name, Owner: account, State: StatePending, AmazonSideASN: asn, Tags: tags, Since: t.now}
		t.putGateway(g)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// DirectConnectGateways describes the caller's Direct Connect gateways, or
// one. A gateway that does not exist (or is deleted) is not described, and
// is no error: clients such as the AWS provider for Terraform take an empty
// answer for "not found".
func (s *Service) DirectConnectGateways(account, id string) ([]*DXGateway, error) {
	var out []*DXGateway
	err := s.read(func(st *State) error {
		for _, g := range st.Gateways {
			if g.Owner == account && (id == "" || g.ID == id) {
				out = append(out, g)
			}
		}
		slices.SortFunc(out, func(a, b *DXGateway) int { return compareIDs(a.ID, b.ID) })
		return nil
	})
	return out, err
}

// UpdateDirectConnectGateway renames a Direct Connect gateway.
func (s *Service) UpdateDirectConnectGateway(ctx context.Context, account, id, name string) (*DXGateway, error) {
	var out *DXGateway
	err := s.do(ctx, "UpdateDirectConnectGateway", func(t *txn) error {
		g, err := findGateway(t.st, account, id)
		if err != nil {
			return err
		}
		out = g.clone()
		out.Name = name
		t.putGateway(out)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteDirectConnectGateway deletes a Direct Connect gateway with no
// associations and no VIFs attached. It is described deleting until the
// schedule's Deleting has passed, then no more.
func (s *Service) DeleteDirectConnectGateway(ctx context.Context, account, id string) (*DXGateway, error) {
	var out *DXGateway
	err := s.do(ctx, "DeleteDirectConnectGateway", func(t *txn) error {
		g, err := findGateway(t.st, account, id)
		if err != nil {
			return err
		}
		if err := CheckDeleteGateway(t.st, g); err != nil {
			return err
		}
		out = g.clone()
		out.State = StateDeleting
		t.putGateway(out)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GatewayAttachment is a VIF attached to a Direct Connect gateway, as
// DescribeDirectConnectGatewayAttachments reports it.
type GatewayAttachment struct {
	GatewayID string
	VIF       *VIF
	State     string // attaching, attached, detaching or detached
}

// attachmentState follows the VIF: attaching until it is first available,
// detaching while it is deleted, then detached.
func attachmentState(vifState string) string {
	switch vifState {
	case StatePending, StateConfirming, StateVerifying:
		return "attaching"
	case StateDeleting:
		return "detaching"
	case StateDeleted, StateRejected:
		return "detached"
	}
	return "attached"
}

// GatewayAttachments lists the VIFs attached to a Direct Connect gateway, or
// the gateway a VIF is attached to, or both; at least one must be named.
// VIFs deleted a short while ago are still listed, detaching or detached.
func (s *Service) GatewayAttachments(account, gatewayID, vifID string) ([]GatewayAttachment, error) {
	if gatewayID == "" && vifID == "" {
		return nil, clientErr(RuleInvalidArgument, "Specify a directConnectGatewayId, a virtualInterfaceId, or both.")
	}
	var out []GatewayAttachment
	now := s.clock.Now()
	err := s.read(func(st *State) error {
		_, _, gone := s.shownGone(st, account, now)
		vifs := append(slices.Collect(maps.Values(st.VIFs)), gone...)
		for _, v := range vifs {
			if v.DirectConnectGatewayID == "" || (gatewayID != "" && v.DirectConnectGatewayID != gatewayID) || (vifID != "" && v.ID != vifID) {
				continue
			}
			g := st.Gateways[v.DirectConnectGatewayID]
			if v.Owner != account && (g == nil || g.Owner != account) {
				continue
			}
			out = append(out, GatewayAttachment{GatewayID: v.DirectConnectGatewayID, VIF: v, State: attachmentState(v.State)})
		}
		slices.SortFunc(out, func(a, b GatewayAttachment) int { return compareIDs(a.VIF.ID, b.VIF.ID) })
		return nil
	})
	return out, err
}
