//go:build !linux

package netnstest

import (
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// RequireBondingAndVLAN skips: 802.3ad bonds and 802.1Q VLANs are Linux's.
func RequireBondingAndVLAN(t testing.TB) {
	t.Helper()
	Skip(t, "bonding and 802.1Q VLANs need Linux")
}

// NewNS skips: network namespaces are Linux's.
func NewNS(t testing.TB) (netns.NsHandle, *netlink.Handle) {
	t.Helper()
	Skip(t, "network namespaces need Linux")
	return 0, nil
}
