package topology

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/vishvananda/netns"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology/internal/nsthread"
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
	if err := nsthread.Do(ns, func() (err error) {
		v, err = os.ReadFile(path)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(v))
}

// A port's veth ends and a LAG's interface are born with no IPv6 and no ARP
// replies, whether made one at a time or in a batch; the namespaces'
// defaults are left as they were, and a VIF made next has layer 3.
func TestPortsAndLAGsAreBornWithoutLayer3(t *testing.T) {
	d := openTest(t, nil)
	ctx := context.Background()
	const dev = "EqDC2-dev1"
	if err := d.CreatePort(ctx, sim.PortSpec{ConnectionID: "dxcon-aaaa0001", DeviceID: dev}); err != nil {
		t.Fatal(err)
	}
	s := sim.Snapshot{
		Ports: []sim.PortSpec{{ConnectionID: "dxcon-aaaa0001", DeviceID: dev}},
		LAGs:  []sim.LAGSpec{{LAGID: "dxlag-aaaa0001", DeviceID: dev, MinLinks: 1}},
		VLANs: []sim.VLANSpec{{ID: "dxvif-aaaa0001", ParentID: "dxlag-aaaa0001", VLAN: 101,
			AmazonAddress: "169.254.10.1/30", CustomerAddress: "169.254.10.2/30"}},
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
		want := map[string]string{"dxlag-aaaa0001": "1 8", "dxvif-aaaa0001": "0 0"}
		for _, p := range s.Ports {
			want[p.ConnectionID] = "1 8"
		}
		for name, w := range want {
			v6 := sysctlIn(t, nsName, "/proc/sys/net/ipv6/conf/"+name+"/disable_ipv6")
			arp := sysctlIn(t, nsName, "/proc/sys/net/ipv4/conf/"+name+"/arp_ignore")
			if got := v6 + " " + arp; got != w {
				t.Errorf("%s in %s: disable_ipv6, arp_ignore = %s; want %s", name, nsName, got, w)
			}
		}
		v6 := sysctlIn(t, nsName, "/proc/sys/net/ipv6/conf/default/disable_ipv6")
		arp := sysctlIn(t, nsName, "/proc/sys/net/ipv4/conf/default/arp_ignore")
		if v6 != "0" || arp != "0" {
			t.Errorf("%s defaults after making ports: disable_ipv6 %s, arp_ignore %s; want 0 and 0 as before", nsName, v6, arp)
		}
	}
}
