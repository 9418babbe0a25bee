package lacpfault

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/lacp"
)

// The programs' offsets agree with the lacp codec: a frame it encodes with a
// distinct value in each field has it where the programs look.
func TestOffsetsMatchTheCodec(t *testing.T) {
	b := pduFrame(t, macA, 0x1234, 0x3d, 0x5678, 0xc2)
	assert.Equal(t, uint16(lacp.EtherType), binary.BigEndian.Uint16(b[offEtherType:]))
	assert.Equal(t, byte(lacp.SubtypeLACP), b[offSubtype])
	assert.Equal(t, []byte{1, 20}, b[offActorTLV:offActorTLV+2])
	assert.Equal(t, []byte{2, 20}, b[offPartnerTLV:offPartnerTLV+2])
	assert.Equal(t, uint16(0x1234), binary.BigEndian.Uint16(b[offActorKey:]))
	assert.Equal(t, byte(0x3d), b[offActorState])
	assert.Equal(t, uint16(0x5678), binary.BigEndian.Uint16(b[offPartnerKey:]))
	assert.Equal(t, byte(0xc2), b[offPartnerState])
	// What the prologue compares, read as the programs read it.
	assert.Equal(t, uint16(wireSlowProtocols), binary.NativeEndian.Uint16(b[offEtherType:]))
	assert.Equal(t, uint16(wireActorTLV), binary.NativeEndian.Uint16(b[offActorTLV:]))
	assert.Equal(t, uint16(wirePartnerTLV), binary.NativeEndian.Uint16(b[offPartnerTLV:]))
}

// So do real Linux bonds' LACPDUs.
func TestOffsetsMatchLinuxFrames(t *testing.T) {
	for i, f := range goldenFrames(t) {
		p := decode(t, f)
		assert.Equal(t, p.Actor.Key, binary.BigEndian.Uint16(f[offActorKey:]), "frame %d", i+1)
		assert.Equal(t, byte(p.Actor.State), f[offActorState], "frame %d", i+1)
		assert.Equal(t, p.Partner.Key, binary.BigEndian.Uint16(f[offPartnerKey:]), "frame %d", i+1)
		assert.Equal(t, byte(p.Partner.State), f[offPartnerState], "frame %d", i+1)
	}
}

func TestConfigRoundTrip(t *testing.T) {
	for _, f := range []Fault{{}, {Silent: true}, {Key: 0xbeef}, {Passive: true}, {Silent: true, Key: 7, Passive: true}} {
		c := configOf(f)
		c.owner = f.Key == 7
		got, err := unmarshalConfig(c.marshal())
		require.NoError(t, err)
		assert.Equal(t, c, got)
		assert.Equal(t, c.flags|flagFlapDown, c.withFlapDown(true).flags)
		assert.Equal(t, c, c.withFlapDown(true).withFlapDown(false))
	}
	// The key is in wire order, as the programs copy it into frames.
	assert.Equal(t, []byte{0xbe, 0xef}, configOf(Fault{Key: 0xbeef}).marshal()[cfgKey:cfgKey+2])
	_, err := unmarshalConfig(make([]byte, 3))
	assert.Error(t, err)
}

func TestValidate(t *testing.T) {
	for _, f := range []Fault{{FlapUp: time.Second}, {FlapDown: time.Second}, {FlapUp: -1, FlapDown: time.Second}} {
		assert.ErrorIs(t, f.Validate(), ErrBadFault, "%+v", f)
	}
	for _, f := range []Fault{{}, {Silent: true}, {FlapUp: time.Second, FlapDown: time.Millisecond}} {
		assert.NoError(t, f.Validate(), "%+v", f)
	}
	assert.True(t, Fault{}.IsZero())
	assert.False(t, Fault{Key: 1}.IsZero())
	assert.True(t, Fault{FlapUp: 1, FlapDown: 1}.Flapping())
}

func TestCountersDecode(t *testing.T) {
	b := make([]byte, stSize)
	binary.NativeEndian.PutUint64(b[stEgressPDUs:], 5)
	binary.NativeEndian.PutUint64(b[stDroppedIngress:], 2)
	// The key the egress program learned: wire bytes 00 0f as a native load.
	binary.NativeEndian.PutUint64(b[stLocalKey:], uint64(binary.NativeEndian.Uint16([]byte{0x00, 0x0f}))|stKnown)
	binary.NativeEndian.PutUint64(b[stPartnerState:], 0x3f|stKnown)
	c, err := unmarshalCounters(b)
	require.NoError(t, err)
	assert.Equal(t, Counters{EgressPDUs: 5, DroppedIngress: 2, LocalKey: 15, PartnerSeen: true, PartnerState: 0x3f}, c)
}

// fakeAfter is a clock for the flapper: each wait is handed to the test,
// which fires it.
type fakeAfter struct{ waits chan fakeWait }

type fakeWait struct {
	d  time.Duration
	ch chan time.Time
}

func (f fakeAfter) after(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	f.waits <- fakeWait{d, ch}
	return ch
}

func TestFlapAlternatesAndStops(t *testing.T) {
	clock := fakeAfter{waits: make(chan fakeWait)}
	applied := make(chan bool, 1)
	fl := startFlap(3*time.Second, 2*time.Second, func(down bool) error { applied <- down; return nil }, clock.after)
	for range 3 {
		w := <-clock.waits
		require.Equal(t, 3*time.Second, w.d, "up phase first")
		w.ch <- time.Time{}
		require.True(t, <-applied, "after up: down")
		w = <-clock.waits
		require.Equal(t, 2*time.Second, w.d)
		w.ch <- time.Time{}
		require.False(t, <-applied, "after down: up")
	}
	<-clock.waits // waiting in an up phase
	fl.Stop()
	select {
	case d := <-applied:
		t.Fatalf("applied %v after Stop", d)
	default:
	}
}

func TestFlapEndsWhenTheMapIsGone(t *testing.T) {
	clock := fakeAfter{waits: make(chan fakeWait)}
	fl := startFlap(time.Second, time.Second, func(bool) error { return os.ErrClosed }, clock.after)
	(<-clock.waits).ch <- time.Time{}
	<-fl.done
	fl.Stop() // after the schedule ended on its own
}

// Kernel code is in *_linux.go; the rest builds everywhere.
func TestOnlyLinuxFilesUseTheKernel(t *testing.T) {
	_, self, _, _ := runtime.Caller(0)
	files, err := filepath.Glob(filepath.Join(filepath.Dir(self), "*.go"))
	require.NoError(t, err)
	sort.Strings(files)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || strings.HasSuffix(f, "_linux.go") {
			continue
		}
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, imp := range []string{`"github.com/vishvananda/netlink"`, `"github.com/cilium/ebpf"`, `"golang.org/x/sys/unix"`} {
			assert.NotContains(t, string(b), imp, "%s imports %s", filepath.Base(f), imp)
		}
	}
}
