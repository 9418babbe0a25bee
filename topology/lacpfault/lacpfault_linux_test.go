package lacpfault

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"
	"go.uber.org/goleak"

	"github.com/dxsim/dxsim/lacp"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// quiet is how long a frame that should not arrive is waited for.
const quiet = 300 * time.Millisecond

func TestVethSilentDropsWhatThePortSends(t *testing.T) {
	a, b := vethPair(t)
	atB, atA := openRx(t, b, lacp.EtherType), openRx(t, a, lacp.EtherType)
	otherAtB := openRx(t, b, etherOther)
	a.set(t, Fault{Silent: true})

	for range 3 {
		a.send(t, pduFrame(t, macA, 15, 0x3f, 15, 0x3f))
	}
	atB.none(t, quiet, "Silent sends no LACPDU")
	other := otherFrame(macA, 1)
	a.send(t, other)
	assert.Equal(t, other, otherAtB.next(t, "other EtherTypes pass"))

	in := pduFrame(t, macB, 16, 0x3f, 15, 0x3f)
	b.send(t, in)
	assert.Equal(t, in, atA.next(t, "Silent hears its partner"))

	c := a.counters(t)
	assert.Equal(t, uint64(3), c.DroppedEgress)
	assert.Equal(t, uint64(3), c.EgressPDUs)
	assert.Equal(t, uint64(1), c.IngressPDUs)
	assert.Zero(t, c.DroppedIngress)
}

func TestVethKeyRewritesBothWaysExactly(t *testing.T) {
	a, b := vethPair(t)
	atB, atA := openRx(t, b, lacp.EtherType), openRx(t, a, lacp.EtherType)
	a.set(t, Fault{Key: 0x0777})

	out := pduFrame(t, macA, 15, 0x3f, 16, 0x3f)
	a.send(t, out)
	got := atB.next(t, "the port's LACPDU")
	assert.Equal(t, []int{offActorKey, offActorKey + 1}, diff(out, got))
	assert.Equal(t, []byte{0x07, 0x77}, got[offActorKey:offActorKey+2])
	assert.Equal(t, uint16(0x0777), decode(t, got).Actor.Key)

	echo := pduFrame(t, macB, 16, 0x3f, 0x0777, 0x3f)
	b.send(t, echo)
	got = atA.next(t, "the partner's echo")
	assert.Equal(t, []int{offPartnerKey, offPartnerKey + 1}, diff(echo, got))
	assert.Equal(t, []byte{0x00, 0x0f}, got[offPartnerKey:offPartnerKey+2])

	c := a.counters(t)
	assert.Equal(t, uint64(1), c.ActorKeyRewritten)
	assert.Equal(t, uint64(1), c.PartnerKeyRewritten)
	assert.Equal(t, uint16(15), c.LocalKey)
}

func TestVethPassiveSpeaksOnlyToAnActivePartner(t *testing.T) {
	a, b := vethPair(t)
	atB, atA := openRx(t, b, lacp.EtherType), openRx(t, a, lacp.EtherType)
	a.set(t, Fault{Passive: true})

	ours := pduFrame(t, macA, 15, 0x3f, 16, 0x3f)
	a.send(t, ours)
	atB.none(t, quiet, "a passive port that has heard no one is silent")

	active := pduFrame(t, macB, 16, 0x3f, 15, 0x3f)
	b.send(t, active)
	atA.next(t, "the partner's LACPDU")
	a.send(t, ours)
	got := atB.next(t, "a passive port answers an active partner")
	assert.Equal(t, []int{offActorState}, diff(ours, got))
	assert.Equal(t, lacp.State(0x3e), decode(t, got).Actor.State)

	// The partner goes passive too: silence again.
	b.send(t, pduFrame(t, macB, 16, 0x3e, 15, 0x3e))
	atA.next(t, "the partner's passive LACPDU")
	a.send(t, ours)
	atB.none(t, quiet, "a passive port facing a passive partner is silent")
}

