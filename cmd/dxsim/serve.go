package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/api"
	"github.com/dxsim/dxsim/sim/boltstore"
	"github.com/dxsim/dxsim/topology"
	"github.com/dxsim/dxsim/topology/bgp"
	"github.com/dxsim/dxsim/topology/observe"
	"github.com/dxsim/dxsim/topology/region"
)

func init() { subcommands = append(subcommands, newServeCmd) }

// serveConfig is what `dxsim serve` runs with.
type serveConfig struct {
	listen      string
	state       string
	dataplane   string
	prefix      string // namespace prefix of the data plane
	auth        string
	credentials string
	region      string
	catalogue   string
	schedule    sim.Schedule
	logLevel    string
	limits      serveLimits
	// customerRouter is bgp.CustomerBuiltin or bgp.CustomerNone.
	customerRouter string
	// lacpTimers is topology.TimersLinux or topology.Timers8021AX.
	lacpTimers string
}

func newServeCmd() *cobra.Command {
	cfg := serveConfig{schedule: sim.DefaultSchedule()}
	c := &cobra.Command{
		Use:   "serve",
		Short: "Serve the Direct Connect API (AWS JSON 1.1) over durable state and real links",
		Long: `Serves the AWS Direct Connect API on --listen, so the aws CLI, boto3, the Go SDK
and Terraform work against it with an endpoint override, e.g.
  aws directconnect describe-locations --endpoint-url http://127.0.0.1:8080

State lives in a bbolt file under --state; every change is committed before it
is acknowledged, and a restart restores everything. --dataplane picks the
links beneath: kernel (bonds and VLANs), userspace (dxsim's LACP engine), auto
(kernel where it can), or none (no links: states move on the provisioning
schedule set by the --*-time flags).

Without --auth sigv4 any credentials map to the lab account 123456789012. With
--auth sigv4 --credentials FILE, requests must be signed with a key from FILE,
over Host, X-Amz-Date and every X-Amz-* header:
  {"credentials":[{"accessKeyId":"AKID…","secretAccessKey":"…","account":"111122223333"}]}
An entry may add "sessionToken": requests with that key must then carry it.
STS GetCallerIdentity is answered on the same address, for the caller's account.

A request's headers must arrive within 10s and the whole request within 30s;
a keep-alive connection idle for 2m is closed; at --max-connections a new
connection closes the longest-idle one.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd.Context(), cfg, cmd.ErrOrStderr(), nil)
		},
	}
	f := c.Flags()
	f.StringVar(&cfg.listen, "listen", "127.0.0.1:8080", "address to serve on (loopback unless you say otherwise)")
	f.StringVar(&cfg.state, "state", defaultStateDir(), "directory of the durable state")
	f.StringVar(&cfg.dataplane, "dataplane", "auto", "links beneath the API: auto, kernel, userspace or none")
	f.StringVar(&cfg.prefix, "prefix", topology.DefaultPrefix, `namespace prefix ("<prefix>-dx-<device>", "<prefix>-cr-<device>"): "dxsim" then letters or digits, e.g. dxsim2; one per serve sharing a host`)
	f.StringVar(&cfg.auth, "auth", "none", "request authentication: none (any credentials, one lab account) or sigv4")
	f.StringVar(&cfg.credentials, "credentials", "", "credentials file for --auth sigv4")
	f.StringVar(&cfg.region, "region", "us-east-1", "the Region this endpoint answers for")
	f.StringVar(&cfg.catalogue, "catalogue", "", "locations and devices (JSON); the built-in catalogue when empty")
	f.DurationVar(&cfg.schedule.Requested, "requested-time", cfg.schedule.Requested, "with --dataplane none: requested → pending")
	f.DurationVar(&cfg.schedule.Pending, "pending-time", cfg.schedule.Pending, "with --dataplane none: pending → available")
	f.DurationVar(&cfg.schedule.Associate, "associate-time", cfg.schedule.Associate, "with --dataplane none: how long an associated link is down")
	f.DurationVar(&cfg.schedule.Converge, "converge-time", cfg.schedule.Converge, "with a data plane: how long an associated member may take to converge before it is reported down")
	f.DurationVar(&cfg.schedule.Confirm, "confirm-time", cfg.schedule.Confirm, "hosted connections and VIFs: pending → available")
	f.DurationVar(&cfg.schedule.Retain, "deleted-time", cfg.schedule.Retain, "how long deleted connections, LAGs and VIFs are still described, as deleted")
	f.StringVar(&cfg.lacpTimers, "lacp-timers", topology.TimersLinux, "the LAGs' LACP timing: linux (as Linux bonds, the 8 s selection timer on a LAG's first member included, on either data plane) or 802.1ax (the standard's alone, for a peer that is not Linux; userspace data plane only)")
	f.StringVar(&cfg.customerRouter, "customer-router", bgp.CustomerBuiltin, "the customer side of each VIF's BGP: builtin (a speaker in the customer router's namespace) or none (run your own router there)")
	f.StringVar(&cfg.logLevel, "log-level", "info", "debug, info, warn or error")
	f.IntVar(&cfg.limits.maxConns, "max-connections", defaultMaxConns, "most connections open at once (at most half the open-file limit); at the cap a new one closes the longest idle")
	return c
}

// defaultStateDir is /var/lib/dxsim for root, else $XDG_STATE_HOME/dxsim
// (~/.local/state/dxsim).
func defaultStateDir() string {
	if os.Geteuid() == 0 {
		return "/var/lib/dxsim"
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "dxsim")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", "dxsim")
	}
	return "dxsim-state"
}

// runServe serves until ctx ends. ready, when set, is called with the
// address once the listener is open.
func runServe(ctx context.Context, cfg serveConfig, stderr io.Writer, ready func(addr string)) (err error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	var auth api.Authenticator
	switch cfg.auth {
	case "none":
		auth = api.AnyCredentials{Account: api.DefaultAccount}
	case "sigv4":
		if cfg.credentials == "" {
			return errors.New("--auth sigv4 needs --credentials FILE")
		}
		creds, err := api.LoadCredentials(cfg.credentials)
		if err != nil {
			return err
		}
		auth = api.NewSigV4(creds, cfg.region, nil)
	default:
		return fmt.Errorf("unknown --auth %q: want none or sigv4", cfg.auth)
	}
	switch cfg.customerRouter {
	case "":
		cfg.customerRouter = bgp.CustomerBuiltin
	case bgp.CustomerBuiltin, bgp.CustomerNone:
	default:
		return fmt.Errorf("unknown --customer-router %q: want builtin or none", cfg.customerRouter)
	}
	cat := sim.DefaultCatalogue()
	if cfg.catalogue != "" {
		if cat, err = sim.LoadCatalogue(cfg.catalogue); err != nil {
			return err
		}
	}
	if len(cat.InRegion(cfg.region)) == 0 {
		return fmt.Errorf("the catalogue has no location in --region %s", cfg.region)
	}

	limits := cfg.limits.resolve(log)
	tcp, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return fmt.Errorf("--listen: %w", err)
	}
	ln := newConnCap(tcp, limits.maxConns)
	defer ln.Close()
	if host, _, _ := net.SplitHostPort(ln.Addr().String()); !net.ParseIP(host).IsLoopback() && cfg.auth == "none" {
		log.Warn("serving beyond loopback without --auth sigv4: anyone who can reach it can change the state", "listen", ln.Addr().String())
	}

	store, err := boltstore.Open(cfg.state)
	if err != nil {
		return err
	}
	defer closeLogged(log, "state", store)
	dp, err := openDataPlane(ctx, cfg.dataplane, cfg.prefix, cfg.lacpTimers, store.Namespaces(), store.Checkpoints(), log)
	if err != nil {
		return err
	}
	var obs *observe.Observer
	var keeper *interruptionKeeper
	var simDP sim.DataPlane
	if dp != nil {
		defer closeLogged(log, "data plane", dp)
		simDP = dp
		obs = observeDataPlane(dp, cfg.state, log)
		keeper = keepInterruptions(obs)
	}
	svc, err := sim.New(sim.Config{Region: cfg.region, Catalogue: cat, Schedule: &cfg.schedule, DataPlane: simDP, Store: store, Log: log})
	if err != nil {
		if obs != nil {
			closeLogged(log, "observer", obs)
		}
		return err
	}
	defer func() {
		// The observer finishes its running reports and the state keeps
		// them before the control plane closes.
		if obs != nil {
			closeLogged(log, "observer", obs)
			keeper.wait()
		}
		closeLogged(log, "control plane", svc)
	}()
	if keeper != nil {
		keeper.start(svc, log)
	}
	if dp != nil {
		// Every VIF's BGP, on speakers in the device's and the customer
		// router's namespaces; closed (every session down) before the
		// control plane.
		ctrl := bgp.NewController(bgp.ControllerConfig{Source: svc, Namespaces: dp, Customer: cfg.customerRouter, Log: log})
		defer closeLogged(log, "BGP", ctrl)
		// Interruption reports carry the BGP of the VIFs that move.
		obs.FollowBGP(ctrl.Subscribe(0))
		// The Region behind the devices: its VPCs, reached over the VIFs
		// as BGP routes them; and the routed probe in the reports.
		reg := region.New(region.Config{Source: svc, Learner: region.FromBGP(ctrl), DataPlane: dp, Log: log})
		defer closeLogged(log, "Region", reg)
		obs.ProbeRouted(reg.Targets(region.BuiltinCustomerNets(ctrl)))
		// Failover tests' reports: the routed probe around each.
		obs.FollowFailoverTests(svc, reg.VIFTarget(region.BuiltinCustomerNets(ctrl)))
	}

	mux := http.NewServeMux()
	mux.Handle("/", api.NewHandler(svc, api.Options{Auth: auth, Log: log}))
	api := dxAPI(svc, obs, log)
	api.CustomerRouter(cfg.customerRouter == bgp.CustomerBuiltin)
	if dp != nil {
		api.DataPlane(dataPlaneStatus(dp))
	}
	api.Register(mux)
	srv := &http.Server{Handler: mux, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ReadHeaderTimeout: limits.readHeader, ReadTimeout: limits.read, IdleTimeout: limits.idle, ConnState: ln.track,
		// Streams (/dxsim/v1/events) end when serving ends.
		BaseContext: func(net.Listener) context.Context { return ctx }}
	log.Info("serving the Direct Connect API", "listen", ln.Addr().String(), "state", filepath.Join(cfg.state, boltstore.FileName),
		"dataplane", cfg.dataplane, "customer-router", cfg.customerRouter, "auth", cfg.auth, "region", cfg.region, "max-connections", limits.maxConns)
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	<-errc
	log.Info("stopped")
	return nil
}

func closeLogged(log *slog.Logger, what string, c io.Closer) {
	if err := c.Close(); err != nil {
		log.Error("closing "+what, "err", err)
	}
}
