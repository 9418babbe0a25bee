package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/dxsim/dxsim/lacp"
	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/dxapi"
	"github.com/dxsim/dxsim/topology"
	"github.com/dxsim/dxsim/topology/backend"
	"github.com/dxsim/dxsim/topology/observe"
)

// observeDataPlane starts an Observer of every associate and disassociate on
// the data plane's links, keeping each operation's LACPDUs as pcapng under
// <state>/pcap.
func observeDataPlane(dp *topology.DataPlane, state string, log *slog.Logger) *observe.Observer {
	backend, _ := dp.Backend()
	dir := filepath.Join(state, "pcap")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		log.Warn("pcap directory", "dir", dir, "err", err)
		dir = ""
	}
	return observe.New(dp, observe.Config{Backend: backend, PcapDir: dir, Logger: log})
}

// interruptionKeeper keeps the observer's finished reports in the control
// plane's state, so that a restart keeps them. It subscribes at once (before
// the control plane exists, which finishes interrupted operations as it
// starts) and keeps what it got once start gives it the control plane.
type interruptionKeeper struct {
	updates <-chan sim.InterruptionUpdate
	stop    func()
	done    chan struct{} // closed once the keeper has kept the last report; nil until start
}

func keepInterruptions(obs *observe.Observer) *interruptionKeeper {
	updates, stop := obs.Subscribe(0)
	return &interruptionKeeper{updates: updates, stop: stop}
}

// start keeps reports in svc until the observer closes.
func (k *interruptionKeeper) start(svc *sim.Service, log *slog.Logger) {
	k.done = make(chan struct{})
	go func() {
		defer close(k.done)
		for u := range k.updates {
			if u.Report == nil {
				continue
			}
			if _, err := svc.KeepInterruption(u.Report); err != nil {
				log.Warn("keeping an interruption report", "connection", u.ConnectionID, "err", err)
			}
		}
	}()
}

// wait waits until every report the observer gave has been kept: call it
// after closing the observer, before closing the control plane. A keeper
// never started lets go of its subscription.
func (k *interruptionKeeper) wait() {
	if k.done == nil {
		k.stop()
		return
	}
	<-k.done
}

// dxAPI is dxsim's own API (events, interruption reports) beside the AWS
// one; obs is nil with no data plane.
func dxAPI(svc *sim.Service, obs *observe.Observer, log *slog.Logger) *dxapi.Handler {
	if obs == nil {
		return dxapi.New(svc, nil, log)
	}
	return dxapi.New(svc, obs, log)
}

// dataPlaneStatus is the data plane's ports as dxsim's API gives them.
func dataPlaneStatus(dp *topology.DataPlane) dxapi.StatusFunc {
	lacpOf := func(m *backend.MemberStatus) *dxapi.MemberLACP {
		if m == nil {
			return nil
		}
		return &dxapi.MemberLACP{Actor: m.Actor.String(), Partner: m.Partner.String(),
			CollectingDistributing: m.Actor.Has(lacp.StateCollecting | lacp.StateDistributing)}
	}
	return func(ctx context.Context) (dxapi.DataPlaneStatus, error) {
		st, err := dp.Status(ctx)
		if err != nil {
			return dxapi.DataPlaneStatus{}, err
		}
		out := dxapi.DataPlaneStatus{Backend: st.Backend}
		for _, p := range st.Ports {
			out.Ports = append(out.Ports, dxapi.PortStatus{ConnectionID: p.ConnectionID, LAGID: p.LAGID, AWSUp: p.AWSUp, CustomerUp: p.CustomerUp,
				AWSLACP: lacpOf(p.AWSLACP), CustomerLACP: lacpOf(p.CustomerLACP)})
		}
		return out, nil
	}
}
