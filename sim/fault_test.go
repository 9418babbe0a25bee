package sim_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
)

// TestFaultsKeptAndApplied: a fault is kept in the state (a restart has it
// again), its connection's whole set reaches the data plane as one effect,
// setting another of the same class replaces it, and deleting the
// connection clears its faults.
func TestFaultsKeptAndApplied(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, store, dp := openDurable(t, dir)
	c, err := s.CreateConnection(ctx, acct, sim.CreateConnectionInput{Location: "EqDC2", Bandwidth: "10Gbps", Name: "c"})
	require.NoError(t, err)

	f, err := s.SetFault(ctx, sim.FaultSpec{Connection: c.ID, Side: "customer", LACP: "silent"})
	require.NoError(t, err)
	assert.Equal(t, c.ID+"/customer/lacp", f.ID)
	_, err = s.SetFault(ctx, sim.FaultSpec{Connection: c.ID, Side: "aws", Link: "flap"})
	require.NoError(t, err)
	flap := dp.Faults[c.ID]
	require.Len(t, flap, 2, "the connection's whole set")
	assert.Equal(t, sim.Duration(sim.DefaultFlapUp), flap[0].FlapUp, "defaults filled in")

	_, err = s.SetFault(ctx, sim.FaultSpec{Connection: c.ID, Side: "customer", LACP: "wrong-key", Key: 7})
	require.NoError(t, err)
	got := s.Faults()
	require.Len(t, got, 2, "a side's LACP fault replaced, not added")
	assert.Equal(t, "wrong-key", got[1].LACP)
	assert.Equal(t, "customer side of "+c.ID+": lacp wrong-key (key 7)", got[1].String())

	s.Close()
	require.NoError(t, store.Close())
	s, store, dp = openDurable(t, dir)
	defer store.Close()
	defer s.Close()
	assert.Equal(t, got, s.Faults(), "kept across a restart")

	cleared, err := s.ClearFaults(ctx, c.ID, "aws", "")
	require.NoError(t, err)
	require.Len(t, cleared, 1)
	assert.Equal(t, "flap", cleared[0].Link)
	assert.Len(t, dp.Faults[c.ID], 1)

	_, err = s.DeleteConnection(ctx, acct, c.ID)
	require.NoError(t, err)
	assert.Empty(t, s.Faults(), "deleting the connection clears its faults")
}

// TestFaultValidation: a fault the rules refuse is a client error naming
// the problem, and changes nothing.
func TestFaultValidation(t *testing.T) {
	ctx := context.Background()
	s, c, vif := serviceWithVIF(t)
	for _, tc := range []struct {
		spec sim.FaultSpec
		want string
	}{
		{sim.FaultSpec{Connection: c.ID, Side: "customer"}, "exactly one of lacp, link and bgp; 0 given"},
		{sim.FaultSpec{Connection: c.ID, Side: "customer", Link: "cut"}, `link fault "cut": want one of down, flap, loss, delay`},
		{sim.FaultSpec{Connection: c.ID, Side: "", LACP: "silent"}, `side "": want aws or customer`},
		{sim.FaultSpec{VIF: vif.ID, Side: "aws", LACP: "silent"}, "on a connection"},
		{sim.FaultSpec{Connection: c.ID, Side: "aws", BGP: "reset"}, "on a virtual interface"},
		{sim.FaultSpec{Connection: c.ID, Side: "aws", LACP: "silent", Key: 3}, "key applies to the lacp wrong-key fault only"},
		{sim.FaultSpec{Connection: c.ID, Side: "aws", Link: "loss", Loss: 150}, "loss 150% is not between 0 and 100"},
		{sim.FaultSpec{Connection: c.ID, Side: "aws", Link: "delay", Delay: sim.Duration(time.Minute)}, "not between 0 and 10s"},
		{sim.FaultSpec{Connection: c.ID, Side: "aws", Link: "delay", Jitter: sim.Duration(time.Second)}, "jitter 1s is not between 0 and the delay"},
		{sim.FaultSpec{VIF: vif.ID, Side: "aws", BGP: "too-many-prefixes"}, "the customer's side's fault"},
		{sim.FaultSpec{VIF: vif.ID, Side: "customer", BGP: "reset", Period: sim.Duration(time.Second)}, "at least 5s"},
		{sim.FaultSpec{VIF: vif.ID, Side: "customer", BGP: "wrong-asn", ASN: 5000000000}, "asn 5000000000 is not between"},
		{sim.FaultSpec{VIF: "dxvif-zzzzzzzz", Side: "customer", BGP: "reset"}, "Could not find Virtual Interface"},
	} {
		_, err := s.SetFault(ctx, tc.spec)
		require.Error(t, err, "%+v", tc.spec)
		var e *sim.Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, sim.CodeClient, e.Code)
		assert.Contains(t, e.Message, tc.want)
	}
	assert.Empty(t, s.Faults())
	_, err := s.ClearFaults(ctx, "", "left", "")
	require.Error(t, err)

	none, err := sim.New(sim.Config{})
	require.NoError(t, err)
	defer none.Close()
	_, err = none.SetFault(ctx, sim.FaultSpec{Connection: c.ID, Side: "aws", LACP: "silent"})
	require.ErrorContains(t, err, "no data plane")
}

