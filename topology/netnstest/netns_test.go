package netnstest

import (
	"testing"

	"github.com/vishvananda/netlink"
)

func TestNewNSIsFreshAndIsolated(t *testing.T) {
	_, h := NewNS(t)
	links, err := h.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	// A fresh namespace holds only its loopback device.
	if len(links) != 1 || links[0].Attrs().Name != "lo" {
		t.Fatalf("fresh namespace has links %v, want only lo", names(links))
	}
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "dxsim-probe0"}, PeerName: "dxsim-probe1"}
	if err := h.LinkAdd(veth); err != nil {
		t.Fatal(err)
	}
	if _, err := netlink.LinkByName("dxsim-probe0"); err == nil {
		t.Fatal("a link made in the test namespace appeared in the host's")
	}
}

func names(ls []netlink.Link) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Attrs().Name)
	}
	return out
}
