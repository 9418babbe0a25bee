package bgp

import (
	"context"
	"maps"
	"net/netip"
	"slices"
	"time"

	api "github.com/osrg/gobgp/v4/api"
	"github.com/osrg/gobgp/v4/pkg/apiutil"
	"github.com/osrg/gobgp/v4/pkg/packet/bgp"
)

// onPeer tells the parent of a session's new state at once; with report, a
// session leaving Established has no routes any more, and says so.
func (r *router) onPeer(ev *apiutil.WatchEventMessage_PeerEvent, t time.Time) {
	if ev.Type != apiutil.PEER_EVENT_STATE {
		return
	}
	st := ev.Peer.State
	addr := st.NeighborAddress
	r.emit.Lock()
	r.mu.Lock()
	e := r.last[addr]
	wasUp := e.Established()
	e.Router, e.Peer, e.Time = r.spec.ID, addr, t
	e.State = fsmState(st.SessionState)
	e.AdminDown = st.AdminState == api.PeerState_ADMIN_STATE_DOWN || st.AdminState == api.PeerState_ADMIN_STATE_PFX_CT
	e.PrefixLimit = st.AdminState == api.PeerState_ADMIN_STATE_PFX_CT
	e.Reason = ""
	if e.State != StateEstablished && st.DisconnectReason != api.PeerState_DISCONNECT_REASON_UNSPECIFIED {
		e.Reason = st.DisconnectReason.String()
		if st.DisconnectMessage != "" {
			e.Reason += ": " + st.DisconnectMessage
		}
	}
	if e.State != StateEstablished {
		e.Received, e.Accepted = 0, 0
	}
	r.last[addr] = e
	if r.report && !e.Established() {
		if _, told := r.routes[addr]; told || wasUp {
			e.HasRoutes = true
		}
		delete(r.accepted, addr)
		delete(r.routes, addr)
	}
	r.mu.Unlock()
	r.sp.write(reply{Event: &e})
	r.emit.Unlock()
	r.dirty()
	if !e.Established() {
		r.restartLater(addr)
	}
}

// peer returns the neighbour at addr as GoBGP runs it (its limit raised by
// effectiveLimits).
func (r *router) peer(addr netip.Addr) (Peer, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	i := slices.IndexFunc(r.spec.Peers, func(p Peer) bool { return p.Address == addr })
	if i < 0 {
		return Peer{}, false
	}
	return r.spec.Peers[i], true
}

// restartLater lets a session shut for too many prefixes try again after
// its peer's LimitRestart. The shut is read from the peer's admin state
// then, not from the event: GoBGP may report the session's close before it
// records why.
func (r *router) restartLater(addr netip.Addr) {
	p, ok := r.peer(addr)
	after := time.Duration(p.LimitRestart) * time.Second
	r.mu.Lock()
	if !ok || after == 0 || r.restarting[addr] {
		r.mu.Unlock()
		return
	}
	r.restarting[addr] = true
	r.mu.Unlock()
	time.AfterFunc(after, func() {
		r.mu.Lock()
		delete(r.restarting, addr)
		r.mu.Unlock()
		ctx := context.Background()
		shut := false
		err := r.srv.ListPeer(ctx, &api.ListPeerRequest{Address: addr.String()}, func(p *api.Peer) {
			shut = shut || p.GetState().GetAdminState() == api.PeerState_ADMIN_STATE_PFX_CT
		})
		if err != nil || !shut {
			return
		}
		p, ok := r.peer(addr)
		if !ok {
			return
		}
		// The limit as set (enforceLimit may have lowered it), then up.
		if _, err := r.srv.UpdatePeer(ctx, &api.UpdatePeerRequest{Peer: peerConf(p)}); err != nil {
			r.sp.log.Error("restoring a session's prefix limit", "router", r.spec.ID, "peer", addr, "err", err)
		}
		if err := r.srv.EnablePeer(ctx, &api.EnablePeerRequest{Address: addr.String()}); err != nil {
			r.sp.log.Error("restarting a session after its prefix limit", "router", r.spec.ID, "peer", addr, "err", err)
		}
	})
}

