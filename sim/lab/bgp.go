package lab

import (
	"cmp"
	"crypto/sha256"
	"net/netip"
	"strings"

	"github.com/dxsim/dxsim/sim"
)

// A VIF with an ASN has BGP: one session between its two addresses, with
// the settings AWS gives a VIF's first peer, checked as the API checks a new
// VIF's, and as far as a lab can run it (IPv4, the addresses on one subnet).

// DefaultAmazonASN is the Amazon side's ASN of a VIF whose amazonAsn is
// empty, as AWS's default for a gateway.
const DefaultAmazonASN = sim.DefaultAmazonSideASN

// PeerID is the BGP peer ID of a lab VIF: "dxpeer-" and the VIF ID's eight
// characters, so it is unique in the lab and the same every run.
func PeerID(vifID string) string {
	return sim.PrefixBGPPeer + strings.TrimPrefix(vifID, "dxvif-")
}

const keyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// AuthKey is the MD5 key of a VIF's session when the lab file gives none:
// shaped as AWS generates one ("0x" and 24 letters and digits), and derived
// from the lab's name and the VIF's ID, so every run of the lab, and a
// customer router configured by hand, use the same one.
func AuthKey(lab, vifID string) string {
	sum := sha256.Sum256([]byte("dxsim lab " + lab + " " + vifID))
	out := []byte("0x")
	for _, c := range sum[:24] {
		out = append(out, keyAlphabet[int(c)%len(keyAlphabet)])
	}
	return string(out)
}

// vifBGP checks a VIF's BGP fields and, when it has an ASN, adds its
// router. speakers are the Amazon addresses of the device's sessions so
// far: two sessions cannot listen on one.
func (r *resolver) vifBGP(v VIF, device string, speakers map[netip.Addr]string) {
	if v.ASN == 0 {
		for _, f := range []struct {
			name string
			set  bool
		}{
			{"amazonAsn", v.AmazonASN != 0}, {"authKey", v.AuthKey != ""}, {"type", v.Type != ""}, {"announce", len(v.Announce) > 0},
		} {
			if f.set {
				r.errf("%s: %s without asn: a VIF has BGP only when asn is set", v.ID, f.name)
			}
		}
		return
	}
	if v.ASN < 1 || v.ASN > sim.MaxASN {
		r.errf("%s: asn %d: want 1-%d", v.ID, v.ASN, int64(sim.MaxASN))
	}
	amazonASN := v.AmazonASN
	if amazonASN == 0 {
		amazonASN = DefaultAmazonASN
	}
	switch {
	case sim.CheckAmazonSideASN(amazonASN) != nil:
		r.errf("%s: amazonAsn %d: want a private ASN, 64512-65534 or 4200000000-4294967294", v.ID, amazonASN)
	case amazonASN == v.ASN:
		r.errf("%s: asn and amazonAsn are both %d: the session would be internal BGP, and AWS's are external", v.ID, v.ASN)
	}
	key := v.AuthKey
	if key == "" {
		key = AuthKey(r.name, v.ID)
	} else if sim.CheckAuthKey(key) != nil {
		r.errf("%s: authKey: want 6-80 printable ASCII characters without spaces", v.ID)
	}
	limit := sim.MaxPrefixesPrivate
	switch v.Type {
	case "", sim.VIFPrivate, sim.VIFTransit:
	case sim.VIFPublic:
		limit = sim.MaxPrefixesPublic
	default:
		r.errf("%s: type %q: want private, public or transit", v.ID, v.Type)
	}
	r.sessionAddresses(v, device, speakers)
	rt := sim.BGPRouter{VIFID: v.ID, Type: cmp.Or(v.Type, sim.VIFPrivate), Device: device, ParentID: v.On, VLAN: v.VLAN, AmazonASN: amazonASN,
		Peers: []sim.BGPSessionSpec{{PeerID: PeerID(v.ID), Family: sim.FamilyIPv4, AmazonAddress: v.AmazonAddress,
			CustomerAddress: v.CustomerAddress, ASN: v.ASN, AuthKey: key, MaxPrefixes: limit}}}
	seen := map[netip.Prefix]bool{}
	for _, a := range v.Announce {
		p, err := netip.ParsePrefix(a)
		switch {
		case err != nil:
			r.errf("%s: announce %q: %v", v.ID, a, err)
			continue
		case !p.Addr().Is4():
			r.errf("%s: announce %s: not IPv4, the session's family", v.ID, a)
		case p != p.Masked():
			r.errf("%s: announce %s has host bits set (%s?)", v.ID, a, p.Masked())
		case seen[p]:
			r.errf("%s: announce %s appears twice", v.ID, a)
		}
		seen[p] = true
		rt.Announce = append(rt.Announce, sim.AmazonPrefix{Prefix: p.String()})
	}
	r.bgp = append(r.bgp, rt)
}

// sessionAddresses checks what a session needs of the VIF's addresses:
// both given, IPv4 (a speaker's router ID is its IPv4 address), distinct,
// on one subnet, and the Amazon one no other session's on the device.
func (r *resolver) sessionAddresses(v VIF, device string, speakers map[netip.Addr]string) {
	if v.AmazonAddress == "" || v.CustomerAddress == "" {
		for _, f := range []struct{ name, value string }{{"amazonAddress", v.AmazonAddress}, {"customerAddress", v.CustomerAddress}} {
			if f.value == "" {
				r.errf("%s: asn is set but %s is not: BGP needs amazonAddress and customerAddress", v.ID, f.name)
			}
		}
		return
	}
	a, errA := netip.ParsePrefix(v.AmazonAddress)
	c, errC := netip.ParsePrefix(v.CustomerAddress)
	if errA != nil || errC != nil {
		return // reported with the VIF's addresses
	}
	switch {
	case !a.Addr().Is4() || !c.Addr().Is4():
		r.errf("%s: BGP over %s and %s: a lab's BGP runs over IPv4 addresses", v.ID, a, c)
	case a.Addr() == c.Addr():
		r.errf("%s: amazonAddress and customerAddress are both %s", v.ID, a.Addr())
	case a.Masked() != c.Masked():
		r.errf("%s: amazonAddress %s and customerAddress %s are not on one subnet: the session could not connect", v.ID, a, c)
	}
	if other, dup := speakers[a.Addr()]; dup {
		r.errf("%s: amazonAddress %s is %s's already on device %s", v.ID, a.Addr(), other, device)
	}
	speakers[a.Addr()] = v.ID
}
