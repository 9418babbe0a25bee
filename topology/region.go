package topology

import "net/netip"

// The Region behind the DX devices, as real routing.
//
// A namespace per Region ("<prefix>-rg-<region>") holds each of its
// address spaces (a VPC, a transit gateway's prefixes), answering on each
// CIDR's first host address (on its loopback). A backbone link (a veth
// pair: "backbone" in the device's namespace, "bb-<hash>" in the Region's)
// joins it to every DX device namespace that has a routed VIF. Each end is
// unnumbered in effect: every device end has BackboneDeviceAddr, every
// Region end BackboneRegionAddr, and routes name the link with "onlink", so
// no addresses are allotted per device.
//
// Policy routing keeps the address spaces apart, as AWS's gateways do:
//   - in a device's namespace, traffic arriving on a VIF is looked up in the
//     VIF's table (rule "iif <vif>"): the prefixes it reaches via the
//     backbone, nothing else (an unreachable default ends the lookup);
//   - in the Region's namespace, a reply from an address space is looked up
//     in that space's table (rule "from <cidr>"): each customer prefix via
//     the device of the VIF chosen for it;
//   - back in that device's namespace, traffic from the backbone is looked
//     up in the address space's table there (rule "iif backbone from
//     <cidr>"): the customer prefix via the chosen VIF's customer address.
//
// Which VIF carries a customer prefix back is BGP's choice, made by the
// caller (topology/region) and handed over as Returns.

// Backbone addresses, the same on every backbone link (see above): dxsim's
// choice, from the benchmarking ranges (RFC 2544, RFC 5180's are taken by
// documentation; a ULA for IPv6).
var (
	BackboneRegionAddr  = netip.MustParseAddr("198.18.255.1")
	BackboneDeviceAddr  = netip.MustParseAddr("198.18.255.2")
	BackboneRegionAddr6 = netip.MustParseAddr("fd64:bb::1")
	BackboneDeviceAddr6 = netip.MustParseAddr("fd64:bb::2")
)

// RegionSpec is the whole of one Region's routing, as SetRegion makes it.
type RegionSpec struct {
	Name     string
	Networks []RegionNetwork
	VIFs     []RoutedVIF
	Returns  []ReturnRoute
}

// RegionNetwork is an address space of the Region.
type RegionNetwork struct {
	ID    string // vgw-… (a VPC) or tgw-…
	CIDRs []netip.Prefix
}

// RoutedVIF is where a VIF's traffic may go: Reach via the backbone.
type RoutedVIF struct {
	VIFID  string
	Device string
	Reach  []netip.Prefix
}

// ReturnRoute is one customer prefix as an address space reaches it: over
// a VIF (on its device), to the customer's address on it.
type ReturnRoute struct {
	Network string
	Prefix  netip.Prefix
	VIFID   string
	Device  string
	NextHop netip.Addr
}
