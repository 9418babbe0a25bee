package sim

import (
	"net/netip"
	"unicode"
	"unicode/utf8"
)

// Input checks: pure functions of a request, applied before anything is
// stored, so a client's mistake is always a 400 and never a stored object.
// Where a rule comes from the service model's documentation or AWS's user
// guide, the comment says so.

// MaxVIFName is the longest virtual interface name (model: "The name has a
// maximum of 100 characters").
const MaxVIFName = 100

// MaxName bounds connection and LAG names. The model sets no limit; this one
// keeps a client's runaway string out of the store.
const MaxName = 256

// CheckVIFInput checks a Create{Private,Public,Transit}VirtualInterface
// request on its own, without the state: type, name, VLAN range, ASN, MTU,
// BGP auth key, peer addresses and route filter prefixes.
func CheckVIFInput(in CreateVIFInput) error {
	switch in.Type {
	case VIFPrivate, VIFPublic, VIFTransit:
	default:
		return clientErr(RuleInvalidArgument, "Virtual interface type %q must be one of private, public, transit.", in.Type)
	}
	checks := []func() error{
		func() error { return CheckName("virtualInterfaceName", in.Name, MaxVIFName) },
		func() error { return CheckVLANRange(in.VLAN) },
		func() error { return CheckASN(in.ASN) },
		func() error { return CheckMTU(in.Type, in.MTU) },
		func() error { return CheckAuthKey(in.AuthKey) },
		func() error {
			return CheckPeerAddresses(in.Type, in.AddressFamily, in.AmazonAddress, in.CustomerAddress)
		},
		func() error { return CheckRouteFilterPrefixes(in.RouteFilterPrefixes) },
	}
	for _, check := range checks {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// CheckName: a name is non-empty, at most max characters and free of
// control characters (which no console or CLI user means to send).
func CheckName(field, name string, max int) error {
	n := utf8.RuneCountInString(name)
	if n == 0 || n > max {
		return clientErr(RuleInvalidArgument, "%s must be between 1 and %d characters; it has %d.", field, max, n)
	}
	if !utf8.ValidString(name) {
		return clientErr(RuleInvalidArgument, "%s is not valid UTF-8.", field)
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return clientErr(RuleInvalidArgument, "%s must not contain control characters.", field)
		}
	}
	return nil
}

// CheckVLANRange: 802.1Q VLAN IDs 1-4094 (0 and 4095 are reserved).
func CheckVLANRange(vlan int) error {
	if vlan < 1 || vlan > 4094 {
		return clientErr(RuleInvalidArgument, "VLAN %d is not between 1 and 4094.", vlan)
	}
	return nil
}

// MaxASN is the largest customer ASN (model, asnLong: "The valid range is
// from 1 to 4294967294"; 4294967295 is reserved by RFC 7300). Private ASNs
// are allowed.
const MaxASN = 4294967294

// CheckASN: the customer's BGP ASN, 1-4294967294.
func CheckASN(asn int64) error {
	if asn < 1 || asn > MaxASN {
		return clientErr(RuleInvalidArgument, "asn %d is not between 1 and %d.", asn, int64(MaxASN))
	}
	return nil
}

// CheckMTU: 0 (the default, 1500) or a value the VIF type supports. AWS's
// user guide: private 1500 or 9001, transit 1500 or 8500, public 1500 only
// (public VIFs have no mtu member).
func CheckMTU(vifType string, mtu int) error {
	allowed := map[string][]int{VIFPrivate: {1500, 9001}, VIFTransit: {1500, 8500}, VIFPublic: {1500}}[vifType]
	if mtu == 0 {
		return nil
	}
	for _, a := range allowed {
		if mtu == a {
			return nil
		}
	}
	return clientErr(RuleInvalidArgument, "mtu %d is not supported on a %s virtual interface; supported: %v.", mtu, vifType, allowed)
}

// CheckAuthKey: empty (AWS generates one) or 6-80 printable ASCII characters
// without spaces (model: "a minimum length of 6 characters and a maximum
// length of 80"; an MD5 key is typed on a router's command line).
func CheckAuthKey(key string) error {
	if key == "" {
		return nil
	}
	if n := len(key); n < 6 || n > 80 {
		return clientErr(RuleInvalidArgument, "authKey must be between 6 and 80 characters; it has %d.", utf8.RuneCountInString(key))
	}
	for _, r := range key {
		if r <= ' ' || r > '~' {
			return clientErr(RuleInvalidArgument, "authKey must be printable ASCII without spaces.")
		}
	}
	return nil
}

// CheckPeerAddresses: amazonAddress and customerAddress are both given or
// both omitted (AWS then assigns them; a public IPv4 VIF needs them, which
// the service checks), are CIDRs of addressFamily (ipv4 by default), differ,
// and lie in one subnet of one prefix length. The subnet must hold two
// hosts: IPv4 /1-/31 and IPv6 /1-/127; below /31 (or /127) neither address
// may be the network address, nor for IPv4 the broadcast address (RFC 3021
// and RFC 6164 make /31 and /127 point-to-point links without them).
func CheckPeerAddresses(vifType, family, amazon, customer string) error {
	if family == "" {
		family = "ipv4"
	}
	if family != "ipv4" && family != "ipv6" {
		return clientErr(RuleInvalidArgument, "addressFamily %q must be ipv4 or ipv6.", family)
	}
	if amazon == "" && customer == "" {
		return nil
	}
	if amazon == "" || customer == "" {
		return clientErr(RuleInvalidArgument, "Give both amazonAddress and customerAddress, or neither.")
	}
	a, err := peerAddress("amazonAddress", amazon, family)
	if err != nil {
		return err
	}
	c, err := peerAddress("customerAddress", customer, family)
	if err != nil {
		return err
	}
	if a.Addr() == c.Addr() {
		return clientErr(RuleInvalidArgument, "amazonAddress and customerAddress are both %s; they must differ.", a.Addr())
	}
	if a.Bits() != c.Bits() || a.Masked() != c.Masked() {
		return clientErr(RuleInvalidArgument, "amazonAddress %s and customerAddress %s are not in one subnet.", amazon, customer)
	}
	return nil
}

// peerAddress parses one peer address as a host address in a CIDR of family.
func peerAddress(field, s, family string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil || p.Addr().Zone() != "" {
		return netip.Prefix{}, clientErr(RuleInvalidArgument, "%s %q is not a CIDR such as 192.0.2.1/30.", field, s)
	}
	v4 := p.Addr().Is4()
	if (family == "ipv4") != v4 {
		return netip.Prefix{}, clientErr(RuleInvalidArgument, "%s %s is not an %s address, the addressFamily.", field, s, family)
	}
	maxBits := 31
	if !v4 {
		maxBits = 127
	}
	if p.Bits() < 1 || p.Bits() > maxBits {
		return netip.Prefix{}, clientErr(RuleInvalidArgument, "%s %s has prefix length /%d; it must be /1 to /%d to hold two peers.", field, s, p.Bits(), maxBits)
	}
	if p.Bits() < maxBits {
		if p.Addr() == p.Masked().Addr() {
			return netip.Prefix{}, clientErr(RuleInvalidArgument, "%s %s is the subnet's network address, not a host address.", field, s)
		}
		if v4 && p.Addr() == broadcast(p) {
			return netip.Prefix{}, clientErr(RuleInvalidArgument, "%s %s is the subnet's broadcast address, not a host address.", field, s)
		}
	}
	return p, nil
}

func broadcast(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v |= host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// CheckRouteFilterPrefixes: each is a CIDR; an IPv6 one is /64 or shorter
// (model, RouteFilterPrefix.cidr: "An IPv6 CIDR must use /64 or shorter").
func CheckRouteFilterPrefixes(prefixes []string) error {
	for _, s := range prefixes {
		p, err := netip.ParsePrefix(s)
		if err != nil || p.Addr().Zone() != "" {
			return clientErr(RuleInvalidArgument, "routeFilterPrefixes: %q is not a CIDR such as 203.0.113.0/24.", s)
		}
		if p.Addr().Is6() && p.Bits() > 64 {
			return clientErr(RuleInvalidArgument, "routeFilterPrefixes: IPv6 CIDR %s must be /64 or shorter.", s)
		}
	}
	return nil
}

// CheckAssociateVLANs: when a standalone connection joins a LAG, its VIFs
// and hosted connections move onto the LAG (joinLAG), so each of their VLANs
// must be free there: not used by the LAG's VIFs or hosted connections, nor
// by anything still sitting on another member. A connection moving from
// another LAG leaves its VIFs there, so nothing can clash.
func CheckAssociateVLANs(st *State, c *Connection, lag *LAG) error {
	if c.LAGID != "" {
		return nil
	}
	type moving struct {
		id   string
		vlan int
	}
	var move []moving
	for _, v := range st.VIFsOn(c.ID) {
		move = append(move, moving{v.ID, v.VLAN})
	}
	for _, h := range st.Hosted(c.ID) {
		move = append(move, moving{h.ID, h.VLAN})
	}
	if len(move) == 0 {
		return nil // nothing follows the connection onto the LAG
	}
	used := map[int]string{} // VLAN -> ID of what uses it on the LAG
	parents := []string{lag.ID}
	for _, m := range st.Members(lag.ID) {
		if m.ID != c.ID {
			parents = append(parents, m.ID)
		}
	}
	for _, p := range parents {
		for _, v := range st.VIFsOn(p) {
			used[v.VLAN] = v.ID
		}
		for _, h := range st.Hosted(p) {
			used[h.VLAN] = h.ID
		}
	}
	for _, m := range move {
		if by, ok := used[m.vlan]; ok {
			return clientErr(RuleInUse, "VLAN %d is already in use on Lag %s by %s; %s of connection %s cannot move onto it.", m.vlan, lag.ID, by, m.id, c.ID)
		}
	}
	return nil
}
