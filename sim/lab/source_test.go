package lab

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/bus"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestSource(t *testing.T) {
	t.Parallel()
	l := Default()
	src := NewSource(l.BGP)
	defer src.Close()
	rs, err := src.BGPRouters()
	require.NoError(t, err)
	assert.Equal(t, l.BGP, rs)

	changes, stop := src.Subscribe(10)
	select {
	case c := <-changes:
		require.FailNow(t, "a lab's routers changed", "%+v", c)
	default:
	}
	stop()
	stop() // the controller may stop twice
	_, open := <-changes
	assert.False(t, open, "stop leaves the changes open")

	w := src.Watch(0)
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	b := sim.BGPSession{Time: at, VIFID: "dxvif-b", PeerID: "dxpeer-b", State: "active"}
	a := sim.BGPSession{Time: at, VIFID: "dxvif-a", PeerID: "dxpeer-a", State: "established", Prefixes: 1}
	src.SetBGPSession(b)
	src.SetBGPSession(a)
	assert.Equal(t, []sim.BGPSession{a, b}, src.Sessions(), "by VIF")
	b.State = "established"
	src.SetBGPSession(b)
	assert.Equal(t, []sim.BGPSession{a, b}, src.Sessions(), "the latest of each")
	src.ForgetBGPSession("dxpeer-a")
	assert.Equal(t, []sim.BGPSession{b}, src.Sessions(), "forgotten")

	src.Close()
	var got []string
	for s := range w.C() {
		got = append(got, s.PeerID+" "+s.State)
	}
	assert.Equal(t, []string{"dxpeer-b active", "dxpeer-a established", "dxpeer-b established"}, got, "watched, in order")
	assert.ErrorIs(t, w.Err(), bus.ErrClosed)
}
