package enginetest_test

import (
	"testing"
	"time"

	"github.com/dxsim/dxsim/lacp"
	"github.com/dxsim/dxsim/lacp/engine"
	"github.com/dxsim/dxsim/lacp/engine/enginetest"
)

func newEngine(t *testing.T, last byte) *engine.Engine {
	t.Helper()
	e, err := engine.New(engine.Config{System: lacp.SystemID{2, 0, 0, 0, 0, last}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.AddPort(enginetest.Epoch, engine.PortConfig{Number: 1, MAC: []byte{2, 0, 0, 0, 1, last}}); err != nil {
		t.Fatal(err)
	}
	return e
}

// Frames arrive one delay after they are sent, in sending order, and are
// lost when the link goes down under them.
func TestDelayAndLoss(t *testing.T) {
	const delay = 40 * time.Millisecond
	a, b := newEngine(t, 1), newEngine(t, 2)
	net := enginetest.New()
	net.Frames = true
	var got []enginetest.Frame
	net.Log = func(f enginetest.Frame) { got = append(got, f) }
	if err := net.Connect(enginetest.End{Engine: a, Port: 1}, enginetest.End{Engine: b, Port: 1}, delay); err != nil {
		t.Fatal(err)
	}
	if err := net.RunFor(delay - time.Nanosecond); err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Fatalf("%d frames delivered before the delay", len(got))
	}
	if err := net.RunFor(time.Nanosecond); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d frames delivered at the delay, want one each way", len(got))
	}
	for _, f := range got {
		if f.Delivered.Sub(f.Sent) != delay || len(f.Bytes) != lacp.FrameLen {
			t.Errorf("frame sent %v delivered %v, %d bytes", f.Sent, f.Delivered, len(f.Bytes))
		}
	}

	// The periodic PDUs sent at 1 s are in flight when the cable is pulled.
	if err := net.Run(enginetest.Epoch.Add(time.Second + delay/2)); err != nil {
		t.Fatal(err)
	}
	n := len(got)
	sa, _ := a.Port(1)
	sb, _ := b.Port(1)
	if sent := sa.Counters.TxLACPDUs + sb.Counters.TxLACPDUs; sent <= uint64(n) {
		t.Fatalf("nothing in flight: %d sent, %d delivered", sent, n)
	}
	if err := net.SetLink(enginetest.End{Engine: b, Port: 1}, false); err != nil {
		t.Fatal(err)
	}
	if err := net.RunFor(time.Minute); err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Errorf("%d frames delivered over a link that is down", len(got)-n)
	}
	if s, _ := a.Port(1); s.Enabled {
		t.Error("pulling the cable left A's port up")
	}
}
