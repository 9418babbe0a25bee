package observe

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/simtest"
)

const account = "123456789012"

// newService is a control plane over an Observer over the fake data plane.
func newService(t *testing.T) (*sim.Service, *Observer, *simtest.DataPlane) {
	t.Helper()
	clock := simtest.NewClock()
	fake := simtest.NewDataPlane(clock, 256)
	obs := New(fake, Config{Prefix: "dxsim-observetest", PcapDir: t.TempDir(), Now: clock.Now, Lead: time.Millisecond})
	// One device, listed twice (a location needs two): every port and LAG
	// lands on it.
	cat := sim.DefaultCatalogue()
	for _, loc := range cat.Locations {
		if loc.Code == "EqDC2" {
			loc.Devices = []string{loc.Devices[0], loc.Devices[0]}
			cat.Locations = []sim.Location{loc}
			break
		}
	}
	svc, err := sim.New(sim.Config{DataPlane: obs, Clock: clock, Catalogue: cat})
	if err != nil {
		t.Fatal(err)
	}
	obs.SetRecords(svc)
	t.Cleanup(func() {
		svc.Close()
		obs.Close()
		fake.Close()
	})
	return svc, obs, fake
}

// TestObserverPassesProvisioningThrough checks that a LAG's members being
// provisioned are not observed, that every call reaches the wrapped data
// plane, and that its events reach the control plane.
func TestObserverPassesProvisioningThrough(t *testing.T) {
	svc, obs, fake := newService(t)
	ctx := context.Background()
	view, err := svc.CreateLag(ctx, account, sim.CreateLagInput{NumberOfConnections: 2, Location: "EqDC2", Bandwidth: "10Gbps"})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range view.Members {
		if _, ok := obs.Report(m.ID); ok {
			t.Errorf("member %s provisioned, yet observed", m.ID)
		}
		fake.Converge(view.LAG.ID, m.ID)
	}
	created := 0
	for _, c := range fake.CallLog() {
		if strings.HasPrefix(c, "CreatePort") {
			created++
		}
	}
	if created != 2 {
		t.Fatalf("%d CreatePort calls reached the data plane, want 2: %v", created, fake.CallLog())
	}
	waitState(t, svc, view.Members[0].ID, sim.StateAvailable)
	if _, err := obs.Wait(ctx, view.Members[0].ID); !errors.As(err, new(*NotObservedError)) {
		t.Fatalf("Wait on an unobserved connection: %v", err)
	}
}

// TestObserverReportsWhatItCouldNotObserve checks that an association whose
// links cannot be observed (here: no such namespaces) still happens, and
// that its report says why it was not observed.
func TestObserverReportsWhatItCouldNotObserve(t *testing.T) {
	svc, obs, fake := newService(t)
	ctx := context.Background()
	view, err := svc.CreateLag(ctx, account, sim.CreateLagInput{NumberOfConnections: 1, Location: "EqDC2", Bandwidth: "10Gbps"})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := svc.CreateConnection(ctx, account, sim.CreateConnectionInput{Location: "EqDC2", Bandwidth: "10Gbps"})
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, svc, conn.ID, sim.StateAvailable)
	if _, err := svc.AssociateConnectionWithLag(ctx, account, conn.ID, view.LAG.ID); err != nil {
		t.Fatal(err)
	}
	r, err := obs.Wait(ctx, conn.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Op != "associate" || !strings.Contains(r.Err, "not observed") {
		t.Fatalf("report %+v: want an associate not observed", r)
	}
	if _, ok := r.Milestone(MilestoneDXPortDown); !ok {
		t.Errorf("the data plane's steps are missing: %+v", r.Milestones)
	}
	fake.Converge(view.LAG.ID, conn.ID)
	waitState(t, svc, conn.ID, sim.StateAvailable)
}

// TestObserverClose checks that Close ends event delivery.
func TestObserverClose(t *testing.T) {
	clock := simtest.NewClock()
	fake := simtest.NewDataPlane(clock, 4)
	obs := New(fake, Config{})
	updates, _ := obs.Subscribe(1)
	obs.Close()
	if _, ok := <-obs.Events(); ok {
		t.Fatal("an event after Close")
	}
	if _, ok := <-updates; ok {
		t.Fatal("an update after Close")
	}
}

func waitState(t *testing.T, svc *sim.Service, id, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		cs, err := svc.Connections(account, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) == 1 && cs[0].State == want && !cs[0].Transitioning {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("%s never became %s", id, want)
}
