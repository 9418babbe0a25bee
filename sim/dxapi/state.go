package dxapi

import (
	"context"
	"net/http"
	"time"

	"github.com/dxsim/dxsim/sim"
)

// Histories is where objects' state changes since the server started come
// from; a *sim.Service is one. States that are also Histories serve
// /dxsim/v1/history/{id}.
type Histories interface {
	History(id string) (since time.Time, changes []sim.StateChange)
}

// History is the body of GET /dxsim/v1/history/{id}: the object's state
// changes since the server started (Since), oldest first.
type History struct {
	ID      string    `json:"id"`
	Since   time.Time `json:"since"`
	Changes []Change  `json:"changes"`
	Now     time.Time `json:"now"`
}

// Change is one state change.
type Change struct {
	Time time.Time `json:"time"`
	From string    `json:"from,omitempty"`
	To   string    `json:"to"`
}

// Sessions is the body of GET /dxsim/v1/bgp: every VIF's BGP session as
// the data plane last reported it.
type Sessions struct {
	Sessions []sim.BGPSession `json:"sessions"`
}

// DataPlaneStatus is the body of GET /dxsim/v1/dataplane: each port's
// link and LACP, both ends, as the data plane reports them.
type DataPlaneStatus struct {
	Backend string       `json:"backend"`
	Ports   []PortStatus `json:"ports"`
}

// PortStatus is one connection's port.
type PortStatus struct {
	ConnectionID string      `json:"connectionId"`
	LAGID        string      `json:"lagId,omitempty"`
	AWSUp        bool        `json:"awsUp"`
	CustomerUp   bool        `json:"customerUp"`
	AWSLACP      *MemberLACP `json:"awsLacp,omitempty"`
	CustomerLACP *MemberLACP `json:"customerLacp,omitempty"`
}

// MemberLACP is a LAG member's LACP on one end: its actor's and partner's
// states as 802.1AX's bits read (lacp.State's String), and whether it
// collects and distributes.
type MemberLACP struct {
	Actor                  string `json:"actor"`
	Partner                string `json:"partner"`
	CollectingDistributing bool   `json:"collectingDistributing"`
}

// StatusFunc reports the data plane's status.
type StatusFunc func(ctx context.Context) (DataPlaneStatus, error)

// DataPlane serves /dxsim/v1/dataplane from f.
func (h *Handler) DataPlane(f StatusFunc) { h.status = f }

func (h *Handler) history(w http.ResponseWriter, r *http.Request) {
	hs, ok := h.states.(Histories)
	if !ok {
		writeError(w, http.StatusNotFound, "this server keeps no history")
		return
	}
	id := r.PathValue("id")
	since, changes := hs.History(id)
	out := History{ID: id, Since: since, Changes: []Change{}, Now: time.Now()}
	for _, c := range changes {
		out.Changes = append(out.Changes, Change{Time: c.Time, From: c.From, To: c.To})
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *Handler) sessions(w http.ResponseWriter, _ *http.Request) {
	b, ok := h.states.(BGPSessions)
	if !ok {
		writeError(w, http.StatusNotFound, "this server runs no BGP")
		return
	}
	out := Sessions{Sessions: b.BGPSessions()}
	if out.Sessions == nil {
		out.Sessions = []sim.BGPSession{}
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *Handler) dataPlane(w http.ResponseWriter, r *http.Request) {
	if h.status == nil {
		writeError(w, http.StatusNotFound, "no data plane: dxsim serve runs with --dataplane none")
		return
	}
	st, err := h.status(r.Context())
	if err != nil {
		writeError(w, http.StatusInternalServerError, "reading the data plane: "+err.Error())
		return
	}
	if st.Ports == nil {
		st.Ports = []PortStatus{}
	}
	writeJSON(w, http.StatusOK, st)
}

// History returns an object's state changes since the server started.
func (c *Client) History(ctx context.Context, id string) (History, error) {
	var out History
	err := c.do(ctx, http.MethodGet, "history/"+id, nil, &out)
	return out, err
}

// BGPSessions returns every VIF's BGP session.
func (c *Client) BGPSessions(ctx context.Context) ([]sim.BGPSession, error) {
	var out Sessions
	err := c.do(ctx, http.MethodGet, "bgp", nil, &out)
	return out.Sessions, err
}

// DataPlane returns the data plane's ports.
func (c *Client) DataPlane(ctx context.Context) (DataPlaneStatus, error) {
	var out DataPlaneStatus
	err := c.do(ctx, http.MethodGet, "dataplane", nil, &out)
	return out, err
}

// FailoverReport returns a failover test's report.
func (c *Client) FailoverReport(ctx context.Context, testID string) (sim.FailoverReport, error) {
	var out sim.FailoverReport
	err := c.do(ctx, http.MethodGet, "failover-tests/"+testID, nil, &out)
	return out, err
}
