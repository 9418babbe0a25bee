package lacpfault

import (
	"encoding/binary"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/lacp"
	"github.com/dxsim/dxsim/topology/netnstest"
)

// loaded are the programs and maps outside any interface, run on frames
// with BPF_PROG_TEST_RUN: exact bytes without a network.
type loaded struct{ *objects }

func loadT(t *testing.T) loaded {
	t.Helper()
	netnstest.RequireRoot(t)
	o, err := load(false)
	require.NoError(t, err, "loading the programs")
	t.Cleanup(o.close)
	return loaded{o}
}

func (l loaded) set(t *testing.T, f Fault, flapDown bool) {
	t.Helper()
	require.NoError(t, writeConfig(l.cfg, configOf(f).withFlapDown(flapDown)))
}

// run runs prog on a copy of frame; it returns the verdict and the frame as
// the program left it.
func run(t *testing.T, prog *ebpf.Program, frame []byte) (uint32, []byte) {
	t.Helper()
	out := make([]byte, len(frame)+256)
	ret, err := prog.Run(&ebpf.RunOptions{Data: append([]byte(nil), frame...), DataOut: out})
	require.NoError(t, err)
	n := len(frame)
	return ret, out[:n]
}

func (l loaded) counters(t *testing.T) Counters {
	t.Helper()
	var b []byte
	require.NoError(t, l.state.Lookup(uint32(0), &b))
	c, err := unmarshalCounters(b)
	require.NoError(t, err)
	return c
}

func TestProgramNoFaultPassesEverythingUntouched(t *testing.T) {
	l := loadT(t)
	for i, f := range goldenFrames(t) {
		for _, prog := range []*ebpf.Program{l.egress, l.ingress} {
			ret, out := run(t, prog, f)
			assert.Equal(t, uint32(tcActOK), ret, "frame %d", i+1)
			assert.Equal(t, f, out, "frame %d", i+1)
		}
	}
	c := l.counters(t)
	assert.Equal(t, uint64(73), c.EgressPDUs)
	assert.Equal(t, uint64(73), c.IngressPDUs)
}

// nonLACP are frames the programs must never touch, even under every fault.
func nonLACP(t *testing.T) map[string][]byte {
	t.Helper()
	lacpdu := pduFrame(t, macA, 9, 0x3f, 9, 0x3f)
	marker, err := (&lacp.MarkerPDU{Version: 1, RequesterPort: 1, RequesterSystem: lacp.SystemID(macA), RequesterTransaction: 7}).MarshalFrame(macA)
	require.NoError(t, err)
	ipv4 := append([]byte(nil), lacpdu...)
	binary.BigEndian.PutUint16(ipv4[offEtherType:], 0x0800)
	badTLV := append([]byte(nil), lacpdu...)
	badTLV[offPartnerTLV+1] = 21
	oamSubtype := append([]byte(nil), lacpdu...)
	oamSubtype[offSubtype] = 3
	return map[string][]byte{
		"marker":         marker,
		"IPv4 ethertype": ipv4,
		"bad TLV length": badTLV,
		"OAM subtype":    oamSubtype,
		"runt":           lacpdu[:40],
		"header only":    lacpdu[:14],
	}
}

func TestProgramLeavesOtherFramesAlone(t *testing.T) {
	l := loadT(t)
	l.set(t, Fault{Silent: true, Key: 99, Passive: true}, true)
	for name, f := range nonLACP(t) {
		for dir, prog := range map[string]*ebpf.Program{"egress": l.egress, "ingress": l.ingress} {
			ret, out := run(t, prog, f)
			assert.Equal(t, uint32(tcActOK), ret, "%s %s", name, dir)
			assert.Equal(t, f, out, "%s %s", name, dir)
		}
	}
	assert.Equal(t, Counters{}, l.counters(t))
}

func TestProgramSilentDropsEgressOnly(t *testing.T) {
	l := loadT(t)
	l.set(t, Fault{Silent: true}, false)
	f := pduFrame(t, macA, 15, 0x3f, 15, 0x3f)
	ret, _ := run(t, l.egress, f)
	assert.Equal(t, uint32(tcActShot), ret)
	ret, out := run(t, l.ingress, f)
	assert.Equal(t, uint32(tcActOK), ret)
	assert.Equal(t, f, out)
	c := l.counters(t)
	assert.Equal(t, uint64(1), c.DroppedEgress)
	assert.Equal(t, uint64(0), c.DroppedIngress)
}

