package dxapi

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/bus"
)

// Prefix is where dxsim's own API lives.
const Prefix = "/dxsim/v1/"

// States is where state changes and the interruption reports kept in the
// state come from; a *sim.Service is one.
type States interface {
	Subscribe(buf int) (<-chan sim.StateChange, func())
	Interruption(connectionID string) (*sim.Interruption, bool)
}

// Observations is where milestones and fresh interruption reports come
// from; dxsim's observer (topology/observe) is one.
type Observations interface {
	Subscribe(buf int) (<-chan sim.InterruptionUpdate, func())
	Report(connectionID string) (*sim.Interruption, bool)
}

// BGPSessions is where the VIFs' BGP session reports come from; a
// *sim.Service is one. States that are also BGPSessions have them in the
// event stream.
type BGPSessions interface {
	SubscribeBGP(limit int) *bus.Sub[sim.BGPSession]
	BGPSessions() []sim.BGPSession
}

// FailoverReports is where failover tests' reports come from; dxsim's
// observer is one. Observations that are also FailoverReports serve them.
type FailoverReports interface {
	FailoverReport(testID string) (*sim.FailoverReport, bool)
}

// Handler serves dxsim's own API.
type Handler struct {
	states States
	obs    Observations // nil: no data plane is observed
	log    *slog.Logger
	mux    *http.ServeMux
	// customerRouter: the customer's side of BGP is dxsim's builtin
	// router, which faults can break (CustomerRouter).
	customerRouter bool
	status         StatusFunc // nil: no data plane
}

// CustomerRouter says whether the customer's side of each VIF's BGP is
// dxsim's builtin router (the default), whose BGP faults can be set.
func (h *Handler) CustomerRouter(builtin bool) { h.customerRouter = builtin }

// New returns a Handler. obs may be nil (no data plane, nothing observed);
// log may be nil.
func New(states States, obs Observations, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{states: states, obs: obs, log: log, mux: http.NewServeMux(), customerRouter: true}
	h.mux.HandleFunc("GET "+Prefix+"events", h.events)
	h.mux.HandleFunc("GET "+Prefix+"interruptions/{id}", h.interruption)
	h.mux.HandleFunc("GET "+Prefix+"failover-tests/{id}", h.failoverTest)
	h.mux.HandleFunc("GET "+Prefix+"faults", h.listFaults)
	h.mux.HandleFunc("GET "+Prefix+"history/{id}", h.history)
	h.mux.HandleFunc("GET "+Prefix+"bgp", h.sessions)
	h.mux.HandleFunc("GET "+Prefix+"dataplane", h.dataPlane)
	h.mux.HandleFunc("POST "+Prefix+"faults", h.setFault)
	h.mux.HandleFunc("DELETE "+Prefix+"faults", h.clearFaults)
	h.mux.HandleFunc(Prefix, func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such resource: "+r.Method+" "+r.URL.Path)
	})
	return h
}

// Register mounts the handler on mux under Prefix.
func (h *Handler) Register(mux *http.ServeMux) { mux.Handle(Prefix, h) }

// ServeHTTP serves requests under Prefix.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

func (h *Handler) interruption(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !sim.ValidID(sim.PrefixConnection, id) {
		writeError(w, http.StatusBadRequest, "not a connection ID: "+id)
		return
	}
	if h.obs == nil {
		writeError(w, http.StatusNotFound, "no data plane is observed: dxsim serve runs with --dataplane none")
		return
	}
	// The observer's is the freshest; the state's survives a restart.
	rep, ok := h.obs.Report(id)
	if !ok {
		rep, ok = h.states.Interruption(id)
	}
	if !ok {
		writeError(w, http.StatusNotFound, "no associate or disassociate of "+id+" has been observed")
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// failoverTest serves a failover test's report: the routed probe as the
// traffic left the tested VIF and as it came back, and the BGP between.
func (h *Handler) failoverTest(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !testID(id) {
		writeError(w, http.StatusBadRequest, "not a failover test ID: "+id)
		return
	}
	reports, ok := h.obs.(FailoverReports)
	if h.obs == nil || !ok {
		writeError(w, http.StatusNotFound, "no data plane is observed: dxsim serve runs with --dataplane none")
		return
	}
	rep, ok := reports.FailoverReport(id)
	if !ok {
		writeError(w, http.StatusNotFound, "no failover test "+id+" has been observed since dxsim started")
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// testID reports whether s can be a failover test's ID (a UUID, as AWS
// gives them).
func testID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == '-') {
			return false
		}
	}
	return true
}

// events streams Events as newline-delimited JSON until the client goes or
// the sources close.
func (h *Handler) events(w http.ResponseWriter, r *http.Request) {
	only := r.URL.Query().Get("id")
	states, stopStates := h.states.Subscribe(1024)
	defer stopStates()
	var sessions <-chan sim.BGPSession
	var current []sim.BGPSession
	if b, ok := h.states.(BGPSessions); ok {
		sub := b.SubscribeBGP(1024)
		defer sub.Close()
		sessions = sub.C()
		// Each session as it is now, then its changes (subscribed first,
		// so none is missed; one may come twice).
		current = b.BGPSessions()
	}
	var updates <-chan sim.InterruptionUpdate
	if h.obs != nil {
		u, stop := h.obs.Subscribe(1024)
		defer stop()
		updates = u
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	enc := json.NewEncoder(w)
	send := func(e Event) bool {
		if only != "" && e.ID != only {
			return true
		}
		if err := enc.Encode(e); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	for _, b := range current {
		if !send(bgpEvent(b)) {
			return
		}
	}
	ctx := r.Context()
	for {
		select {
		case <-ctx.Done():
			return
		case c, ok := <-states:
			if !ok || !send(stateEvent(c)) {
				return
			}
		case u, ok := <-updates:
			if !ok {
				return
			}
			if !send(updateEvent(u)) {
				return
			}
		case b, ok := <-sessions:
			if !ok {
				return
			}
			if !send(bgpEvent(b)) {
				return
			}
		}
	}
}

type errorBody struct {
	Message string `json:"message"`
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, errorBody{Message: msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
