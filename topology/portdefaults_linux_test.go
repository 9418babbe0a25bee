package topology

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/vishvananda/netns"

	"github.com/dxsim/dxsim/lacp/capture/afpacket"
	"github.com/dxsim/dxsim/sim"
)

// sysctlIn reads a sysctl in the named namespace.
func sysctlIn(t *testing.T, nsName, path string) string {
	t.Helper()
	ns, err := netns.GetFromName(nsName)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	var v []byte
	if err := afpacket.InNamespace(ns, func() (err error) {
		v, err = os.ReadFile(path)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(v))
}

// A port's veth ends are born with no IPv6 and no ARP replies, whether made
// one at a time or in a batch, and the namespaces' defaults are left as they
// were for whatever is made there next.
func TestPortsAreBornWithoutLayer3(t *testing.T) {
	d := openTest(t, nil)
	ctx := context.Background()
	const dev = "EqDC2-dev1"
	if err := d.CreatePort(ctx, sim.PortSpec{ConnectionID: "dxcon-aaaa0001", DeviceID: dev}); err != nil {
		t.Fatal(err)
	}
	s := sim.Snapshot{
		Ports: []sim.PortSpec{{ConnectionID: "dxcon-aaaa0001", DeviceID: dev}},
		LAGs:  []sim.LAGSpec{{LAGID: "dxlag-aaaa0001", DeviceID: dev, MinLinks: 1}},
	}
	for i := 2; i <= 5; i++ {
		p := sim.PortSpec{ConnectionID: fmt.Sprintf("dxcon-aaaa%04d", i), DeviceID: dev}
		if i > 3 {
			p.LAGID = "dxlag-aaaa0001"
		}
		s.Ports = append(s.Ports, p)
	}
	if _, err := d.Reconcile(ctx, s); err != nil {
		t.Fatal(err)
	}
	for _, nsName := range []string{d.names.ns(roleDevice, dev), d.names.ns(roleRouter, dev)} {
		for _, p := range s.Ports {
			v6 := sysctlIn(t, nsName, "/proc/sys/net/ipv6/conf/"+p.ConnectionID+"/disable_ipv6")
			arp := sysctlIn(t, nsName, "/proc/sys/net/ipv4/conf/"+p.ConnectionID+"/arp_ignore")
			if v6 != "1" || arp != "8" {
				t.Errorf("%s in %s: disable_ipv6 %s, arp_ignore %s; want 1 and 8", p.ConnectionID, nsName, v6, arp)
			}
		}
		v6 := sysctlIn(t, nsName, "/proc/sys/net/ipv6/conf/default/disable_ipv6")
		arp := sysctlIn(t, nsName, "/proc/sys/net/ipv4/conf/default/arp_ignore")
		if v6 != "0" || arp != "0" {
			t.Errorf("%s defaults after making ports: disable_ipv6 %s, arp_ignore %s; want 0 and 0 as before", nsName, v6, arp)
		}
	}
}
