package userspace

import (
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"

	"github.com/dxsim/dxsim/topology/internal/nsthread"
	"github.com/dxsim/dxsim/topology/netnstest"
)

// TestAgainstKernelBond runs a userspace LAG against a Linux 802.3ad bond
// with an 802.1Q VLAN on it: LACP converges both ways and datagrams cross the
// LAG and the VLAN, so the engine speaks Linux's LACP and the userspace tags
// are the kernel's 802.1Q. It needs bonding and 8021q (scripts/vmtest has
// them).
func TestAgainstKernelBond(t *testing.T) {
	netnstest.RequireBondingAndVLAN(t)
	aws := newSide(t, "aws", New)
	cust := newSide(t, "customer", New) // its Host stays idle: the bond is the kernel's
	const n = 2
	awsPorts, custPorts := make([]string, n), make([]string, n)
	for i := range n {
		awsPorts[i], custPorts[i] = fmt.Sprintf("dxcon-k%d", i), fmt.Sprintf("cust-k%d", i)
		connect(t, aws, awsPorts[i], cust, custPorts[i])
	}
	mac, _ := net.ParseMAC("02:dd:00:00:00:0b")
	require.NoError(t, aws.h.CreateLAG(LAGConfig{Name: "dxlag-k", MinLinks: 1, SystemMAC: mac}))

	bond := netlink.NewLinkBond(netlink.LinkAttrs{Name: "bond-k"})
	bond.Mode = netlink.BOND_MODE_802_3AD
	bond.LacpRate = netlink.BOND_LACP_RATE_FAST
	bond.Miimon = 100
	require.NoError(t, cust.nl.LinkAdd(bond))
	for _, p := range custPorts {
		l, err := cust.nl.LinkByName(p)
		require.NoError(t, err)
		cust.setUp(p, false)
		require.NoError(t, cust.nl.LinkSetMaster(l, bond))
	}
	cust.setUp("bond-k", true)
	for _, p := range custPorts {
		cust.setUp(p, true)
	}
	require.NoError(t, cust.nl.LinkAdd(&netlink.Vlan{
		LinkAttrs: netlink.LinkAttrs{Name: "bond-k.101", ParentIndex: bond.Attrs().Index},
		VlanId:    101,
	}))
	cust.setUp("bond-k.101", true)

	for _, p := range awsPorts {
		aws.join("dxlag-k", p)
	}
	// The userspace side's members carry traffic, and the bond says so too.
	aws.waitUsable("dxlag-k", awsPorts...)

	require.NoError(t, aws.h.CreateVLAN(VLANConfig{Name: "dxvif-k", Parent: "dxlag-k", VID: 101}))
	aws.addr("dxlag-k", "10.7.0.1/24")
	cust.addr("bond-k", "10.7.0.2/24")
	aws.addr("dxvif-k", "10.7.1.1/24")
	cust.addr("bond-k.101", "10.7.1.2/24")
	udpAcross(t, aws, "10.7.0.1", cust, "10.7.0.2")
	udpAcross(t, cust, "10.7.0.2", aws, "10.7.0.1")
	udpAcross(t, cust, "10.7.1.2", aws, "10.7.1.1")
	udpAcross(t, aws, "10.7.1.1", cust, "10.7.1.2")
	// The kernel sends with checksum and segmentation offload: its frames
	// reach the members unfinished, and TCP's are 64 KiB super-frames.
	tcpAcross(t, cust, aws, "10.7.0.1")
	tcpAcross(t, cust, aws, "10.7.1.1")
}

// tcpAcross streams 4 MiB from one side to the other's address and checks
// every byte arrived.
func tcpAcross(t *testing.T, from, to *side, dst string) {
	t.Helper()
	var ln net.Listener
	require.NoError(t, nsthread.Do(to.ns, func() error {
		var err error
		ln, err = net.Listen("tcp4", net.JoinHostPort(dst, "7778"))
		return err
	}))
	defer ln.Close()
	const size = 4 << 20
	got := make(chan int64, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- -1
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(waitLimit))
		n, _ := io.Copy(io.Discard, c)
		got <- n
	}()
	var c net.Conn
	require.NoError(t, nsthread.Do(from.ns, func() error {
		var err error
		c, err = net.DialTimeout("tcp4", net.JoinHostPort(dst, "7778"), waitLimit)
		return err
	}), "TCP to %s", dst)
	_ = c.SetDeadline(time.Now().Add(waitLimit))
	_, err := c.Write(make([]byte, size))
	require.NoError(t, err, "TCP to %s", dst)
	c.Close()
	require.Equal(t, int64(size), <-got, "TCP to %s: bytes arrived", dst)
}