func TestVethPassiveBothEndsNeverSpeak(t *testing.T) {
	a, b := vethPair(t)
	atB, atA := openRx(t, b, lacp.EtherType), openRx(t, a, lacp.EtherType)
	a.set(t, Fault{Passive: true})
	b.set(t, Fault{Passive: true})
	for range 3 {
		a.send(t, pduFrame(t, macA, 15, 0x3f, 0, 0x00))
		b.send(t, pduFrame(t, macB, 16, 0x3f, 0, 0x00))
	}
	atB.none(t, quiet, "passive A")
	atA.none(t, quiet, "passive B")
	assert.Equal(t, uint64(3), a.counters(t).DroppedEgress)
	assert.Equal(t, uint64(3), b.counters(t).DroppedEgress)
}

// Flap passes LACPDUs, drops them, passes them again. Sent every 20 ms
// through 300 ms phases, at least two full runs of each are seen.
func TestVethFlapAlternates(t *testing.T) {
	a, b := vethPair(t)
	atB := openRx(t, b, lacp.EtherType)
	const phase = 300 * time.Millisecond
	a.set(t, Fault{FlapUp: phase, FlapDown: phase})
	start := time.Now()
	received := map[uint16]bool{}
	var sent uint16
	for time.Since(start) < 7*phase {
		sent++
		f := pduFrame(t, macA, 15, 0x3f, 16, 0x3f)
		binary.BigEndian.PutUint16(f[offActorKey+4:], sent) // the actor port: a sequence number
		a.send(t, f)
		for {
			got, ok := atB.read(t, 20*time.Millisecond)
			if !ok {
				break
			}
			received[decode(t, got).Actor.Port] = true
		}
	}
	// Runs of passed and dropped frames, in order.
	var runs []bool
	for i := uint16(1); i <= sent; i++ {
		if len(runs) == 0 || runs[len(runs)-1] != received[i] {
			runs = append(runs, received[i])
		}
	}
	t.Logf("sent %d, %d passed, runs (passed first) %v", sent, len(received), runs)
	require.NotEmpty(t, runs)
	assert.True(t, runs[0], "the schedule starts up")
	assert.GreaterOrEqual(t, len(runs), 4, "pass, drop, pass, drop at least")
	c := a.counters(t)
	assert.Equal(t, uint64(sent)-uint64(len(received)), c.DroppedEgress)

	require.NoError(t, Clear(a.ns, a.name))
	a.send(t, pduFrame(t, macA, 15, 0x3f, 16, 0x3f))
	atB.next(t, "Clear ends the schedule")
}

func qdiscTypes(t *testing.T, e *end) []string {
	t.Helper()
	l, err := e.h.LinkByName(e.name)
	require.NoError(t, err)
	qs, err := e.h.QdiscList(l)
	require.NoError(t, err)
	var out []string
	for _, q := range qs {
		out = append(out, q.Type())
	}
	return out
}

// filters lists the filters on one clsact hook.
func filters(t *testing.T, e *end, parent uint32) []netlink.Filter {
	t.Helper()
	l, err := e.h.LinkByName(e.name)
	require.NoError(t, err)
	fs, err := e.h.FilterList(l, parent)
	require.NoError(t, err)
	return fs
}

func TestVethClearRestoresExactlyAndLeavesNoTrace(t *testing.T) {
	a, b := vethPair(t)
	atB, atA := openRx(t, b, lacp.EtherType), openRx(t, a, lacp.EtherType)
	before := qdiscTypes(t, a)
	require.NotContains(t, before, "clsact")

	a.set(t, Fault{Key: 99, Passive: true})
	assert.Contains(t, qdiscTypes(t, a), "clsact")
	require.NoError(t, Clear(a.ns, a.name))
	assert.Equal(t, before, qdiscTypes(t, a), "no qdisc left behind")
	_, err := Stats(a.ns, a.name)
	assert.ErrorIs(t, err, ErrNotAttached)

	out, in := pduFrame(t, macA, 15, 0x3f, 16, 0x3f), pduFrame(t, macB, 16, 0x3f, 99, 0x3e)
	a.send(t, out)
	assert.Equal(t, out, atB.next(t, "after Clear"))
	b.send(t, in)
	assert.Equal(t, in, atA.next(t, "after Clear"))

	require.NoError(t, Clear(a.ns, a.name), "Clear of nothing")
	require.NoError(t, Clear(a.ns, "dxf-none"), "Clear of no interface")
	require.NoError(t, Set(a.ns, a.name, Fault{}), "the zero Fault clears")
}

