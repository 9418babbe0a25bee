package sim

import (
	"context"
	"regexp"
)

// Hosted virtual interfaces.
//
// The owner of a connection (a partner) allocates a VIF on it for another
// account: the VIF belongs to that account and waits, confirming, for it to
// accept (Confirm{Private,Public,Transit}VirtualInterface, naming a private
// VIF's virtual private or Direct Connect gateway, a transit VIF's Direct
// Connect gateway). Then it moves as a created VIF does. Both accounts
// describe it; only its owner changes it.
//
//	hosted VIF: confirming → pending → available  (public: confirming → verifying → pending → available)
//	declined:   confirming → rejected (its owner deletes it) → deleting (its allocator deletes it)

// AllocateVIFInput is an Allocate{Private,Public,Transit}VirtualInterface
// request: a new VIF (without gateways) and the account that will own it.
type AllocateVIFInput struct {
	CreateVIFInput
	Owner string
}

// AllocateVirtualInterface creates a VIF on the caller's connection or LAG,
// owned by in.Owner, in state confirming. Its VLAN is taken at once.
func (s *Service) AllocateVirtualInterface(ctx context.Context, account string, in AllocateVIFInput) (*VIF, error) {
	var v *VIF
	err := s.do(ctx, "Allocate"+vifOpNoun(in.Type)+"VirtualInterface", func(t *txn) error {
		if !accountID.MatchString(in.Owner) {
			return clientErr(RuleInvalidArgument, "ownerAccount %q is not an AWS account ID (12 digits).", in.Owner)
		}
		in.VirtualGatewayID, in.DirectConnectGatewayID = "", "" // the owner names them on confirming
		none := func() error { return nil }
		var err error
		if v, err = s.newVIF(t, account, in.CreateVIFInput, none, none); err != nil {
			return err
		}
		v.Owner, v.Allocator, v.State = in.Owner, account, StateConfirming
		s.addVIF(t, v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

var accountID = regexp.MustCompile(`^[0-9]{12}$`)

// ConfirmVIFInput is a Confirm{Private,Public,Transit}VirtualInterface request.
type ConfirmVIFInput struct {
	Type                   string
	VIFID                  string
	VirtualGatewayID       string
	DirectConnectGatewayID string
}

// ConfirmVirtualInterface accepts a VIF allocated to the caller, attaching
// it to the gateway named, and returns its new state.
func (s *Service) ConfirmVirtualInterface(ctx context.Context, account string, in ConfirmVIFInput) (string, error) {
	var state string
	err := s.do(ctx, "Confirm"+vifOpNoun(in.Type)+"VirtualInterface", func(t *txn) error {
		v, err := findVIF(t.st, account, in.VIFID)
		if err != nil {
			return err
		}
		if err := checkConfirmVIF(t.st, account, v, in); err != nil {
			return err
		}
		n := v.clone()
		n.VirtualGatewayID, n.DirectConnectGatewayID = in.VirtualGatewayID, in.DirectConnectGatewayID
		n.AmazonSideASN = gatewayASN(t.st, in.DirectConnectGatewayID)
		n.State = StatePending
		if v.Type == VIFPublic {
			n.State = StateVerifying // as a created public VIF
		}
		t.putVIF(n)
		state = n.State
		return nil
	})
	return state, err
}

// checkConfirmVIF: the operation is the VIF's type's, the VIF awaits
// confirmation, a private VIF names exactly one gateway, and a Direct
// Connect gateway named is the caller's, of the right kind and not full
// (the checks CreateVirtualInterface applies).
func checkConfirmVIF(st *State, account string, v *VIF, in ConfirmVIFInput) error {
	if v.Type != in.Type {
		return clientErr(RuleInvalidArgument, "Virtual interface %s is a %s virtual interface; confirm it with Confirm%sVirtualInterface.", v.ID, v.Type, vifOpNoun(v.Type))
	}
	if v.State != StateConfirming {
		return clientErr(RuleState, "Virtual interface %s is in state %s; only a virtual interface in state confirming can be confirmed.", v.ID, v.State)
	}
	if v.Type == VIFPrivate && (in.VirtualGatewayID == "") == (in.DirectConnectGatewayID == "") {
		return clientErr(RuleInvalidArgument, "Confirming a private virtual interface needs exactly one of virtualGatewayId and directConnectGatewayId.")
	}
	return CheckVIFAttachment(st, account, CreateVIFInput{Type: v.Type, DirectConnectGatewayID: in.DirectConnectGatewayID})
}

// visibleTo reports whether account describes v: its owner, or the
// account that allocated it.
func (v *VIF) visibleTo(account string) bool {
	return v.Owner == account || (v.Allocator != "" && v.Allocator == account)
}

// findVisibleVIF finds a VIF the caller may describe.
func findVisibleVIF(st *State, account, id string) (*VIF, error) {
	v, ok := st.VIFs[id]
	if !ok || !v.visibleTo(account) || v.State == StateDeleted {
		return nil, clientErr(RuleNotFound, "Could not find Virtual Interface with ID %s", id)
	}
	return v, nil
}