func fsmState(s bgp.FSMState) string {
	switch s {
	case bgp.BGP_FSM_CONNECT:
		return StateConnect
	case bgp.BGP_FSM_ACTIVE:
		return StateActive
	case bgp.BGP_FSM_OPENSENT:
		return StateOpenSent
	case bgp.BGP_FSM_OPENCONFIRM:
		return StateOpenConfirm
	case bgp.BGP_FSM_ESTABLISHED:
		return StateEstablished
	}
	return StateIdle
}

// dirty asks for the sessions' prefixes to be read again.
func (r *router) dirty() {
	select {
	case r.recount <- struct{}{}:
	default:
	}
}

// counting reads each session's prefix counts (and, with report, its
// accepted routes) when told they may have changed (a burst of updates is
// read once, 5 ms after it starts) and tells the parent of each change.
func (r *router) counting(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.recount:
		}
		time.Sleep(5 * time.Millisecond)
		for _, o := range r.recountOnce(ctx) {
			r.enforceLimit(ctx, o.addr, o.received)
		}
	}
}

// counts are a session's prefixes, all families.
type counts struct{ received, accepted uint64 }

// recountOnce reads the sessions and tells what changed, and returns the
// sessions over their prefix limit.
func (r *router) recountOnce(ctx context.Context) []overLimit {
	now := time.Now()
	read := map[netip.Addr]counts{}
	err := r.srv.ListPeer(ctx, &api.ListPeerRequest{}, func(p *api.Peer) {
		addr, err := netip.ParseAddr(p.GetState().GetNeighborAddress())
		if err != nil {
			return
		}
		var n counts
		for _, as := range p.GetAfiSafis() {
			n.received += as.GetState().GetReceived()
			n.accepted += as.GetState().GetAccepted()
		}
		read[addr] = n
	})
	if err != nil && ctx.Err() == nil {
		r.sp.log.Error("reading sessions", "router", r.spec.ID, "err", err)
	}
	// What was last told is read, and the news told, under emit: a
	// session that went down meanwhile (onPeer) is not up here, and no
	// routes of it are told after it went.
	r.emit.Lock()
	defer r.emit.Unlock()
	var changed []Event
	var over []overLimit
	r.mu.Lock()
	for _, addr := range slices.SortedFunc(maps.Keys(read), netip.Addr.Compare) {
		n := read[addr]
		e, ok := r.last[addr]
		if !ok {
			e = Event{Router: r.spec.ID, Peer: addr, State: StateIdle}
		}
		if !e.Established() {
			n = counts{}
		}
		countsChanged := !ok || e.Received != n.received || e.Accepted != n.accepted
		var routes []Path
		routesChanged := false
		if r.report && e.Established() {
			routes = r.acceptedFrom(addr)
			routesChanged = !samePaths(r.routes[addr], routes)
		}
		if !countsChanged && !routesChanged {
			continue
		}
		if limit := r.limits[addr]; limit > 0 && n.accepted > uint64(limit) && e.Established() {
			over = append(over, overLimit{addr, n.received})
		}
		e.Received, e.Accepted, e.Time = n.received, n.accepted, now
		r.last[addr] = e
		if routesChanged {
			r.routes[addr] = routes
			e.HasRoutes, e.Routes = true, routes
		}
		changed = append(changed, e)
	}
	r.mu.Unlock()
	for _, e := range changed {
		r.sp.write(reply{Event: &e})
	}
	return over
}

type overLimit struct {
	addr     netip.Addr
	received uint64
}

// enforceLimit shuts a session whose neighbour has more accepted prefixes
// than its limit, as GoBGP itself does (a Cease, maximum number of prefixes
// reached): by lowering the limit GoBGP enforces below what it has
// received. restartLater puts the limit back.
func (r *router) enforceLimit(ctx context.Context, addr netip.Addr, received uint64) {
	p, ok := r.peer(addr)
	if !ok {
		return
	}
	p.MaxPrefixes = uint32(received - 1)
	if _, err := r.srv.UpdatePeer(ctx, &api.UpdatePeerRequest{Peer: peerConf(p)}); err != nil {
		r.sp.log.Error("shutting a session over its prefix limit", "router", r.spec.ID, "peer", addr, "err", err)
	}
}
