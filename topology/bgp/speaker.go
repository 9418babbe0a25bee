package bgp

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"slices"
	"sync"

	api "github.com/osrg/gobgp/v4/api"
	"github.com/osrg/gobgp/v4/pkg/apiutil"
	"github.com/osrg/gobgp/v4/pkg/config/oc"
	"github.com/osrg/gobgp/v4/pkg/packet/bgp"
	"github.com/osrg/gobgp/v4/pkg/server"
)

// speakerEnv marks the process as a speaker; its value names it in logs.
const speakerEnv = "DXSIM_BGP_SPEAKER"

// RunIfSpeaker turns this process into a speaker when it was started as
// one, and then never returns; otherwise it returns at once. Call it first
// thing in main (and in TestMain of tests that start speakers).
func RunIfSpeaker() {
	name := os.Getenv(speakerEnv)
	if name == "" {
		return
	}
	// GoBGP warns of what is routine here (a connection refused while a
	// session is held down): errors only.
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})).With("speaker", name)
	if err := serve(os.Stdin, os.Stdout, log); err != nil {
		log.Error("speaker stopped", "err", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// serve runs routers as the commands on in say, writing replies and events
// to out, until in ends.
func serve(in io.Reader, out io.Writer, log *slog.Logger) error {
	sp := &speaker{out: json.NewEncoder(out), log: log, routers: map[string]*router{}}
	defer sp.stopAll()
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var c command
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			return fmt.Errorf("a command that is not JSON: %w", err)
		}
		var err error
		switch {
		case c.Set != nil:
			err = sp.set(*c.Set)
		case c.Delete != "":
			sp.delete(c.Delete)
		default:
			err = errors.New("a command that neither sets nor deletes a router")
		}
		r := reply{Done: c.Seq}
		if err != nil {
			r.Error = err.Error()
		}
		sp.write(r)
	}
	return sc.Err()
}

type speaker struct {
	mu      sync.Mutex // guards out
	out     *json.Encoder
	log     *slog.Logger
	routers map[string]*router // touched by the command loop only
}

func (sp *speaker) write(r reply) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if err := sp.out.Encode(r); err != nil {
		sp.log.Error("writing to the parent", "err", err)
	}
}

func (sp *speaker) stopAll() {
	for key := range sp.routers {
		sp.stop(key)
	}
}

// router is one running GoBGP server.
type router struct {
	spec    Router
	srv     *server.BgpServer
	cancel  context.CancelFunc
	sp      *speaker
	recount chan struct{}

	report bool // spec.Report: tell each session's accepted routes

	// emit is held from reading what was last told of a session to telling
	// its next event, so that events leave in the order of what they say
	// (a session's down is never followed by its routes from before).
	emit sync.Mutex

	mu         sync.Mutex
	last       map[netip.Addr]Event                 // what was last told of each session (no routes)
	accepted   map[netip.Addr]map[netip.Prefix]Path // with report: each neighbour's accepted routes (onUpdate)
	routes     map[netip.Addr][]Path                // with report: the routes last told of each session
	installed  map[netip.Prefix]netip.Addr
	restarting map[netip.Addr]bool   // a prefix-limit restart is due
	limits     map[netip.Addr]uint32 // each peer's prefix limit, as set (not effectiveLimits')
}

// set starts a router, or brings a running one to spec. A router runs a
// GoBGP server per address family of its peers, each listening on that
// family's local address: so an IPv6 peer added to (or deleted from) a VIF
// starts (or stops) its own server, and the IPv4 session is not touched.
func (sp *speaker) set(spec Router) error {
	if err := spec.check(); err != nil {
		return err
	}
	parts := spec.byFamily()
	for _, fam := range []string{"ipv4", "ipv6"} {
		key := spec.ID + "/" + fam
		part, ok := parts[fam]
		if !ok {
			sp.stop(key)
			continue
		}
		if err := sp.setServer(key, part); err != nil {
			return err
		}
	}
	return nil
}

