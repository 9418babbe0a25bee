package sim

import (
	"fmt"
	"net/netip"
	"strings"
)

// Router configurations (DescribeRouterConfiguration): a sample
// configuration of the customer's side of a VIF, for a router type.

// RouterType is a router DescribeRouterConfiguration renders for.
type RouterType struct {
	ID, Vendor, Platform, Software, XSLTTemplate string
	render                                       func(v *VIF) string
}

// Router type identifiers dxsim renders.
const (
	RouterFRR8    = "FRRouting-FRR-8"
	RouterGeneric = "Generic-Generic-VendorAgnostic"
)

// RouterTypes are the routers dxsim renders configurations for.
var RouterTypes = []RouterType{
	{ID: RouterFRR8, Vendor: "FRRouting", Platform: "FRR", Software: "8", XSLTTemplate: "customer-router-config-frr8.xslt", render: renderFRR},
	{ID: RouterGeneric, Vendor: "Generic", Platform: "Generic", Software: "Vendor Agnostic", XSLTTemplate: "customer-router-config-generic.xslt", render: renderGeneric},
}

// RouterConfig is a DescribeRouterConfiguration answer. With no router type
// asked for, Router is nil and Config lists the router types.
type RouterConfig struct {
	VIF    *VIF
	Router *RouterType
	Config string
}

// RouterConfiguration renders the customer side of one of the caller's VIFs
// for a router type, or lists the router types when routerType is "".
func (s *Service) RouterConfiguration(account, vifID, routerType string) (RouterConfig, error) {
	var out RouterConfig
	err := s.read(func(st *State) error {
		v, err := findVIF(st, account, vifID)
		if err != nil {
			return err
		}
		out.VIF = v
		if routerType == "" {
			out.Config = listRouterTypes()
			return nil
		}
		for i := range RouterTypes {
			if RouterTypes[i].ID == routerType {
				out.Router = &RouterTypes[i]
				out.Config = RouterTypes[i].render(v)
				return nil
			}
		}
		return clientErr(RuleInvalidArgument, "routerTypeIdentifier %s is not one of the router types: %s.", routerType, routerTypeIDs())
	})
	return out, err
}

func routerTypeIDs() string {
	ids := make([]string, len(RouterTypes))
	for i, r := range RouterTypes {
		ids[i] = r.ID
	}
	return strings.Join(ids, ", ")
}

func listRouterTypes() string {
	var b strings.Builder
	b.WriteString("Router types (routerTypeIdentifier: vendor, platform, software):\n")
	for _, r := range RouterTypes {
		fmt.Fprintf(&b, "%s: %s, %s, %s\n", r.ID, r.Vendor, r.Platform, r.Software)
	}
	return b.String()
}

// configPeers are the peers a configuration sets up: those not being deleted.
func configPeers(v *VIF) []BGPPeer {
	var out []BGPPeer
	for _, p := range v.peers() {
		if p.live() && p.AmazonAddress != "" && p.CustomerAddress != "" {
			out = append(out, p)
		}
	}
	return out
}

// peerHost is a peer address without its prefix length.
func peerHost(cidr string) string {
	if p, err := netip.ParsePrefix(cidr); err == nil {
		return p.Addr().String()
	}
	return cidr
}

// renderFRR writes an frr.conf for FRR 8: the VLAN subinterface with the
// customer's addresses (zebra), and bgpd's eBGP session to each Amazon peer
// with its MD5 key, Amazon's hold and keepalive timers, and the address
// family it carries. FRR 8 refuses eBGP routes without a policy unless told
// otherwise, and activates IPv4 for every neighbour by default; both are
// set so each session carries only its own family.
func renderFRR(v *VIF) string {
	peers := configPeers(v)
	var b strings.Builder
	fmt.Fprintf(&b, "! AWS Direct Connect virtual interface %s (%s), VLAN %d\n", v.ID, v.Name, v.VLAN)
	fmt.Fprintf(&b, "! Amazon side ASN %d, customer ASN %d. Replace eth0 with the interface to the\n", v.AmazonSideASN, v.ASN)
	b.WriteString("! Direct Connect port, and announce your prefixes with network statements.\n")
	b.WriteString("frr defaults traditional\n!\n")
	fmt.Fprintf(&b, "interface eth0.%d\n", v.VLAN)
	for _, p := range peers {
		kw := "ip"
		if p.AddressFamily == FamilyIPv6 {
			kw = "ipv6"
		}
		fmt.Fprintf(&b, " %s address %s\n", kw, p.CustomerAddress)
	}
	b.WriteString("exit\n!\n")
	asns := map[int64][]BGPPeer{}
	var order []int64
	for _, p := range peers {
		if _, ok := asns[p.ASN]; !ok {
			order = append(order, p.ASN)
		}
		asns[p.ASN] = append(asns[p.ASN], p)
	}
	for _, asn := range order {
		writeFRRBGP(&b, v, asn, asns[asn])
	}
	return b.String()
}

func writeFRRBGP(b *strings.Builder, v *VIF, asn int64, peers []BGPPeer) {
	fmt.Fprintf(b, "router bgp %d\n", asn)
	// The router ID is the customer's IPv4 address: bgpd run without zebra
	// (a router in a namespace) has no interfaces to take one from, and
	// Amazon refuses an OPEN from 0.0.0.0.
	for _, p := range peers {
		if p.AddressFamily == FamilyIPv4 {
			fmt.Fprintf(b, " bgp router-id %s\n", peerHost(p.CustomerAddress))
			break
		}
	}
	b.WriteString(" no bgp ebgp-requires-policy\n no bgp default ipv4-unicast\n")
	for _, p := range peers {
		n := peerHost(p.AmazonAddress)
		fmt.Fprintf(b, " neighbor %s remote-as %d\n", n, v.AmazonSideASN)
		fmt.Fprintf(b, " neighbor %s password %s\n", n, p.AuthKey)
		fmt.Fprintf(b, " neighbor %s timers 30 90\n", n)
	}
	for _, family := range []string{FamilyIPv4, FamilyIPv6} {
		var active []string
		for _, p := range peers {
			if p.AddressFamily == family {
				active = append(active, peerHost(p.AmazonAddress))
			}
		}
		if len(active) == 0 {
			continue
		}
		fmt.Fprintf(b, " !\n address-family %s unicast\n", family)
		for _, n := range active {
			fmt.Fprintf(b, "  neighbor %s activate\n", n)
		}
		b.WriteString(" exit-address-family\n")
	}
	b.WriteString("exit\n!\n")
}

// renderGeneric lists what any router needs, one peer at a time.
func renderGeneric(v *VIF) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Virtual interface: %s (%s), %s\n", v.ID, v.Name, v.Type)
	fmt.Fprintf(&b, "VLAN: %d\nMTU: %d\n", v.VLAN, v.MTU)
	for _, p := range configPeers(v) {
		fmt.Fprintf(&b, "\nBGP peer %s (%s)\n", p.ID, p.AddressFamily)
		fmt.Fprintf(&b, "  Customer address: %s\n  Amazon address: %s\n", p.CustomerAddress, p.AmazonAddress)
		fmt.Fprintf(&b, "  Customer ASN: %d\n  Amazon ASN: %d\n", p.ASN, v.AmazonSideASN)
		fmt.Fprintf(&b, "  BGP MD5 key: %s\n  Hold time: 90 s, keepalive: 30 s, single hop (TTL 1)\n", p.AuthKey)
	}
	return b.String()
}
