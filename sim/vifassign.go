package sim

import (
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
)

// Values Amazon assigns when a VIF's request leaves them out.

// linkLocalV4 is where Amazon takes a private or transit VIF's IPv4 peer
// addresses from when the request gives none: a /30 of 169.254.0.0/16.
var linkLocalV4 = netip.MustParsePrefix("169.254.0.0/16")

const authKeyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// newAuthKey is a BGP MD5 key as Amazon generates one: "0x" and 24 letters
// and digits.
func newAuthKey(r io.Reader) (string, error) {
	var b [24]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("reading random key bytes: %w", err)
	}
	out := []byte("0x")
	for _, c := range b {
		out = append(out, authKeyAlphabet[int(c)%len(authKeyAlphabet)])
	}
	return string(out), nil
}

// newPeerAddresses picks a /30 of 169.254.0.0/16 that no VIF's BGP peer in st uses,
// and gives its first host to Amazon and its second to the customer.
func newPeerAddresses(st *State, r io.Reader) (amazon, customer string, err error) {
	used := map[netip.Prefix]bool{}
	for _, v := range st.VIFs {
		for _, peer := range v.peers() {
			if p, err := netip.ParsePrefix(peer.AmazonAddress); err == nil && p.Addr().Is4() {
				used[p.Masked()] = true
			}
		}
	}
	const subnets = 1 << (32 - 16 - 2) // /30s in a /16
	if len(used) >= subnets {
		return "", "", clientErr(RuleQuota, "No 169.254.0.0/16 /30 is free for the peer addresses; give amazonAddress and customerAddress.")
	}
	var b [4]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", "", fmt.Errorf("reading random address bytes: %w", err)
	}
	base := linkLocalV4.Addr().As4()
	start := binary.BigEndian.Uint32(b[:]) % subnets
	for i := uint32(0); i < subnets; i++ {
		n := (start + i) % subnets
		a := base
		binary.BigEndian.PutUint16(a[2:], uint16(n<<2))
		p := netip.PrefixFrom(netip.AddrFrom4(a), 30)
		if used[p] || n == 0 { // 169.254.0.0/30 left out: it looks unset
			continue
		}
		first := p.Addr().Next()
		return netip.PrefixFrom(first, 30).String(), netip.PrefixFrom(first.Next(), 30).String(), nil
	}
	return "", "", clientErr(RuleQuota, "No 169.254.0.0/16 /30 is free for the peer addresses; give amazonAddress and customerAddress.")
}
