package verify

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dxsim/dxsim/lacp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	active  = lacp.StateActivity | lacp.StateTimeout | lacp.StateAggregation
	inSync  = active | lacp.StateSynchronization
	up      = inSync | lacp.StateCollecting | lacp.StateDistributing
	deflted = active | lacp.StateDefaulted | lacp.StateExpired
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func info(sys lacp.SystemID, key, port uint16, st lacp.State) lacp.PortInfo {
	return lacp.PortInfo{SystemPriority: 65535, System: sys, Key: key, PortPriority: 255, Port: port, State: st}
}

// exchange feeds a Linux-like conversation on one port: the local side's
// states, each answered 100 ms later by the remote side's, one PDU a second.
type exchange struct {
	v          *Verifier
	port       string
	dir        bool // record directions
	local      lacp.PortInfo
	remote     lacp.PortInfo
	localSaid  lacp.PortInfo
	remoteSaid lacp.PortInfo
}

func (x *exchange) say(at time.Duration, side Side, st lacp.State) {
	o := Observation{Time: t0.Add(at), Port: x.port}
	if side == SideLocal {
		x.localSaid = x.local
		x.localSaid.State = st
		o.PDU = lacp.LACPDU{Version: 1, Actor: x.localSaid, Partner: x.remoteSaid}
		if x.dir {
			o.Direction = DirectionOut
		}
	} else {
		x.remoteSaid = x.remote
		x.remoteSaid.State = st
		o.PDU = lacp.LACPDU{Version: 1, Actor: x.remoteSaid, Partner: x.localSaid}
		if x.dir {
			o.Direction = DirectionIn
		}
	}
	x.v.Observe(o)
}

func (x *exchange) converge(from time.Duration) {
	x.say(from, SideLocal, active)
	x.say(from+100*time.Millisecond, SideRemote, inSync)
	x.say(from+time.Second, SideLocal, inSync)
	x.say(from+1100*time.Millisecond, SideRemote, up)
	x.say(from+2*time.Second, SideLocal, up)
	x.say(from+2100*time.Millisecond, SideRemote, up)
}

func TestMarkEnslavedAndRecordedDirection(t *testing.T) {
	t.Parallel()
	// Two systems, neither configured: the recorded direction says which
	// is local, though the local system spoke first.
	a, b := lacp.SystemID{2, 0, 0, 0, 0, 1}, lacp.SystemID{2, 0, 0, 0, 0, 2}
	v := New(Config{})
	x := &exchange{v: v, port: "dx-eth7", dir: true, local: info(a, 9, 7, 0), remote: info(b, 3, 1, 0)}
	x.converge(time.Second)
	v.MarkEnslaved("dx-eth7", t0.Add(500*time.Millisecond))
	r := v.Report()
	require.Equal(t, a, r.Local, "local")
	require.Equal(t, b, r.Remote, "remote")
	p := r.Ports[0]
	d, ok := p.ConvergedAfter()
	assert.Equal(t, "dx-eth7", p.Name, "port name")
	assert.True(t, p.EnslavedMarked, "%s: not marked enslaved", p.Name)
	assert.True(t, ok, "%s: never converged", p.Name)
	assert.Equal(t, 2500*time.Millisecond, d, "%s: converged after, want 2.5s from the mark", p.Name)
	at, ok := p.First(SideRemote, EventSync)
	if assert.True(t, ok, "no remote sync") {
		assert.WithinDuration(t, t0.Add(1100*time.Millisecond), at, 0, "remote sync at %v", at)
	}
	assert.Empty(t, r.Issues, "issues")
}

func TestFlapIsUnusableThenUsable(t *testing.T) {
	t.Parallel()
	v := New(Config{Local: dxSystem})
	x := &exchange{v: v, local: info(dxSystem, 15, 1, 0), remote: info(customerSystem, 15, 1, 0)}
	x.converge(0)
	x.say(5*time.Second, SideLocal, active|lacp.StateExpired)
	x.converge(6 * time.Second)
	p := v.Report().Ports[0]
	var kinds []string
	for _, e := range p.Events {
		if e.Side == SideBoth {
			kinds = append(kinds, e.Kind.String()+"@"+e.Time.Sub(t0).String())
		}
	}
	assert.Equal(t, "usable both ways@2s not usable@5s usable both ways@8s", strings.Join(kinds, " "), "link events")
	d, _ := p.ConvergedAfter()
	assert.Equal(t, 2*time.Second, d, "converged after, want the first convergence")
	at, ok := p.First(SideLocal, EventExpired)
	if assert.True(t, ok, "local never expired") {
		assert.WithinDuration(t, t0.Add(5*time.Second), at, 0, "local expired at %v", at)
	}
}

