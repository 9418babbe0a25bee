package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/directconnect"

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
		if err := dp.Teardown(context.Background()); err != nil {
			t.Errorf("teardown: %v", err)
		}
		dp.Close()
	})
	svc, err := sim.New(sim.Config{DataPlane: dp, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	sub, unsubscribe := svc.Subscribe(1024)
	defer unsubscribe()
	srv := httptest.NewServer(api.NewHandler(svc, api.Options{}))
	defer srv.Close()
	dx := dxClient(srv.Listener.Addr().String(), "any", "thing")

	lag, err := dx.CreateLag(ctx, &directconnect.CreateLagInput{Location: aws.String("CSVA1"), ConnectionsBandwidth: aws.String("10Gbps"), LagName: aws.String("l"), NumberOfConnections: 1})
	if err != nil {
		t.Fatal(err)
	}
	lagID := aws.ToString(lag.LagId)
	waitState(ctx, t, sub, lagID, sim.StateAvailable)

	var connID string
	for connID == "" {
		c, err := dx.CreateConnection(ctx, &directconnect.CreateConnectionInput{Location: aws.String("CSVA1"), Bandwidth: aws.String("10Gbps"), ConnectionName: aws.String("c")})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(c.AwsDevice) == aws.ToString(lag.AwsDevice) {
			connID = aws.ToString(c.ConnectionId)
		}
	}
	if _, err := dx.AssociateConnectionWithLag(ctx, &directconnect.AssociateConnectionWithLagInput{ConnectionId: aws.String(connID), LagId: aws.String(lagID)}); err != nil {
		t.Fatal(err)
	}
	waitState(ctx, t, sub, connID, sim.StateDown)      // the link is interrupted…
	waitState(ctx, t, sub, connID, sim.StateAvailable) // …until the member collects and distributes
	rec, ok := svc.LastAssociation(connID)
	if !ok || rec.Steps.Down.IsZero() || rec.Steps.Up.Before(rec.Steps.Down) || rec.Converged.IsZero() {
		t.Fatalf("association record: %+v", rec)
	}
	var sawDown, sawConverged bool
	for _, e := range rec.Events {
		sawDown = sawDown || (e.Kind == sim.EventLink && !e.Up && e.ConnectionID == connID)
		sawConverged = sawConverged || (e.Kind == sim.EventLACP && e.CollectingDistributing() && e.ConnectionID == connID)
	}
	if !sawConverged {
		t.Errorf("record events lack the member's convergence: %+v", rec.Events)
	}
	t.Logf("attach: request→down %v, down→up %v, up→converged %v, link-down event seen: %v, %d events",
		rec.Steps.Down.Sub(rec.Requested), rec.Steps.Up.Sub(rec.Steps.Down), rec.Converged.Sub(rec.Steps.Up), sawDown, len(rec.Events))
	out, err := dx.DescribeLags(ctx, &directconnect.DescribeLagsInput{LagId: aws.String(lagID)})
	if err != nil || len(out.Lags[0].Connections) != 2 || out.Lags[0].LagState != "available" {
		t.Fatalf("LAG after associate: %+v %v", out, err)
	}
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
			t.Fatalf("%s never became %s", id, state)
		}
	}
}
