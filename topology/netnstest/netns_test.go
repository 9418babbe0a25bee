package netnstest

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"
)

func TestNewNSIsFreshAndIsolated(t *testing.T) {
	_, h := NewNS(t)
	links, err := h.LinkList()
	require.NoError(t, err)
	// A fresh namespace holds only its loopback device.
	require.Len(t, links, 1, "fresh namespace has links %v, want only lo", names(links))
	require.Equal(t, "lo", links[0].Attrs().Name, "fresh namespace has links %v, want only lo", names(links))
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "dxsim-probe0"}, PeerName: "dxsim-probe1"}
	require.NoError(t, h.LinkAdd(veth))
	_, err = netlink.LinkByName("dxsim-probe0")
	require.Error(t, err, "a link made in the test namespace appeared in the host's")
}

func names(ls []netlink.Link) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Attrs().Name)
	}
	return out
}
