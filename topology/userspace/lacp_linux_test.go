package userspace

import (
	"errors"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/lacp"
	"github.com/dxsim/dxsim/lacp/verify"
	"github.com/dxsim/dxsim/topology/afpacket"
	"github.com/dxsim/dxsim/topology/capture"
	"github.com/dxsim/dxsim/topology/netnstest"
)

// TestLACPConvergesBothWaysAndSurvivesABounce is the userspace LAG as the
// data plane uses it: a LAG of three members between the DX endpoint's
// namespace and the customer router's, each side its own LACP System.
func TestLACPConvergesBothWaysAndSurvivesABounce(t *testing.T) {
	netnstest.RequireRoot(t)
	aws := newSide(t, "aws", New)
	cust := newSide(t, "customer", New)
	const n = 3
	awsPorts, custPorts := make([]string, n), make([]string, n)
	for i := range n {
		awsPorts[i], custPorts[i] = fmt.Sprintf("dxcon-m%d", i), fmt.Sprintf("cust-m%d", i)
		connect(t, aws, awsPorts[i], cust, custPorts[i])
	}
	awsMAC, _ := net.ParseMAC("02:dd:00:00:00:01")
	custMAC, _ := net.ParseMAC("02:cc:00:00:00:01")
	require.NoError(t, aws.h.CreateLAG(LAGConfig{Name: "dxlag-x", MinLinks: 2, SystemMAC: awsMAC, Key: 7}))
	require.NoError(t, cust.h.CreateLAG(LAGConfig{Name: "dxlag-x", MinLinks: 1, SystemMAC: custMAC, Key: 9}))
	// Record the conversation on one member, both directions.
	rec, err := capture.Open(capture.Config{NetNS: aws.ns, Ports: awsPorts})
	require.NoError(t, err)
	defer rec.Close()

	for i := range n {
		aws.join("dxlag-x", awsPorts[i])
		cust.join("dxlag-x", custPorts[i])
	}
	aws.waitUsable("dxlag-x", awsPorts...)
	cust.waitUsable("dxlag-x", custPorts...)
	for _, s := range []*side{aws, cust} {
		st, err := s.h.LAGStatus("dxlag-x")
		require.NoError(t, err)
		assert.True(t, st.Up, "%s: LAG has no carrier with every member usable: %+v", s.name, st)
		assert.Len(t, st.Members, n, "%s: members", s.name)
	}
	checkConversation(t, rec, awsMAC, custMAC, n)

	aws.addr("dxlag-x", "10.8.0.1/24")
	cust.addr("dxlag-x", "10.8.0.2/24")
	udpAcross(t, aws, "10.8.0.1", cust, "10.8.0.2")

	// A member bounces: both ends stop using it, then take it back.
	aws.setUp(awsPorts[1], false)
	cust.waitFor(custPorts[1]+" out of use", func(e Event) bool {
		return e.Kind == EventMember && e.Member == custPorts[1] &&
			!e.Actor.Has(lacp.StateCollecting|lacp.StateDistributing)
	})
	aws.setUp(awsPorts[1], true)
	aws.waitUsable("dxlag-x", awsPorts...)
	cust.waitUsable("dxlag-x", custPorts...)
	udpAcross(t, cust, "10.8.0.2", aws, "10.8.0.1")

	// A member pair deleted and made again under the same names (as a
	// reconcile or a hand edit would) is found again and converges.
	l, err := aws.nl.LinkByName(awsPorts[0])
	require.NoError(t, err)
	require.NoError(t, aws.nl.LinkDel(l))
	for i, s := range []*side{aws, cust} {
		port := []string{awsPorts[0], custPorts[0]}[i]
		s.waitFor(port+" gone", func(e Event) bool { return e.Kind == EventLink && e.Member == port && !e.Up })
	}
	connect(t, aws, awsPorts[0], cust, custPorts[0])
	aws.waitUsable("dxlag-x", awsPorts...)
	cust.waitUsable("dxlag-x", custPorts...)

	// A silent member is timed out by its partner, and taken back when it
	// speaks again.
	require.NoError(t, aws.h.SetFault("dxlag-x", awsPorts[2], Fault{Silent: true}))
	cust.waitFor(custPorts[2]+" timed out", func(e Event) bool {
		return e.Kind == EventMember && e.Member == custPorts[2] &&
			!e.Actor.Has(lacp.StateCollecting|lacp.StateDistributing)
	})
	require.NoError(t, aws.h.SetFault("dxlag-x", awsPorts[2], Fault{}))
	aws.waitUsable("dxlag-x", awsPorts...)
	cust.waitUsable("dxlag-x", custPorts...)

	// VLANs on the LAG: each arrives on its own TAP.
	for _, s := range []*side{aws, cust} {
		for _, v := range []VLANConfig{{Name: "dxvif-1", Parent: "dxlag-x", VID: 301}, {Name: "dxvif-2", Parent: "dxlag-x", VID: 302}} {
			require.NoError(t, s.h.CreateVLAN(v))
		}
	}
	aws.addr("dxvif-1", "10.8.1.1/24")
	cust.addr("dxvif-1", "10.8.1.2/24")
	aws.addr("dxvif-2", "10.8.2.1/24")
	cust.addr("dxvif-2", "10.8.2.2/24")
	udpAcross(t, aws, "10.8.1.1", cust, "10.8.1.2")
	udpAcross(t, cust, "10.8.2.2", aws, "10.8.2.1")
	checkVLANsApart(t, aws, cust, "dxlag-x", map[string]byte{"dxvif-1": 1, "dxvif-2": 2})

	// Min links: two members on the AWS side; taking one away of three
	// keeps carrier, taking two loses it.
	for _, p := range awsPorts[:2] {
		require.NoError(t, aws.h.RemoveMember("dxlag-x", p))
	}
	aws.waitFor("carrier off below min links", func(e Event) bool { return e.Kind == EventCarrier && !e.Up })
	// The LAG's VLANs lose carrier with it.
	for _, name := range []string{"dxlag-x", "dxvif-1", "dxvif-2"} {
		assert.False(t, aws.lowerUp(name), "%s has carrier with the LAG below min links", name)
	}
	assert.True(t, cust.lowerUp("dxvif-1"), "the customer side's VLAN lost carrier too")
}