func TestProgramFlapDownDropsBothWays(t *testing.T) {
	l := loadT(t)
	l.set(t, Fault{FlapUp: 1, FlapDown: 1}, true)
	f := pduFrame(t, macA, 15, 0x3f, 15, 0x3f)
	for _, prog := range []*ebpf.Program{l.egress, l.ingress} {
		ret, _ := run(t, prog, f)
		assert.Equal(t, uint32(tcActShot), ret)
	}
	l.set(t, Fault{FlapUp: 1, FlapDown: 1}, false)
	for _, prog := range []*ebpf.Program{l.egress, l.ingress} {
		ret, out := run(t, prog, f)
		assert.Equal(t, uint32(tcActOK), ret)
		assert.Equal(t, f, out)
	}
	c := l.counters(t)
	assert.Equal(t, uint64(1), c.DroppedEgress)
	assert.Equal(t, uint64(1), c.DroppedIngress)
}

// Key on Linux's own LACPDUs: the actor key, and only it, becomes the
// fault's on the way out; the partner's echo of the fault's key becomes the
// bond's own again on the way in.
func TestProgramKeyRewritesExactly(t *testing.T) {
	l := loadT(t)
	const faultKey = 0x2a7
	l.set(t, Fault{Key: faultKey}, false)
	for i, f := range goldenFrames(t) {
		orig := decode(t, f)
		ret, out := run(t, l.egress, f)
		require.Equal(t, uint32(tcActOK), ret)
		if orig.Actor.Key == faultKey {
			continue
		}
		assert.Subset(t, []int{offActorKey, offActorKey + 1}, diff(f, out), "frame %d: bytes changed", i+1)
		got := decode(t, out)
		want := orig
		want.Actor.Key = faultKey
		assert.Equal(t, want, got, "frame %d", i+1)
		assert.Equal(t, orig.Actor.Key, l.counters(t).LocalKey, "frame %d: the bond's key learned", i+1)

		// The partner answers, echoing the key it saw.
		echo := pduFrame(t, macB, 33, 0x3f, faultKey, got.Actor.State)
		ret, in := run(t, l.ingress, echo)
		require.Equal(t, uint32(tcActOK), ret)
		assert.Equal(t, []int{offPartnerKey, offPartnerKey + 1}, diff(echo, in), "frame %d: echo bytes changed", i+1)
		assert.Equal(t, orig.Actor.Key, decode(t, in).Partner.Key, "frame %d: echo given back", i+1)
	}
	// An echo of another key is the partner's business.
	other := pduFrame(t, macB, 33, 0x3f, 77, 0x3f)
	_, in := run(t, l.ingress, other)
	assert.Equal(t, other, in)
	c := l.counters(t)
	assert.Equal(t, c.ActorKeyRewritten, c.PartnerKeyRewritten)
	assert.NotZero(t, c.ActorKeyRewritten)
}

// Before the bond has spoken under Key, no key is known to give back.
func TestProgramKeyEchoBeforeEgressPasses(t *testing.T) {
	l := loadT(t)
	l.set(t, Fault{Key: 500}, false)
	echo := pduFrame(t, macB, 33, 0x3f, 500, 0x3f)
	ret, in := run(t, l.ingress, echo)
	assert.Equal(t, uint32(tcActOK), ret)
	assert.Equal(t, echo, in)
}

func TestProgramPassive(t *testing.T) {
	l := loadT(t)
	l.set(t, Fault{Passive: true}, false)
	ours := pduFrame(t, macA, 15, 0x3f, 15, 0x3f) // the bond is Active
	ret, _ := run(t, l.egress, ours)
	assert.Equal(t, uint32(tcActShot), ret, "no partner heard yet: silent")

	passivePartner := pduFrame(t, macB, 16, 0x3e, 15, 0x3e)
	ret, _ = run(t, l.ingress, passivePartner)
	require.Equal(t, uint32(tcActOK), ret)
	ret, _ = run(t, l.egress, ours)
	assert.Equal(t, uint32(tcActShot), ret, "a passive partner: silent")

	// The partner is Active (and echoes our cleared Activity bit).
	activePartner := pduFrame(t, macB, 16, 0x3f, 15, 0x3e)
	ret, in := run(t, l.ingress, activePartner)
	require.Equal(t, uint32(tcActOK), ret)
	assert.Equal(t, []int{offPartnerState}, diff(activePartner, in), "echo's Activity given back")
	assert.Equal(t, byte(0x3f), in[offPartnerState])
	ret, out := run(t, l.egress, ours)
	assert.Equal(t, uint32(tcActOK), ret, "an active partner: speak")
	assert.Equal(t, []int{offActorState}, diff(ours, out))
	assert.Equal(t, lacp.State(0x3e), decode(t, out).Actor.State)

	c := l.counters(t)
	assert.Equal(t, uint64(2), c.DroppedEgress)
	assert.Equal(t, uint64(1), c.ActivityCleared)
	assert.Equal(t, uint64(2), c.ActivityRestored, "both partners echoed a cleared bit")
	assert.True(t, c.PartnerSeen)
	assert.Equal(t, uint8(0x3f), c.PartnerState)
}
