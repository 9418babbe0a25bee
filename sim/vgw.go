package sim

import (
	"fmt"
	"net/netip"
	"strings"
)

// VirtualGateway is a virtual private gateway (vgw-…) of the catalogue, as
// DescribeVirtualGateways lists it for its Region, with the CIDRs of the
// VPC it is attached to. The catalogue stands for the gateways and VPCs the
// lab's accounts have.
type VirtualGateway struct {
	ID     string `json:"virtualGatewayId"`
	Region string `json:"region"`
	State  string `json:"virtualGatewayState"` // pending, available, deleting or deleted
	// VPCCIDRs are the attached VPC's CIDR blocks, IPv4 and IPv6: what
	// Amazon advertises over a private VIF to the gateway, and the allowed
	// prefixes of a Direct Connect gateway association that names none.
	VPCCIDRs []string `json:"vpcCidrs,omitempty"`
}

// VirtualGateway returns the catalogue's virtual private gateway id.
func (c *Catalogue) VirtualGateway(id string) (VirtualGateway, bool) {
	for _, g := range c.VirtualGateways {
		if g.ID == id {
			return g, true
		}
	}
	return VirtualGateway{}, false
}

// VirtualGatewaysIn returns the catalogue's virtual private gateways in a Region.
func (c *Catalogue) VirtualGatewaysIn(region string) []VirtualGateway {
	var out []VirtualGateway
	for _, g := range c.VirtualGateways {
		if g.Region == region {
			out = append(out, g)
		}
	}
	return out
}

// validateVirtualGateways: each has a vgw- ID, once, a Region and a state
// the model names.
func (c *Catalogue) validateVirtualGateways() error {
	seen := map[string]bool{}
	for _, g := range c.VirtualGateways {
		switch {
		case !strings.HasPrefix(g.ID, "vgw-") || g.Region == "":
			return fmt.Errorf("catalogue: virtual gateway %q needs a vgw- ID and a region", g.ID)
		case seen[g.ID]:
			return fmt.Errorf("catalogue: virtual gateway %q appears twice", g.ID)
		}
		switch g.State {
		case StatePending, StateAvailable, StateDeleting, StateDeleted:
		default:
			return fmt.Errorf("catalogue: virtual gateway %s: state %q is not pending, available, deleting or deleted", g.ID, g.State)
		}
		for _, cidr := range g.VPCCIDRs {
			if p, err := netip.ParsePrefix(cidr); err != nil || p != p.Masked() {
				return fmt.Errorf("catalogue: virtual gateway %s: VPC CIDR %q is not a network such as 10.0.0.0/16", g.ID, cidr)
			}
		}
		seen[g.ID] = true
	}
	return nil
}

// defaultVirtualGateways are three available virtual private gateways in
// each Region of the default catalogue, each attached to a VPC of its own
// /16 (10.R.N.0/16 style: 10.(16·region+N).0.0/16) with an Amazon IPv6 /56.
func defaultVirtualGateways() []VirtualGateway {
	ids := map[string][]string{
		"us-east-1":    {"vgw-0123456789abcdef0", "vgw-0fedcba987654321f", "vgw-04b8a3c7e2d1f6a95"},
		"us-west-2":    {"vgw-0a1b2c3d4e5f60718", "vgw-07e6d5c4b3a291807", "vgw-0c3f9e1a7b5d24680"},
		"eu-central-1": {"vgw-0d4e5f60718293a4b", "vgw-02a4c6e8f0b1d3f57", "vgw-09f8e7d6c5b4a3921"},
	}
	var out []VirtualGateway
	for r, region := range []string{"us-east-1", "us-west-2", "eu-central-1"} {
		for n, id := range ids[region] {
			out = append(out, VirtualGateway{ID: id, Region: region, State: StateAvailable, VPCCIDRs: []string{
				fmt.Sprintf("10.%d.0.0/16", 16*(r+1)+n),
				fmt.Sprintf("2600:1f18:%x:%x00::/56", 0x4000+r, 0x10+n),
			}})
		}
	}
	return out
}