// A clsact qdisc that was there before Set stays after Clear.
func TestVethClearKeepsAClsactItDidNotAdd(t *testing.T) {
	a, _ := vethPair(t)
	l, err := a.h.LinkByName(a.name)
	require.NoError(t, err)
	require.NoError(t, a.h.QdiscAdd(clsact(l)))
	a.set(t, Fault{Silent: true})
	require.NoError(t, Clear(a.ns, a.name))
	assert.Contains(t, qdiscTypes(t, a), "clsact")
	assert.Empty(t, filters(t, a, netlink.HANDLE_MIN_EGRESS))
	assert.Empty(t, filters(t, a, netlink.HANDLE_MIN_INGRESS))
}

// progIDs are the programs of Set's filters, by hook.
func progIDs(t *testing.T, e *end) map[uint32][]int {
	t.Helper()
	out := map[uint32][]int{}
	for _, p := range parents {
		for _, f := range filters(t, e, p) {
			out[p] = append(out[p], f.(*netlink.BpfFilter).Id)
		}
	}
	return out
}

// Set again attaches nothing more: a new fault is a map write, and the
// counters go on.
func TestVethSetIsIdempotent(t *testing.T) {
	a, b := vethPair(t)
	atB := openRx(t, b, lacp.EtherType)
	a.set(t, Fault{Silent: true})
	ids := progIDs(t, a)
	require.Len(t, ids[netlink.HANDLE_MIN_EGRESS], 1)
	require.Len(t, ids[netlink.HANDLE_MIN_INGRESS], 1)
	a.send(t, pduFrame(t, macA, 15, 0x3f, 16, 0x3f))
	atB.none(t, quiet, "Silent")

	a.set(t, Fault{Silent: true})
	assert.Equal(t, ids, progIDs(t, a), "the same programs, once each")
	a.set(t, Fault{Key: 5})
	assert.Equal(t, ids, progIDs(t, a), "a new fault re-attaches nothing")
	out := pduFrame(t, macA, 15, 0x3f, 16, 0x3f)
	a.send(t, out)
	assert.Equal(t, uint16(5), decode(t, atB.next(t, "Key")).Actor.Key)
	c := a.counters(t)
	assert.Equal(t, uint64(1), c.DroppedEgress, "counted before the change")
	assert.Equal(t, uint64(1), c.ActorKeyRewritten)

	// The programs hold no more than their maps open.
	for _, p := range parents {
		prog, err := ebpf.NewProgramFromID(ebpf.ProgramID(ids[p][0]))
		require.NoError(t, err)
		info, err := prog.Info()
		require.NoError(t, err)
		maps, _ := info.MapIDs()
		assert.Len(t, maps, 2)
		prog.Close()
	}
	require.NoError(t, Clear(a.ns, a.name))
}

func TestSetOnAMissingInterfaceFails(t *testing.T) {
	a, _ := vethPair(t)
	err := Set(a.ns, "dxf-none", Fault{Silent: true})
	require.ErrorIs(t, err, ErrNoInterface)
	assert.Contains(t, err.Error(), "dxf-none")
	_, err = Stats(a.ns, "dxf-none")
	assert.ErrorIs(t, err, ErrNoInterface)
	assert.ErrorIs(t, Set(a.ns, a.name, Fault{FlapUp: time.Second}), ErrBadFault)
}

// An interface deleted under a running flap: Clear stops the schedule
// without error.
func TestClearAfterTheInterfaceIsGone(t *testing.T) {
	a, _ := vethPair(t)
	a.set(t, Fault{FlapUp: 50 * time.Millisecond, FlapDown: 50 * time.Millisecond})
	l, err := a.h.LinkByName(a.name)
	require.NoError(t, err)
	require.NoError(t, a.h.LinkDel(l))
	time.Sleep(120 * time.Millisecond) // the schedule writes to a map no filter uses
	require.NoError(t, Clear(a.ns, a.name))
	mu.Lock()
	assert.Empty(t, flaps, "no schedule left running")
	mu.Unlock()
}