// byFamily splits a router into one per address family of its peers, each
// with that family's peers and routes, all with the router's identifier.
func (spec Router) byFamily() map[string]Router {
	out := map[string]Router{}
	for _, p := range spec.Peers {
		fam := familyOf(p.Address)
		part, ok := out[fam]
		if !ok {
			part = Router{ID: spec.ID, ASN: spec.ASN, RouterID: spec.routerID(), Install: spec.Install, Metric: spec.Metric,
				Report: spec.Report, Reset: spec.Reset, ResetAgain: spec.ResetAgain}
			for _, rt := range spec.Announce {
				if familyOf(rt.Prefix.Addr()) == fam {
					part.Announce = append(part.Announce, rt)
				}
			}
		}
		part.Peers = append(part.Peers, p)
		out[fam] = part
	}
	return out
}

func familyOf(a netip.Addr) string {
	if a.Is4() || a.Is4In6() {
		return "ipv4"
	}
	return "ipv6"
}

// setServer starts one family's server, or brings a running one to spec:
// a change of its ASN, identifier, addresses, installing (or its metric) or
// reporting restarts it;
// peers and routes change in place.
func (sp *speaker) setServer(key string, spec Router) error {
	if r, ok := sp.routers[key]; ok {
		if r.sameServer(spec) {
			return r.update(spec)
		}
		sp.stop(key)
	}
	r, err := sp.start(spec)
	if err != nil {
		return err
	}
	sp.routers[key] = r
	return nil
}

// delete stops a router: all its families' servers.
func (sp *speaker) delete(id string) {
	for _, fam := range []string{"ipv4", "ipv6"} {
		sp.stop(id + "/" + fam)
	}
}

func (sp *speaker) stop(key string) {
	r, ok := sp.routers[key]
	if !ok {
		return
	}
	delete(sp.routers, key)
	r.cancel()
	r.srv.Stop()
	r.uninstallAll()
}

// check refuses a router the speaker cannot run.
func (spec Router) check() error {
	if spec.ID == "" || spec.ASN == 0 {
		return errors.New("a router needs an ID and an ASN")
	}
	seen := map[netip.Addr]bool{}
	for _, p := range spec.Peers {
		switch {
		case !p.Local.IsValid() || !p.Address.IsValid():
			return fmt.Errorf("router %s: a peer needs a local address and the neighbour's", spec.ID)
		case p.Local.Is4() != p.Address.Is4():
			return fmt.Errorf("router %s: peer %s and local address %s are of different families", spec.ID, p.Address, p.Local)
		case p.ASN == 0:
			return fmt.Errorf("router %s: peer %s needs an ASN", spec.ID, p.Address)
		case seen[p.Address]:
			return fmt.Errorf("router %s: peer %s appears twice", spec.ID, p.Address)
		}
		seen[p.Address] = true
	}
	for _, rt := range spec.Announce {
		if rt.Prepend < 0 || rt.Prepend > 254 {
			return fmt.Errorf("router %s: route %s: a prepend of %d (0 to 254)", spec.ID, rt.Prefix, rt.Prepend)
		}
	}
	if !spec.routerID().Is4() {
		return fmt.Errorf("router %s: no IPv4 router ID (give RouterID when every peer is IPv6)", spec.ID)
	}
	return nil
}

func (spec Router) routerID() netip.Addr {
	if spec.RouterID.IsValid() {
		return spec.RouterID
	}
	for _, p := range spec.Peers {
		if p.Local.Is4() {
			return p.Local
		}
	}
	return netip.Addr{}
}

