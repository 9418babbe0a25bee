package sim

import "context"

// UpdateVIFInput is an UpdateVirtualInterfaceAttributes request; nil fields
// are left as they are.
type UpdateVIFInput struct {
	MTU            *int
	EnableSiteLink *bool
	Name           *string
}

// UpdateVirtualInterfaceAttributes changes a VIF's MTU, SiteLink setting or
// name, and returns it.
func (s *Service) UpdateVirtualInterfaceAttributes(ctx context.Context, account, vifID string, in UpdateVIFInput) (*VIF, error) {
	var out *VIF
	err := s.do(ctx, "UpdateVirtualInterfaceAttributes", func(t *txn) error {
		v, err := findVIF(t.st, account, vifID)
		if err != nil {
			return err
		}
		if err := checkUpdateVIF(v, in); err != nil {
			return err
		}
		out = v.clone()
		if in.MTU != nil {
			out.MTU = *in.MTU
		}
		if in.EnableSiteLink != nil {
			out.EnableSiteLink = *in.EnableSiteLink
		}
		if in.Name != nil {
			out.Name = *in.Name
		}
		t.putVIF(out)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkUpdateVIF: the MTU is one the VIF's type supports (as on creation),
// SiteLink is for private and transit VIFs only (AWS's user guide: SiteLink
// is not supported on public virtual interfaces), and the name is a valid
// VIF name.
func checkUpdateVIF(v *VIF, in UpdateVIFInput) error {
	if in.MTU != nil {
		if *in.MTU == 0 {
			return clientErr(RuleInvalidArgument, "mtu 0 is not supported on a %s virtual interface.", v.Type)
		}
		if err := CheckMTU(v.Type, *in.MTU); err != nil {
			return err
		}
	}
	if in.EnableSiteLink != nil && *in.EnableSiteLink && v.Type == VIFPublic {
		return clientErr(RuleInvalidArgument, "SiteLink is not supported on public virtual interface %s.", v.ID)
	}
	if in.Name != nil {
		return CheckName("virtualInterfaceName", *in.Name, MaxVIFName)
	}
	return nil
}
