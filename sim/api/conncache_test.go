package api

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
)

// randomConnection returns a connection with every member the shape reads
// set at random, awkward strings included.
func randomConnection(r *rand.Rand) *sim.Connection {
	s := func() string { return awkward[r.IntN(len(awkward))] }
	c := &sim.Connection{
		ID: s(), Kind: []sim.ConnectionKind{sim.KindDedicated, sim.KindHosted, sim.KindInterconnect}[r.IntN(3)],
		Name: s(), Owner: s(), State: s(), Region: s(), Location: s(), Bandwidth: s(), Device: s(), LAGID: s(),
		PartnerName: s(), ProviderName: s(), VLAN: r.IntN(4095), MACsecCapable: r.IntN(2) == 0,
		Encryption:     []string{"", sim.EncryptNo, sim.EncryptShould, sim.EncryptMust}[r.IntN(4)],
		EncryptionDown: r.IntN(4) == 0,
	}
	if r.IntN(2) == 0 {
		c.LOAIssueTime = time.UnixMilli(r.Int64N(4e12))
	}
	for range r.IntN(3) {
		c.Tags = append(c.Tags, sim.Tag{Key: s(), Value: s()})
	}
	for range r.IntN(3) {
		c.MACsecKeys = append(c.MACsecKeys, sim.MACsecKey{SecretARN: s(), CKN: s(), State: s(), StartOn: s()})
	}
	return c
}

// TestConnectionListIsTheShape: a list written through the cache is what
// the generated encoder writes for the Connections shape (and so what
// encoding/json writes), first from nothing, then from what was kept, and
// across the cache's generations.
func TestConnectionListIsTheShape(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 6))
	k := newConnCache()
	var all []*sim.Connection
	for range 3 * minGeneration {
		all = append(all, randomConnection(r))
	}
	check := func(cs []*sim.Connection, next string) bool {
		t.Helper()
		want, err := json.Marshal(&Connections{Connections: toConnections(cs), NextToken: next})
		require.NoError(t, err)
		got := (&connectionList{cache: k, conns: cs, next: next}).appendJSON(nil)
		return assert.Equal(t, string(want), string(got), "%d connections, next %q", len(cs), next)
	}
	check(nil, "")
	check(nil, "tok")
	for i := range 400 {
		n := r.IntN(5)
		if i%50 == 0 {
			n = r.IntN(len(all)) // a large describe, now and then
		}
		start := r.IntN(len(all) - n + 1)
		if !check(all[start:start+n], awkward[r.IntN(len(awkward))]) {
			return
		}
	}
	check(all, "") // every one, most from the cache
	check(all, "")
}

// TestConnCacheBounded: what the cache keeps stays within two generations,
// and a connection made for one read is not kept.
func TestConnCacheBounded(t *testing.T) {
	t.Parallel()
	k := newConnCache()
	for i := range 10 * minGeneration {
		_ = k.appendConnections(nil, []*sim.Connection{{ID: "dxcon-" + string(rune('a'+i%26))}})
	}
	k.mu.RLock()
	n := len(k.cur) + len(k.old)
	k.mu.RUnlock()
	assert.LessOrEqual(t, n, 2*minGeneration, "entries kept")

	k = newConnCache()
	_ = k.appendConnections(nil, []*sim.Connection{{ID: "dxcon-down", EncryptionDown: true}})
	assert.Empty(t, k.cur, "a connection presented for one read was kept")
}
