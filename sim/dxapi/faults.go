package dxapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/dxsim/dxsim/sim"
)

// Faults is where training faults are set, cleared and listed; a
// *sim.Service is one. States that are also Faults serve /dxsim/v1/faults.
type Faults interface {
	SetFault(ctx context.Context, spec sim.FaultSpec) (*sim.Fault, error)
	ClearFaults(ctx context.Context, target, side, class string) ([]sim.Fault, error)
	Faults() []sim.Fault
}

// FaultList is the body of GET and DELETE /dxsim/v1/faults: the faults set,
// or those cleared.
type FaultList struct {
	Faults []sim.Fault `json:"faults"`
}

// maxFaultBody bounds a fault request's body.
const maxFaultBody = 64 << 10

func (h *Handler) faults() (Faults, bool) {
	f, ok := h.states.(Faults)
	return f, ok
}

// listFaults: GET /dxsim/v1/faults.
func (h *Handler) listFaults(w http.ResponseWriter, _ *http.Request) {
	f, ok := h.faults()
	if !ok {
		writeError(w, http.StatusNotFound, "this server keeps no faults")
		return
	}
	writeJSON(w, http.StatusOK, FaultList{Faults: nonNil(f.Faults())})
}

// setFault: POST /dxsim/v1/faults with a sim.FaultSpec.
func (h *Handler) setFault(w http.ResponseWriter, r *http.Request) {
	f, ok := h.faults()
	if !ok {
		writeError(w, http.StatusNotFound, "this server keeps no faults")
		return
	}
	var spec sim.FaultSpec
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxFaultBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&spec); err != nil {
		writeError(w, http.StatusBadRequest, "a fault is a JSON object (connection or vif, side, and lacp, link or bgp): "+err.Error())
		return
	}
	if spec.BGP != "" && spec.Side == sim.FaultSideCustomer && !h.customerRouter {
		writeError(w, http.StatusBadRequest, "the customer's side of BGP is your own router (dxsim serve --customer-router none): break it there; dxsim breaks only its own builtin router")
		return
	}
	out, err := f.SetFault(r.Context(), spec)
	if err != nil {
		writeSimError(w, err)
		return
	}
	h.log.Info("fault set", "fault", out.String())
	writeJSON(w, http.StatusOK, out)
}

// clearFaults: DELETE /dxsim/v1/faults[?target=ID&side=aws|customer&class=lacp|link|bgp].
func (h *Handler) clearFaults(w http.ResponseWriter, r *http.Request) {
	f, ok := h.faults()
	if !ok {
		writeError(w, http.StatusNotFound, "this server keeps no faults")
		return
	}
	q := r.URL.Query()
	out, err := f.ClearFaults(r.Context(), q.Get("target"), q.Get("side"), q.Get("class"))
	if err != nil {
		writeSimError(w, err)
		return
	}
	for _, c := range out {
		h.log.Info("fault cleared", "fault", c.String())
	}
	writeJSON(w, http.StatusOK, FaultList{Faults: nonNil(out)})
}

// writeSimError answers a control-plane error: 400 for the client's
// mistake, 500 for the server's own.
func writeSimError(w http.ResponseWriter, err error) {
	var e *sim.Error
	if errors.As(err, &e) && e.Code == sim.CodeClient {
		writeError(w, http.StatusBadRequest, e.Message)
		return
	}
	writeError(w, http.StatusInternalServerError, err.Error())
}

func nonNil(fs []sim.Fault) []sim.Fault {
	if fs == nil {
		return []sim.Fault{}
	}
	return fs
}