// checkConversation reads what the capture recorded on the AWS side's
// members until lacp/verify finds every member usable both ways, and checks
// the conversation as the verifier and as raw PDUs: each side speaks with its
// own system and key and echoes the other's.
func checkConversation(t *testing.T, rec *capture.Capture, awsMAC, custMAC net.HardwareAddr, members int) {
	t.Helper()
	v := verify.New(verify.Config{Local: lacp.SystemID(awsMAC), Key: 7})
	for f := range rec.Frames() {
		src, sub, b, err := lacp.ParseFrame(f.Data)
		if err != nil || sub != lacp.SubtypeLACP {
			continue
		}
		var pdu lacp.LACPDU
		require.NoError(t, pdu.UnmarshalBinary(b), "captured LACPDU from %s does not decode", src)
		wantActor, wantKey := lacp.SystemID(awsMAC), uint16(7)
		if f.Direction == capture.DirectionIn {
			wantActor, wantKey = lacp.SystemID(custMAC), 9
		}
		assert.Equal(t, wantActor, pdu.Actor.System, "captured %s on %s: actor %s, system", f.Direction, f.Port, pdu.Actor)
		assert.Equal(t, wantKey, pdu.Actor.Key, "captured %s on %s: actor %s, key", f.Direction, f.Port, pdu.Actor)
		require.NoError(t, v.ObserveFrame(verify.Frame{Time: f.Time, Port: f.Port, Direction: verify.Direction(f.Direction), Data: f.Data}))
		r := v.Report()
		usable := 0
		for _, p := range r.Ports {
			if !p.Usable.IsZero() {
				usable++
			}
		}
		if usable < members {
			continue
		}
		assert.Empty(t, r.Issues, "verifier found issues")
		assert.Equal(t, lacp.SystemID(custMAC), r.Remote, "verifier's remote system")
		return
	}
	require.FailNow(t, fmt.Sprintf("capture closed before lacp/verify found %d members usable", members), "%+v", v.Report())
}

// checkVLANsApart sends raw frames (EtherType 0x88b5, marked with a byte)
// into each VLAN TAP on one side and checks that each arrives on the same
// VLAN's TAP on the other side and on no other TAP. Addresses cannot show
// this: the kernel answers ARP for any of its addresses on any interface.
func checkVLANsApart(t *testing.T, from, to *side, lag string, marks map[string]byte) {
	t.Helper()
	const et = 0x88b5
	rx := map[string]*afpacket.Conn{lag: rawSocket(t, to, lag, et)}
	for name := range marks {
		rx[name] = rawSocket(t, to, name, et)
	}
	for name, mark := range marks {
		tx := rawSocket(t, from, name, 0xffff)
		frame := make([]byte, 60)
		copy(frame, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0xdd, 0, 0, 0, mark, et >> 8, et & 0xff, mark})
		deadline := time.Now().Add(waitLimit)
		for {
			require.NoError(t, tx.WriteFrame(frame, 0))
			if got := readMarks(t, rx[name], 50*time.Millisecond); len(got) > 0 {
				for _, m := range got {
					assert.Equal(t, mark, m, "%s received a frame with another mark", name)
				}
				break
			}
			if time.Now().After(deadline) {
				require.FailNow(t, fmt.Sprintf("nothing sent into %s arrived on the other side's %s", name, name))
			}
		}
	}
	// Whatever is still queued anywhere must be on its own VLAN's TAP.
	for name, c := range rx {
		for _, m := range readMarks(t, c, 100*time.Millisecond) {
			if name == lag || m != marks[name] {
				assert.Fail(t, fmt.Sprintf("%s received a frame marked %d", name, m))
			}
		}
	}
}

// readMarks reads frames until none arrives for wait, returning their marks.
func readMarks(t *testing.T, c *afpacket.Conn, wait time.Duration) []byte {
	t.Helper()
	var marks []byte
	buf := make([]byte, 2048)
	for {
		_ = c.SetReadDeadline(time.Now().Add(wait))
		n, _, err := c.ReadFrame(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return marks
		}
		require.NoError(t, err)
		if n > 14 {
			marks = append(marks, buf[14])
		}
	}
}

// rawSocket opens a packet socket on one of s's interfaces that lets only
// EtherType et through.
func rawSocket(t *testing.T, s *side, link string, et uint16) *afpacket.Conn {
	t.Helper()
	l, err := s.nl.LinkByName(link)
	require.NoError(t, err)
	filter, err := afpacket.EtherTypeFilter(et)
	require.NoError(t, err)
	c, err := afpacket.Open(afpacket.Config{NetNS: s.ns, Ifindex: l.Attrs().Index, Filter: filter, IgnoreOutgoing: true})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}
