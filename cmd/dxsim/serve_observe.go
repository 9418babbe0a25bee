package main

import (
	"log/slog"
	"net/http"
	"os"
	"path/filepath"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology"
	"github.com/dxsim/dxsim/topology/observe"
	"github.com/dxsim/dxsim/topology/observe/dxapi"
)

// serve observes every associate and disassociate on the links and serves
// dxsim's own API (events, interruption reports) beside the AWS one.
func init() {
	serveWraps = append(serveWraps, observeDataPlane)
	serveRoutes = append(serveRoutes, routeDXAPI)
}

// observeDataPlane wraps the data plane in an Observer that keeps each
// operation's LACPDUs as pcapng under <state>/pcap.
func observeDataPlane(dp sim.DataPlane, state string, log *slog.Logger) sim.DataPlane {
	backend, prefix := "", ""
	if t, ok := dp.(*topology.DataPlane); ok {
		backend, _ = t.Backend()
		prefix = t.Prefix() // the observer opens the namespaces this serve made
	}
	dir := filepath.Join(state, "pcap")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		log.Warn("pcap directory", "dir", dir, "err", err)
		dir = ""
	}
	return observe.New(dp, observe.Config{Backend: backend, Prefix: prefix, PcapDir: dir, Logger: log})
}

func routeDXAPI(mux *http.ServeMux, svc *sim.Service, dp sim.DataPlane, log *slog.Logger) {
	var obs dxapi.Observations
	if o, ok := dp.(*observe.Observer); ok {
		o.SetRecords(svc)
		obs = o
	}
	dxapi.New(svc, obs, log).Register(mux)
}
