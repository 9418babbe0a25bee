package main

import (
	"bytes"
	"context"
	"net"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/dxsim/dxsim/topology"
	"github.com/dxsim/dxsim/topology/netnstest"
)

// nsfLabJSON is a device with a LAG of two connections carrying a VIF.
const nsfLabJSON = `{"id": "EqDC2-nsf", "location": "EqDC2",
	"lags": [{"id": "dxlag-nsf00001", "minimumLinks": 1}],
	"connections": [{"id": "dxcon-nsf00001", "lag": "dxlag-nsf00001"}, {"id": "dxcon-nsf00002", "lag": "dxlag-nsf00001"}],
	"vifs": [{"id": "dxvif-nsf00001", "on": "dxlag-nsf00001", "vlan": 778,
		"amazonAddress": "169.254.78.1/30", "customerAddress": "169.254.78.2/30"}]}`

// TestLabUpRestartKeepsForwarding stops `dxsim lab up` (as Ctrl-C does) and
// starts it again while UDP datagrams cross the lab's VIF, on a LAG, at
// 1,000 a second: the LAG's and the VIF's interfaces are adopted, not made
// again, LACP never renegotiates (every LACPDU on a member says Sync,
// Collecting and Distributing), and the probe loses only what was sent
// while no lab up ran. With the userspace backend the checkpoints beside
// the lab's socket carry the LACP state over; kernel bonds never stop.
func TestLabUpRestartKeepsForwarding(t *testing.T) {
	netnstest.RequireRoot(t)
	backend := faultBackend(t)
	file, l := writeLab(t, nsfLabJSON)
	t.Cleanup(func() { runLabCmd(t, "lab", "down", "-f", file) })
	up := func() (stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		r := &labUpRun{done: make(chan struct{})}
		go func() {
			defer close(r.done)
			r.err = runLab(ctx, &r.out, "lab", "up", "-f", file, "--dataplane", backend, "--watch")
		}()
		return func() {
			cancel()
			require.NoError(t, r.wait(t), "lab up\n%s", &r.out)
		}
	}
	stop := up()
	defer func() { stop() }()

	awsNS, custNS := topology.Namespaces(l.Prefix, "EqDC2-nsf")
	require.Eventually(t, func() bool {
		return labHasInterface(awsNS, "dxvif-nsf00001") && labHasInterface(custNS, "dxvif-nsf00001")
	}, time.Minute, 20*time.Millisecond, "the lab's VIF never appeared")
	rx := nsfListen(t, awsNS, "169.254.78.1:7778")
	tx := nsfListen(t, custNS, "169.254.78.2:0")
	p := startNSFProbe(tx, rx, &net.UDPAddr{IP: net.ParseIP("169.254.78.1"), Port: 7778})
	defer p.stop()
	require.Eventually(t, func() bool { return p.received() > 0 }, time.Minute, 10*time.Millisecond, "no datagram crossed the VIF")
	// Converged: both members collecting and distributing at both ends (a
	// kernel bond's first members may pass frames before, while they wait
	// out its selection timer).
	converged := regexp.MustCompile(`(?m)^  dxcon-nsf0000[12] .*\*\*DCSGSA/\*\*DCSGSA +\*\*DCSGSA/\*\*DCSGSA`)
	for deadline := time.Now().Add(time.Minute); ; {
		var b bytes.Buffer
		err := runLab(context.Background(), &b, "lab", "status", "-f", file, "--dataplane", backend)
		if err == nil && len(converged.FindAllString(b.String(), -1)) == 2 {
			break
		}
		require.True(t, time.Now().Before(deadline), "the LAG never converged: %v\n%s", err, &b)
		time.Sleep(100 * time.Millisecond)
	}
	index := nsfIndexes(t, awsNS, "dxlag-nsf00001", "dxvif-nsf00001")

	pdus := nsfCaptureLACP(t, awsNS, "dxcon-nsf00001")
	time.Sleep(1500 * time.Millisecond) // traffic and LACPDUs before
	before := p.mark()
	stopAt := time.Now()
	stop()
	stopped := time.Now()
	stop = up()
	// Past the partner's 3 s current_while: a side the restart had left
	// silent would have been timed out by now.
	time.Sleep(4 * time.Second)
	o := p.outageSince(before)
	seen := pdus.stop()
	t.Logf("%s: lab up stopped %v after it was asked; probe outage %.0f ms (nothing arrived; by the numbers sent %.0f ms; "+
		"the sender late by up to %.0f ms; %d of %d datagrams lost); %d LACPDUs on dxcon-nsf00001",
		backend, stopped.Sub(stopAt).Round(time.Millisecond), o.ms, o.bySeq, o.late, o.lost, o.sent, len(seen))
	// Under a second: a new lab up reconciles the whole lab file before
	// it forwards (7-37 ms measured, 336 ms once under load); LACP
	// renegotiating would take over 2 s, and the LACPDUs tell it anyway.
	checkKeptForwarding(t, "lab up "+backend, seen, o, stopAt, 1000)
	assert.Equal(t, index, nsfIndexes(t, awsNS, "dxlag-nsf00001", "dxvif-nsf00001"), "the LAG's and the VIF's interfaces were made again, not adopted")
}

// labHasInterface says whether the namespace (if it exists yet) has the
// interface.
func labHasInterface(ns, name string) bool {
	h, err := netns.GetFromName(ns)
	if err != nil {
		return false
	}
	defer h.Close()
	nh, err := netlink.NewHandleAt(h, unix.NETLINK_ROUTE)
	if err != nil {
		return false
	}
	defer nh.Close()
	_, err = nh.LinkByName(name)
	return err == nil
}
