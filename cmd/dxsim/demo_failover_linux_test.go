package main

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/topology/netnstest"
)

// TestDemoFailover runs `dxsim demo --failover` on the userspace data plane
// (and on kernel bonds under scripts/vmtest): before the test both
// directions use some VIF; during it neither uses the tested one; the
// routed probe loses little (the withdrawal, not BGP's timers); and the
// tested VIF's return path moves away and back.
func TestDemoFailover(t *testing.T) {
	netnstest.RequireRoot(t)
	backend := "userspace"
	if os.Getenv(netnstest.RequireKernelEnv) == "1" {
		backend = "kernel"
	}
	before := hostLinks(t)
	prefix := testPrefix(t)
	var progress bytes.Buffer
	res, err := runFailoverDemo(context.Background(), demoOptions{Dataplane: backend, Prefix: prefix, Progress: &progress})
	t.Logf("progress:\n%s", progress.String())
	require.NoError(t, err)
	var out bytes.Buffer
	printFailover(&out, res)
	t.Logf("report:\n%s", out.String())
	if dir := os.Getenv("DXSIM_ARTIFACTS_DIR"); dir != "" {
		_ = os.WriteFile(dir+"/demo-failover-"+backend+".txt", append(progress.Bytes(), out.Bytes()...), 0o644)
	}
	require.Len(t, res.Phases, 3)
	require.Len(t, res.VIFs, 2)
	tested := res.VIFs[0]
	during := res.Phases[1]
	assert.NotEqual(t, tested, during.ToAWS, "the tested VIF carried the customer's traffic during the test: %+v", during)
	assert.NotEqual(t, tested, during.ToCustomer, "the tested VIF carried the VPC's traffic during the test: %+v", during)
	for _, ph := range res.Phases {
		assert.NotEmpty(t, ph.ToAWS, "%s: no VIF carried the probe to AWS", ph.Name)
		assert.NotEmpty(t, ph.ToCustomer, "%s: no VIF carried the probe back", ph.Name)
	}
	assert.NotZero(t, res.Sent)
	// Bounded by the withdrawal: a generous bound for a loaded machine,
	// far below BGP's hold time and reconnection.
	if res.LongestMS != nil {
		assert.Less(t, *res.LongestMS, 2000.0, "the routed probe's longest outage")
	}
	var sawDown bool
	for _, e := range res.Events {
		sawDown = sawDown || e.What == "Amazon's session on "+tested+": idle, 0 prefixes"
	}
	assert.True(t, sawDown, "the tested VIF's session went down: %+v", res.Events)
	checkNothingLeft(t, prefix, before)
}
