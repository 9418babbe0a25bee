package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/directconnect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/api"
	"github.com/dxsim/dxsim/topology"
	"github.com/dxsim/dxsim/topology/netnstest"
)

// TestServeOverUserspaceDataPlane runs the control plane on the real
// userspace data plane (namespaces, veth ports, dxsim's LACP engine) and
// drives it through the Go SDK: a LAG's members become available when LACP
// converges, and an association's record holds the attach's step times and
// the link and LACP events that followed it.
func TestServeOverUserspaceDataPlane(t *testing.T) {
	netnstest.RequireRoot(t)
	var b [4]byte
	_, _ = rand.Read(b[:])
	prefix := "dxsim-srv" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	log := slog.New(slog.DiscardHandler)
	dp, err := topology.Open(ctx, topology.Options{Backend: "userspace", Prefix: prefix, Logger: log, PollInterval: 50 * time.Millisecond})
	if err != nil {
		netnstest.Skip(t, "userspace data plane unavailable: "+err.Error())
	}
	t.Cleanup(func() {
		assert.NoError(t, dp.Teardown(context.Background()), "teardown")
		dp.Close()
	})
	svc, err := sim.New(sim.Config{DataPlane: dp, Log: log})
	require.NoError(t, err)
	defer svc.Close()
	sub, unsubscribe := svc.Subscribe(1024)
	defer unsubscribe()
	srv := httptest.NewServer(api.NewHandler(svc, api.Options{}))
	defer srv.Close()
	dx := dxClient(srv.Listener.Addr().String(), "any", "thing")

	lag, err := dx.CreateLag(ctx, &directconnect.CreateLagInput{Location: aws.String("CSVA1"), ConnectionsBandwidth: aws.String("10Gbps"), LagName: aws.String("l"), NumberOfConnections: 1})
	require.NoError(t, err)
	lagID := aws.ToString(lag.LagId)
	waitState(ctx, t, sub, lagID, sim.StateAvailable)

	// Placed where the account's LAG is, so it can join it.
	c, err := dx.CreateConnection(ctx, &directconnect.CreateConnectionInput{Location: aws.String("CSVA1"), Bandwidth: aws.String("10Gbps"), ConnectionName: aws.String("c")})
	require.NoError(t, err)
	require.Equal(t, aws.ToString(lag.AwsDevice), aws.ToString(c.AwsDevice), "a connection lands on the device of the account's LAG")
	connID := aws.ToString(c.ConnectionId)
	_, err = dx.AssociateConnectionWithLag(ctx, &directconnect.AssociateConnectionWithLagInput{ConnectionId: aws.String(connID), LagId: aws.String(lagID)})
	require.NoError(t, err)
	waitState(ctx, t, sub, connID, sim.StateDown)      // the link is interrupted…
	waitState(ctx, t, sub, connID, sim.StateAvailable) // …until the member collects and distributes
	rec, ok := svc.LastAssociation(connID)
	require.True(t, ok, "no association record for %s", connID)
	require.False(t, rec.Steps.Down.IsZero(), "association record without a down step: %+v", rec)
	require.False(t, rec.Steps.Up.Before(rec.Steps.Down), "association record with up before down: %+v", rec)
	require.False(t, rec.Converged.IsZero(), "association record without convergence: %+v", rec)
	var sawDown, sawConverged bool
	for _, e := range rec.Events {
		sawDown = sawDown || (e.Kind == sim.EventLink && !e.Up && e.ConnectionID == connID)
		sawConverged = sawConverged || (e.Kind == sim.EventLACP && e.CollectingDistributing() && e.ConnectionID == connID)
	}
	assert.True(t, sawConverged, "record events lack the member's convergence: %+v", rec.Events)
	t.Logf("attach: request→down %v, down→up %v, up→converged %v, link-down event seen: %v, %d events",
		rec.Steps.Down.Sub(rec.Requested), rec.Steps.Up.Sub(rec.Steps.Down), rec.Converged.Sub(rec.Steps.Up), sawDown, len(rec.Events))
	out, err := dx.DescribeLags(ctx, &directconnect.DescribeLagsInput{LagId: aws.String(lagID)})
	require.NoError(t, err, "LAG after associate")
	require.NotEmpty(t, out.Lags, "LAG after associate")
	assert.Len(t, out.Lags[0].Connections, 2, "LAG after associate: %+v", out.Lags[0])
	assert.Equal(t, "available", string(out.Lags[0].LagState), "LAG after associate")
}

func waitState(ctx context.Context, t *testing.T, sub <-chan sim.StateChange, id, state string) {
	t.Helper()
	for {
		select {
		case c := <-sub:
			if c.ID == id && c.To == state {
				return
			}
		case <-ctx.Done():
			require.FailNow(t, fmt.Sprintf("%s never became %s", id, state))
		}
	}
}