func (spec Router) locals() []string {
	var out []string
	for _, p := range spec.Peers {
		if s := p.Local.String(); !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

func (r *router) sameServer(spec Router) bool {
	return r.spec.ASN == spec.ASN && r.spec.routerID() == spec.routerID() && r.spec.Install == spec.Install &&
		r.spec.Metric == spec.Metric && r.spec.Report == spec.Report && slices.Equal(r.spec.locals(), spec.locals())
}

func (sp *speaker) start(spec Router) (*router, error) {
	lvl := &slog.LevelVar{}
	lvl.Set(slog.LevelError)
	srv := server.NewBgpServer(server.LoggerOption(sp.log.With("router", spec.ID), lvl))
	go srv.Serve()
	ctx, cancel := context.WithCancel(context.Background())
	r := &router{spec: Router{ID: spec.ID, ASN: spec.ASN, RouterID: spec.RouterID, Install: spec.Install, Metric: spec.Metric, Report: spec.Report},
		srv: srv, cancel: cancel, sp: sp, recount: make(chan struct{}, 1), report: spec.Report,
		last: map[netip.Addr]Event{}, accepted: map[netip.Addr]map[netip.Prefix]Path{}, routes: map[netip.Addr][]Path{},
		installed: map[netip.Prefix]netip.Addr{}, restarting: map[netip.Addr]bool{}}
	fail := func(err error) (*router, error) {
		cancel()
		srv.Stop()
		return nil, fmt.Errorf("router %s: %w", spec.ID, err)
	}
	if err := srv.StartBgp(ctx, &api.StartBgpRequest{Global: &api.Global{
		Asn: spec.ASN, RouterId: spec.routerID().String(), ListenPort: 179, ListenAddresses: spec.locals(),
		// Unicast only: GoBGP makes a table for every family it serves,
		// about 10 MB for all of them, for each router.
		Families: []uint32{uint32(oc.AfiSafiTypeToIntMap[oc.AFI_SAFI_TYPE_IPV4_UNICAST]),
			uint32(oc.AfiSafiTypeToIntMap[oc.AFI_SAFI_TYPE_IPV6_UNICAST])},
	}}); err != nil {
		return fail(err)
	}
	opts := []server.WatchOption{server.WatchPeer(), server.WatchUpdate(false, "", "")}
	cb := server.WatchEventMessageCallbacks{
		OnPeerUpdate: r.onPeer,
		OnPathUpdate: r.onUpdate,
	}
	if spec.Install {
		opts = append(opts, server.WatchBestPath(false))
		cb.OnBestPath = r.onBest
	}
	if err := srv.WatchEvent(ctx, cb, opts...); err != nil {
		return fail(err)
	}
	go r.counting(ctx)
	// The peers and routes as an update from nothing.
	if err := r.update(spec); err != nil {
		return fail(err)
	}
	return r, nil
}

// update brings peers and announced routes to spec's.
func (r *router) update(spec Router) error {
	ctx := context.Background()
	old := map[netip.Addr]Peer{}
	keptPeers := map[netip.Addr]bool{}
	for _, p := range r.spec.Peers {
		old[p.Address] = p
		keptPeers[p.Address] = true
	}
	r.mu.Lock()
	r.limits = map[netip.Addr]uint32{}
	for _, p := range spec.Peers {
		r.limits[p.Address] = p.MaxPrefixes
	}
	r.mu.Unlock()
	spec.Peers = effectiveLimits(spec)
	for _, p := range spec.Peers {
		o, had := old[p.Address]
		delete(old, p.Address)
		switch {
		case had && o == p:
		case had && withLimit(o, p.MaxPrefixes) == p:
			if _, err := r.srv.UpdatePeer(ctx, &api.UpdatePeerRequest{Peer: peerConf(p)}); err != nil {
				return fmt.Errorf("router %s: peer %s: %w", spec.ID, p.Address, err)
			}
		case had && p.Down && withDown(o, p.Down) == p:
			if err := r.srv.DisablePeer(ctx, &api.DisablePeerRequest{Address: p.Address.String(), Communication: "held down by dxsim"}); err != nil {
				return fmt.Errorf("router %s: peer %s: %w", spec.ID, p.Address, err)
			}
		default:
			// Released from being held down (a failover test stopped), the
			// peer is made afresh rather than enabled: GoBGP holds an
			// enabled peer idle for its fixed 5 s first, which no router
			// AWS runs would add.
			if had {
				if err := r.srv.DeletePeer(ctx, &api.DeletePeerRequest{Address: p.Address.String()}); err != nil {
					return fmt.Errorf("router %s: peer %s: %w", spec.ID, p.Address, err)
				}
			}
			if err := r.srv.AddPeer(ctx, &api.AddPeerRequest{Peer: peerConf(p)}); err != nil {
				return fmt.Errorf("router %s: peer %s: %w", spec.ID, p.Address, err)
			}
		}
	}
	for addr := range old {
		if err := r.srv.DeletePeer(ctx, &api.DeletePeerRequest{Address: addr.String()}); err != nil {
			return fmt.Errorf("router %s: peer %s: %w", spec.ID, addr, err)
		}
		r.mu.Lock()
		delete(r.last, addr)
		delete(r.accepted, addr)
		delete(r.routes, addr)
		r.mu.Unlock()
	}
	if why := resetWhy(r.spec, spec); why != "" {
		for _, p := range spec.Peers {
			if !keptPeers[p.Address] {
				continue // new: nothing to reset
			}
			if err := r.srv.ResetPeer(ctx, &api.ResetPeerRequest{Address: p.Address.String(),
				Communication: why}); err != nil {
				return fmt.Errorf("router %s: resetting peer %s: %w", spec.ID, p.Address, err)
			}
		}
	}
	r.spec.Reset, r.spec.ResetAgain = spec.Reset, spec.ResetAgain
	r.mu.Lock()
	r.spec.Peers = slices.Clone(spec.Peers)
	r.mu.Unlock()
	if err := r.announce(spec.Announce); err != nil {
		return fmt.Errorf("router %s: %w", spec.ID, err)
	}
	r.dirty()
	return nil
}

// effectiveLimits returns the peers with their prefix limits as GoBGP
// counts: every prefix the neighbour sends, including this router's own
// sent back to it (FRR does, for eBGP), which are refused for the AS loop.
// A router counts only what it accepts, so the limit GoBGP enforces is
// raised by what this router announces in the peer's family, and the
// accepted count is held to the limit as set by enforceLimit.
func effectiveLimits(spec Router) []Peer {
	out := slices.Clone(spec.Peers)
	for i, p := range out {
		if p.MaxPrefixes == 0 {
			continue
		}
		for _, rt := range spec.Announce {
			if rt.Prefix.Addr().Is4() == p.Address.Is4() {
				out[i].MaxPrefixes++
			}
		}
	}
	return out
}

func withLimit(p Peer, limit uint32) Peer {
	p.MaxPrefixes = limit
	return p
}

func withDown(p Peer, down bool) Peer {
	p.Down = down
	return p
}

func family(a netip.Addr) *api.Family {
	if a.Is4() {
		return &api.Family{Afi: api.Family_AFI_IP, Safi: api.Family_SAFI_UNICAST}
	}
	return &api.Family{Afi: api.Family_AFI_IP6, Safi: api.Family_SAFI_UNICAST}
}

// peerConf is a neighbour as GoBGP takes it: single-hop eBGP (TTL 1), one
// address family, MD5, AWS's timers unless told, the prefix limit.
func peerConf(p Peer) *api.Peer {
	hold, keepalive := uint64(cmp.Or(p.HoldTime, 90)), uint64(cmp.Or(p.Keepalive, 30))
	fam := family(p.Address)
	as := &api.AfiSafi{Config: &api.AfiSafiConfig{Family: fam, Enabled: true}}
	if p.MaxPrefixes > 0 {
		as.PrefixLimits = &api.PrefixLimit{Family: fam, MaxPrefixes: p.MaxPrefixes}
	}
	return &api.Peer{
		Conf: &api.PeerConf{NeighborAddress: p.Address.String(), PeerAsn: p.ASN, AuthPassword: p.AuthKey, AdminDown: p.Down},
		// A lost session is tried again within seconds, not BGP's 120.
		Timers:    &api.Timers{Config: &api.TimersConfig{HoldTime: hold, KeepaliveInterval: keepalive, ConnectRetry: 3, IdleHoldTimeAfterReset: 1}},
		Transport: &api.Transport{LocalAddress: p.Local.String(), PassiveMode: p.Passive},
		AfiSafis:  []*api.AfiSafi{as},
	}
}

// announce advertises exactly routes: what is new is added, what is gone
// withdrawn.
func (r *router) announce(routes []Route) error {
	key := func(rt Route) string { return fmt.Sprint(rt.Prefix, rt.Communities, rt.Prepend) }
	want := map[string]Route{}
	for _, rt := range routes {
		want[key(rt)] = rt
	}
	have := map[string]Route{}
	for _, rt := range r.spec.Announce {
		have[key(rt)] = rt
	}
	var add, del []*apiutil.Path
	for k, rt := range want {
		if _, ok := have[k]; !ok {
			p, err := path(rt, r.spec.ASN)
			if err != nil {
				return err
			}
			add = append(add, p)
		}
	}
	for k, rt := range have {
		if _, ok := want[k]; !ok {
			p, err := path(rt, r.spec.ASN)
			if err != nil {
				return err
			}
			del = append(del, p)
		}
	}
	if len(del) > 0 {
		if err := r.srv.DeletePath(apiutil.DeletePathRequest{Paths: del}); err != nil {
			return fmt.Errorf("withdrawing: %w", err)
		}
	}
	if len(add) > 0 {
		if _, err := r.srv.AddPath(apiutil.AddPathRequest{Paths: add}); err != nil {
			return fmt.Errorf("announcing: %w", err)
		}
	}
	r.spec.Announce = slices.Clone(routes)
	return nil
}

// path is a locally originated route; GoBGP sets the next hop to the
// session's own address as it sends it (eBGP), and puts asn first in its AS
// path, after the prepends.
func path(rt Route, asn uint32) (*apiutil.Path, error) {
	nlri, err := bgp.NewIPAddrPrefix(rt.Prefix.Masked())
	if err != nil {
		return nil, fmt.Errorf("route %s: %w", rt.Prefix, err)
	}
	attrs := []bgp.PathAttributeInterface{bgp.NewPathAttributeOrigin(0)}
	fam := bgp.RF_IPv4_UC
	if rt.Prefix.Addr().Is4() {
		nh, err := bgp.NewPathAttributeNextHop(netip.IPv4Unspecified())
		if err != nil {
			return nil, err
		}
		attrs = append(attrs, nh)
	} else {
		fam = bgp.RF_IPv6_UC
		mp, err := bgp.NewPathAttributeMpReachNLRI(bgp.RF_IPv6_UC, []bgp.PathNLRI{{NLRI: nlri}}, netip.IPv6Unspecified())
		if err != nil {
			return nil, err
		}
		attrs = append(attrs, mp)
	}
	if rt.Prepend > 0 {
		attrs = append(attrs, bgp.NewPathAttributeAsPath([]bgp.AsPathParamInterface{
			bgp.NewAs4PathParam(bgp.BGP_ASPATH_ATTR_TYPE_SEQ, slices.Repeat([]uint32{asn}, rt.Prepend))}))
	}
	if len(rt.Communities) > 0 {
		attrs = append(attrs, bgp.NewPathAttributeCommunities(rt.Communities))
	}
	return &apiutil.Path{Family: fam, Nlri: nlri, Attrs: attrs}, nil
}

// resetWhy says why a router's sessions are reset as it goes from old to
// now, or "" when they are not: what carries the VIF changed (not when the
// router is new), or a reset fault asks again; a fault cleared resets
// nothing.
func resetWhy(old, now Router) string {
	switch {
	case old.Reset != "" && now.Reset != old.Reset:
		return "the VIF moved to " + now.Reset
	case now.ResetAgain != "" && now.ResetAgain != old.ResetAgain:
		return "reset by dxsim: a training fault"
	}
	return ""
}
