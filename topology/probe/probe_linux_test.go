package probe

import (
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/dxsim/dxsim/topology/netnstest"
)

// TestProbeAcrossABounce runs the probe over a veth pair between two fresh
// namespaces, takes the link down and up, and checks that the outage it
// reports is the bounce: frames lost while down, none after.
func TestProbeAcrossABounce(t *testing.T) {
	netnstest.RequireRoot(t)
	crNS, cr := netnstest.NewNS(t)
	dxNS, dx := netnstest.NewNS(t)
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "pcr"}, PeerName: "pdx", PeerNamespace: netlink.NsFd(int(dxNS))}
	if err := cr.LinkAdd(veth); err != nil {
		t.Fatal(err)
	}
	for _, x := range []struct {
		h    *netlink.Handle
		name string
	}{{cr, "pcr"}, {dx, "pdx"}} {
		l, err := x.h.LinkByName(x.name)
		if err != nil {
			t.Fatal(err)
		}
		if err := x.h.LinkSetUp(l); err != nil {
			t.Fatal(err)
		}
	}
	p, err := Start(Config{SendNS: crNS, Port: "pcr", RecvNS: dxNS, Accept: []string{"pdx"}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	waitFor(t, p, time.Time{})
	l, _ := dx.LinkByName("pdx")
	if err := dx.LinkSetDown(l); err != nil {
		t.Fatal(err)
	}
	// Let frames be lost: wait until enough were sent while the link was down.
	for from := p.Sent(); p.Sent() < from+50; {
		time.Sleep(5 * time.Millisecond)
	}
	up := time.Now()
	if err := dx.LinkSetUp(l); err != nil {
		t.Fatal(err)
	}
	waitFor(t, p, up)
	r := p.Stop()
	if r.Outage.Lost < 50 {
		t.Fatalf("outage of %d frames, want at least the 50 sent while down: %+v", r.Outage.Lost, r.Outage)
	}
	if r.Restored().Before(up) {
		t.Fatalf("restored at %v, before the link came up at %v", r.Restored(), up)
	}
	if r.Lost < r.Outage.Lost {
		t.Fatalf("lost %d in all, fewer than the outage's %d", r.Lost, r.Outage.Lost)
	}
	if r.Received == 0 || r.Arrivals[0].Port != "pdx" {
		t.Fatalf("arrivals: %d, first %+v", r.Received, r.Arrivals)
	}
}

// TestProbeAcceptsOnlyNamedPorts checks that frames arriving on an interface
// not accepted are ignored, not counted.
func TestProbeAcceptsOnlyNamedPorts(t *testing.T) {
	netnstest.RequireRoot(t)
	crNS, cr := netnstest.NewNS(t)
	dxNS, dx := netnstest.NewNS(t)
	if err := cr.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "pcr"}, PeerName: "pdx", PeerNamespace: netlink.NsFd(int(dxNS))}); err != nil {
		t.Fatal(err)
	}
	if err := dx.LinkAdd(&netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Name: "other"}}); err != nil {
		// No dummy driver: a second veth pair will do.
		if err := dx.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "other"}, PeerName: "other2"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, x := range []struct {
		h    *netlink.Handle
		name string
	}{{cr, "pcr"}, {dx, "pdx"}} {
		l, _ := x.h.LinkByName(x.name)
		if err := x.h.LinkSetUp(l); err != nil {
			t.Fatal(err)
		}
	}
	p, err := Start(Config{SendNS: crNS, Port: "pcr", RecvNS: dxNS, Accept: []string{"other"}})
	if err != nil {
		t.Fatal(err)
	}
	for p.Sent() < 30 {
		time.Sleep(5 * time.Millisecond)
	}
	r := p.Stop()
	if r.Received != 0 || r.Ignored == 0 {
		t.Fatalf("received %d, ignored %d: want none counted and some ignored", r.Received, r.Ignored)
	}
}

// waitFor waits until a frame that arrived after t has been counted.
func waitFor(t *testing.T, p *Probe, after time.Time) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if a, ok := p.Last(); ok && a.At.After(after) {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("no probe frame counted after %v", after)
}

// TestProbeRetire checks that frames on a retired port stop counting from
// the given time, including those counted already.
func TestProbeRetire(t *testing.T) {
	netnstest.RequireRoot(t)
	crNS, cr := netnstest.NewNS(t)
	dxNS, dx := netnstest.NewNS(t)
	if err := cr.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "pcr"}, PeerName: "pdx", PeerNamespace: netlink.NsFd(int(dxNS))}); err != nil {
		t.Fatal(err)
	}
	for _, x := range []struct {
		h    *netlink.Handle
		name string
	}{{cr, "pcr"}, {dx, "pdx"}} {
		l, _ := x.h.LinkByName(x.name)
		if err := x.h.LinkSetUp(l); err != nil {
			t.Fatal(err)
		}
	}
	p, err := Start(Config{SendNS: crNS, Port: "pcr", RecvNS: dxNS, Accept: []string{"pdx"}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, p, time.Time{})
	cut := time.Now()
	waitFor(t, p, cut)
	p.Retire("pdx", cut)
	r := p.Stop()
	if r.Received == 0 || r.Ignored == 0 {
		t.Fatalf("received %d, ignored %d", r.Received, r.Ignored)
	}
	for _, a := range r.Arrivals {
		if a.At.After(cut) {
			t.Fatalf("frame %d arrived at %v, after the port was retired at %v", a.Seq, a.At, cut)
		}
	}
	if !r.Outage.FirstAfter.At.IsZero() || r.Outage.Lost == 0 {
		t.Fatalf("the retired port's frames should end in an open outage: %+v", r.Outage)
	}
}
