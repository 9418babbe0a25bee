package sim

import (
	"fmt"
	"strings"
)

// VirtualGateway is a virtual private gateway (vgw-…) of the catalogue, as
// DescribeVirtualGateways lists it for its Region. dxsim keeps no VPCs: the
// catalogue stands for the gateways the lab's accounts have.
type VirtualGateway struct {
	ID     string `json:"virtualGatewayId"`
	Region string `json:"region"`
	State  string `json:"virtualGatewayState"` // pending, available, deleting or deleted
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
		seen[g.ID] = true
	}
	return nil
}

// defaultVirtualGateways are three available virtual private gateways in
// each Region of the default catalogue.
func defaultVirtualGateways() []VirtualGateway {
	ids := map[string][]string{
		"us-east-1":    {"vgw-0123456789abcdef0", "vgw-0fedcba987654321f", "vgw-04b8a3c7e2d1f6a95"},
		"us-west-2":    {"vgw-0a1b2c3d4e5f60718", "vgw-07e6d5c4b3a291807", "vgw-0c3f9e1a7b5d24680"},
		"eu-central-1": {"vgw-0d4e5f60718293a4b", "vgw-02a4c6e8f0b1d3f57", "vgw-09f8e7d6c5b4a3921"},
	}
	var out []VirtualGateway
	for _, region := range []string{"us-east-1", "us-west-2", "eu-central-1"} {
		for _, id := range ids[region] {
			out = append(out, VirtualGateway{ID: id, Region: region, State: StateAvailable})
		}
	}
	return out
}