// TestBGPFaultsInRouters: a VIF's BGP faults change what each side of its
// sessions runs, with the defaults worked out from the right values.
func TestBGPFaultsInRouters(t *testing.T) {
	ctx := context.Background()
	s, _, vif := serviceWithVIF(t)
	_, err := s.SetFault(ctx, sim.FaultSpec{VIF: vif.ID, Side: "customer", BGP: "wrong-asn"})
	require.NoError(t, err)
	_, err = s.SetFault(ctx, sim.FaultSpec{VIF: vif.ID, Side: "aws", BGP: "wrong-md5"})
	require.NoError(t, err)
	r, ok := routerOf(t, s, vif.ID)
	require.True(t, ok)
	p := r.Peers[0]
	assert.Equal(t, sim.BGPSideFault{ASN: 65001}, p.Customer, "the customer's ASN plus one")
	assert.Equal(t, sim.BGPSideFault{AuthKey: "wrong-" + vif.AuthKey}, p.Amazon, "the right key, altered")
	assert.Equal(t, int64(65000), p.ASN, "what Amazon expects is unchanged")

	_, err = s.SetFault(ctx, sim.FaultSpec{VIF: vif.ID, Side: "customer", BGP: "too-many-prefixes"})
	require.NoError(t, err)
	reset, err := s.SetFault(ctx, sim.FaultSpec{VIF: vif.ID, Side: "aws", BGP: "reset", Period: sim.Duration(30 * time.Second)})
	require.NoError(t, err)
	r, _ = routerOf(t, s, vif.ID)
	p = r.Peers[0]
	assert.Equal(t, sim.BGPSideFault{Prefixes: sim.MaxPrefixesPrivate + 1}, p.Customer)
	assert.Equal(t, sim.BGPSideFault{Reset: reset.Set, ResetEvery: 30 * time.Second}, p.Amazon)

	raw, err := json.Marshal(reset)
	require.NoError(t, err)
	assert.Contains(t, string(raw), `"period":"30s"`)
	_, err = s.DeleteVirtualInterface(ctx, acct, vif.ID)
	require.NoError(t, err)
	assert.Empty(t, s.Faults(), "deleting the VIF clears its faults")
}

// serviceWithVIF is a durable service with a fake data plane, a connection,
// and a private VIF on it.
func serviceWithVIF(t *testing.T) (*sim.Service, *sim.Connection, *sim.VIF) {
	t.Helper()
	ctx := context.Background()
	s, _, _ := openDurable(t, t.TempDir())
	t.Cleanup(func() { s.Close() })
	c, err := s.CreateConnection(ctx, acct, sim.CreateConnectionInput{Location: "EqDC2", Bandwidth: "10Gbps", Name: "c"})
	require.NoError(t, err)
	vif, err := s.CreateVirtualInterface(ctx, acct, sim.CreateVIFInput{Type: sim.VIFPrivate, ConnectionID: c.ID, Name: "p", VLAN: 101, ASN: 65000,
		VirtualGatewayID: sim.DefaultCatalogue().VirtualGatewaysIn("us-east-1")[0].ID})
	require.NoError(t, err)
	return s, c, vif
}
