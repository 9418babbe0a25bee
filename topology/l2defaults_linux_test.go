package topology

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netns"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology/internal/nsthread"
)

// sysctlIn reads a sysctl in the named namespace.
func sysctlIn(t *testing.T, nsName, path string) string {
	t.Helper()
	ns, err := netns.GetFromName(nsName)
	require.NoError(t, err)
	defer ns.Close()
	var v []byte
	require.NoError(t, nsthread.Do(ns, func() (err error) {
		v, err = os.ReadFile(path)
		return err
	}))
	return strings.TrimSpace(string(v))
}

// A port's veth ends and a LAG's interface are born with no IPv6 and no ARP
// replies, whether made one at a time or in a batch; the namespaces'
// defaults are left as they were, and a VIF made next has layer 3.
func TestPortsAndLAGsAreBornWithoutLayer3(t *testing.T) {
	d := openTest(t, nil)
	ctx := context.Background()
	const dev = "EqDC2-dev1"
	require.NoError(t, d.CreatePort(ctx, sim.PortSpec{ConnectionID: "dxcon-aaaa0001", DeviceID: dev}))
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
	_, err := d.Reconcile(ctx, s)
	require.NoError(t, err)
	for _, nsName := range []string{d.names.ns(roleDevice, dev), d.names.ns(roleRouter, dev)} {
		want := map[string]string{"dxlag-aaaa0001": "1 8", "dxvif-aaaa0001": "0 0"}
		for _, p := range s.Ports {
			want[p.ConnectionID] = "1 8"
		}
		for name, w := range want {
			v6 := sysctlIn(t, nsName, "/proc/sys/net/ipv6/conf/"+name+"/disable_ipv6")
			arp := sysctlIn(t, nsName, "/proc/sys/net/ipv4/conf/"+name+"/arp_ignore")
			assert.Equal(t, w, v6+" "+arp, "%s in %s: disable_ipv6, arp_ignore", name, nsName)
		}
		v6 := sysctlIn(t, nsName, "/proc/sys/net/ipv6/conf/default/disable_ipv6")
		arp := sysctlIn(t, nsName, "/proc/sys/net/ipv4/conf/default/arp_ignore")
		assert.Equal(t, "0", v6, "%s default disable_ipv6 after making ports, want 0 as before", nsName)
		assert.Equal(t, "0", arp, "%s default arp_ignore after making ports, want 0 as before", nsName)
	}
}
