package enginetest_test

import (
	"testing"
	"time"

	"github.com/dxsim/dxsim/lacp"
	"github.com/dxsim/dxsim/lacp/engine"
	"github.com/dxsim/dxsim/lacp/engine/enginetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newEngine(t *testing.T, last byte) *engine.Engine {
	t.Helper()
	e, err := engine.New(engine.Config{System: lacp.SystemID{2, 0, 0, 0, 0, last}})
	require.NoError(t, err)
	require.NoError(t, e.AddPort(enginetest.Epoch, engine.PortConfig{Number: 1, MAC: []byte{2, 0, 0, 0, 1, last}}))
	return e
}

// Frames arrive one delay after they are sent, in sending order, and are
// lost when the link goes down under them.
func TestDelayAndLoss(t *testing.T) {
	t.Parallel()
	const delay = 40 * time.Millisecond
	a, b := newEngine(t, 1), newEngine(t, 2)
	net := enginetest.New()
	net.Frames = true
	var got []enginetest.Frame
	net.Log = func(f enginetest.Frame) { got = append(got, f) }
	require.NoError(t, net.Connect(enginetest.End{Engine: a, Port: 1}, enginetest.End{Engine: b, Port: 1}, delay))
	require.NoError(t, net.RunFor(delay-time.Nanosecond))
	require.Empty(t, got, "frames delivered before the delay")
	require.NoError(t, net.RunFor(time.Nanosecond))
	require.Len(t, got, 2, "frames delivered at the delay, want one each way")
	for _, f := range got {
		assert.Equal(t, delay, f.Delivered.Sub(f.Sent), "frame sent %v delivered %v", f.Sent, f.Delivered)
		assert.Len(t, f.Bytes, lacp.FrameLen, "frame sent %v delivered %v", f.Sent, f.Delivered)
	}

	// The periodic PDUs sent at 1 s are in flight when the cable is pulled.
	require.NoError(t, net.Run(enginetest.Epoch.Add(time.Second+delay/2)))
	n := len(got)
	sa, _ := a.Port(1)
	sb, _ := b.Port(1)
	sent := sa.Counters.TxLACPDUs + sb.Counters.TxLACPDUs
	require.Greater(t, sent, uint64(n), "nothing in flight: %d sent, %d delivered", sent, n)
	require.NoError(t, net.SetLink(enginetest.End{Engine: b, Port: 1}, false))
	require.NoError(t, net.RunFor(time.Minute))
	assert.Equal(t, n, len(got), "%d frames delivered over a link that is down", len(got)-n)
	s, _ := a.Port(1)
	assert.False(t, s.Enabled, "pulling the cable left A's port up")
}
