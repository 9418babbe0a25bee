package verify

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dxsim/dxsim/lacp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
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
	// Two systems, neither configured: the recorded direction says which
	// is local, though the local system spoke first.
	a, b := lacp.SystemID{2, 0, 0, 0, 0, 1}, lacp.SystemID{2, 0, 0, 0, 0, 2}
	v := New(Config{})
	x := &exchange{v: v, port: "dx-eth7", dir: true, local: info(a, 9, 7, 0), remote: info(b, 3, 1, 0)}
	x.converge(time.Second)
	v.MarkEnslaved("dx-eth7", t0.Add(500*time.Millisecond))
	r := v.Report()
	if r.Local != a || r.Remote != b {
		t.Fatalf("local %s, remote %s; want %s, %s", r.Local, r.Remote, a, b)
	}
	p := r.Ports[0]
	d, ok := p.ConvergedAfter()
	if p.Name != "dx-eth7" || !p.EnslavedMarked || !ok || d != 2500*time.Millisecond {
		t.Errorf("%s: marked %v, converged after %v (%v); want 2.5s from the mark", p.Name, p.EnslavedMarked, d, ok)
	}
	if at, ok := p.First(SideRemote, EventSync); !ok || !at.Equal(t0.Add(1100*time.Millisecond)) {
		t.Errorf("remote sync at %v", at)
	}
	if len(r.Issues) != 0 {
		t.Errorf("issues: %v", r.Issues)
	}
}

func TestFlapIsUnusableThenUsable(t *testing.T) {
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
	if got, want := strings.Join(kinds, " "), "usable both ways@2s not usable@5s usable both ways@8s"; got != want {
		t.Errorf("link events %q, want %q", got, want)
	}
	if d, _ := p.ConvergedAfter(); d != 2*time.Second {
		t.Errorf("converged after %v, want the first convergence, 2s", d)
	}
	if at, ok := p.First(SideLocal, EventExpired); !ok || !at.Equal(t0.Add(5*time.Second)) {
		t.Errorf("local expired at %v, %v", at, ok)
	}
}

func TestEchoMismatchIsAnIssue(t *testing.T) {
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
	if len(r.Issues) != 2 {
		t.Fatalf("issues %v, want 2", r.Issues)
	}
	if i := r.Issues[0]; i.Kind != IssueEcho || i.Side != SideRemote || i.Count != 2 || !i.Time.Equal(t0.Add(3*time.Second)) || !strings.Contains(i.Detail, "partner (65535,da:c8:69:c7:5b:2d,16,") {
		t.Errorf("first issue %v at %v", i, i.Time)
	}
	if i := r.Issues[1]; i.Kind != IssueEcho || !strings.Contains(i.Detail, "never sent") {
		t.Errorf("second issue %v", i)
	}
}

func TestLAGKeyAndSystemMismatch(t *testing.T) {
	other := lacp.SystemID{2, 0, 0, 0, 0, 9}
	v := New(Config{Local: dxSystem})
	(&exchange{v: v, local: info(dxSystem, 15, 1, 0), remote: info(customerSystem, 15, 1, 0)}).converge(0)
	(&exchange{v: v, local: info(dxSystem, 16, 2, 0), remote: info(other, 15, 2, 0)}).converge(time.Second)
	r := v.Report()
	if len(r.Ports) != 2 || r.Ports[1].Name != "port 2" {
		t.Fatalf("ports %+v", r.Ports)
	}
	var got []string
	for _, i := range r.Issues {
		got = append(got, i.Port+" "+i.Side.String()+" "+i.Kind.String())
	}
	want := "port 2 local keys differ across the LAG|port 2 remote system IDs differ across the LAG"
	if strings.Join(got, "|") != want {
		t.Errorf("issues %q, want %q", got, want)
	}
}

func TestReadCapturePcapngKeepsPortAndDirection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.pcapng")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := pcapgo.NewNgWriterInterface(f, pcapgo.NgInterface{Name: "dx-a", LinkType: layers.LinkTypeEthernet}, pcapgo.DefaultNgWriterOptions)
	if err != nil {
		t.Fatal(err)
	}
	second, err := w.AddInterface(pcapgo.NgInterface{Name: "dx-b", LinkType: layers.LinkTypeEthernet})
	if err != nil {
		t.Fatal(err)
	}
	pdu := lacp.LACPDU{Version: 1, Actor: info(dxSystem, 15, 1, up), Partner: info(customerSystem, 15, 1, up)}
	frame, _ := pdu.MarshalFrame(dxSystem[:])
	for i, tc := range []struct {
		iface int
		dir   pcapgo.NgEpbFlag
	}{{0, pcapgo.NgEpbFlagDirectionOutbound}, {second, pcapgo.NgEpbFlagDirectionInbound}} {
		ci := gopacket.CaptureInfo{Timestamp: t0.Add(time.Duration(i) * time.Second), CaptureLength: len(frame), Length: len(frame), InterfaceIndex: tc.iface}
		if err := w.WritePacketWithOptions(ci, frame, pcapgo.NgPacketOptions{Flags: &pcapgo.NgEpbFlags{Direction: tc.dir}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	b, _ := os.ReadFile(path)
	frames, err := ReadCapture(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != 2 || frames[0].Port != "dx-a" || frames[0].Direction != DirectionOut ||
		frames[1].Port != "dx-b" || frames[1].Direction != DirectionIn || !frames[1].Time.Equal(t0.Add(time.Second)) ||
		!bytes.Equal(frames[1].Data, frame) {
		t.Errorf("frames %+v", frames)
	}
}

func TestConfiguredKeyIsChecked(t *testing.T) {
	for _, tc := range []struct {
		key    uint16
		issues int
	}{{0, 0}, {15, 0}, {16, 1}} {
		v := New(Config{Local: dxSystem, Key: tc.key})
		(&exchange{v: v, local: info(dxSystem, 15, 1, 0), remote: info(customerSystem, 15, 1, 0)}).converge(0)
		r := v.Report()
		if len(r.Issues) != tc.issues {
			t.Errorf("key %d: issues %v, want %d", tc.key, r.Issues, tc.issues)
		}
		if tc.issues > 0 && (r.Issues[0].Kind != IssueKey || r.Issues[0].Side != SideLocal) {
			t.Errorf("key %d: issue %v", tc.key, r.Issues[0])
		}
	}
}