func TestEchoMismatchIsAnIssue(t *testing.T) {
	t.Parallel()
	v := New(Config{Local: dxSystem})
	x := &exchange{v: v, local: info(dxSystem, 15, 1, 0), remote: info(customerSystem, 15, 1, 0)}
	x.converge(0)
	// The remote side now names a key the local side never had, twice,
	// then a state the local side never sent.
	bad := lacp.LACPDU{Version: 1, Actor: info(customerSystem, 15, 1, up), Partner: info(dxSystem, 16, 1, up)}
	v.Observe(Observation{Time: t0.Add(3 * time.Second), PDU: bad})
	v.Observe(Observation{Time: t0.Add(4 * time.Second), PDU: bad})
	bad.Partner = info(dxSystem, 15, 1, up|lacp.StateDefaulted)
	v.Observe(Observation{Time: t0.Add(5 * time.Second), PDU: bad})
	r := v.Report()
	require.Len(t, r.Issues, 2, "issues %v", r.Issues)
	i := r.Issues[0]
	assert.Equal(t, IssueEcho, i.Kind, "first issue %v", i)
	assert.Equal(t, SideRemote, i.Side, "first issue %v", i)
	assert.Equal(t, 2, i.Count, "first issue %v", i)
	assert.WithinDuration(t, t0.Add(3*time.Second), i.Time, 0, "first issue %v at %v", i, i.Time)
	assert.Contains(t, i.Detail, "partner (65535,da:c8:69:c7:5b:2d,16,", "first issue %v", i)
	i = r.Issues[1]
	assert.Equal(t, IssueEcho, i.Kind, "second issue %v", i)
	assert.Contains(t, i.Detail, "never sent", "second issue %v", i)
}

func TestLAGKeyAndSystemMismatch(t *testing.T) {
	t.Parallel()
	other := lacp.SystemID{2, 0, 0, 0, 0, 9}
	v := New(Config{Local: dxSystem})
	(&exchange{v: v, local: info(dxSystem, 15, 1, 0), remote: info(customerSystem, 15, 1, 0)}).converge(0)
	(&exchange{v: v, local: info(dxSystem, 16, 2, 0), remote: info(other, 15, 2, 0)}).converge(time.Second)
	r := v.Report()
	require.Len(t, r.Ports, 2, "ports %+v", r.Ports)
	require.Equal(t, "port 2", r.Ports[1].Name, "ports %+v", r.Ports)
	var got []string
	for _, i := range r.Issues {
		got = append(got, i.Port+" "+i.Side.String()+" "+i.Kind.String())
	}
	want := "port 2 local keys differ across the LAG|port 2 remote system IDs differ across the LAG"
	assert.Equal(t, want, strings.Join(got, "|"), "issues %q", got)
}

func TestReadCapturePcapngKeepsPortAndDirection(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "c.pcapng")
	f, err := os.Create(path)
	require.NoError(t, err)
	w, err := pcapgo.NewNgWriterInterface(f, pcapgo.NgInterface{Name: "dx-a", LinkType: layers.LinkTypeEthernet}, pcapgo.DefaultNgWriterOptions)
	require.NoError(t, err)
	second, err := w.AddInterface(pcapgo.NgInterface{Name: "dx-b", LinkType: layers.LinkTypeEthernet})
	require.NoError(t, err)
	pdu := lacp.LACPDU{Version: 1, Actor: info(dxSystem, 15, 1, up), Partner: info(customerSystem, 15, 1, up)}
	frame, _ := pdu.MarshalFrame(dxSystem[:])
	for i, tc := range []struct {
		iface int
		dir   pcapgo.NgEpbFlag
	}{{0, pcapgo.NgEpbFlagDirectionOutbound}, {second, pcapgo.NgEpbFlagDirectionInbound}} {
		ci := gopacket.CaptureInfo{Timestamp: t0.Add(time.Duration(i) * time.Second), CaptureLength: len(frame), Length: len(frame), InterfaceIndex: tc.iface}
		require.NoError(t, w.WritePacketWithOptions(ci, frame, pcapgo.NgPacketOptions{Flags: &pcapgo.NgEpbFlags{Direction: tc.dir}}))
	}
	require.NoError(t, w.Flush())
	f.Close()
	b, _ := os.ReadFile(path)
	frames, err := ReadCapture(bytes.NewReader(b))
	require.NoError(t, err)
	if assert.Len(t, frames, 2, "frames %+v", frames) {
		assert.Equal(t, "dx-a", frames[0].Port, "frame 0 port")
		assert.Equal(t, DirectionOut, frames[0].Direction, "frame 0 direction")
		assert.Equal(t, "dx-b", frames[1].Port, "frame 1 port")
		assert.Equal(t, DirectionIn, frames[1].Direction, "frame 1 direction")
		assert.WithinDuration(t, t0.Add(time.Second), frames[1].Time, 0, "frame 1 time")
		assert.Equal(t, frame, frames[1].Data, "frame 1 data")
	}
}

func TestConfiguredKeyIsChecked(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		key    uint16
		issues int
	}{{0, 0}, {15, 0}, {16, 1}} {
		t.Run(fmt.Sprintf("key=%d", tc.key), func(t *testing.T) {
			t.Parallel()
			v := New(Config{Local: dxSystem, Key: tc.key})
			(&exchange{v: v, local: info(dxSystem, 15, 1, 0), remote: info(customerSystem, 15, 1, 0)}).converge(0)
			r := v.Report()
			require.Len(t, r.Issues, tc.issues, "key %d: issues %v", tc.key, r.Issues)
			if tc.issues > 0 {
				assert.Equal(t, IssueKey, r.Issues[0].Kind, "key %d: issue %v", tc.key, r.Issues[0])
				assert.Equal(t, SideLocal, r.Issues[0].Side, "key %d: issue %v", tc.key, r.Issues[0])
			}
		})
	}
}
