package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/dxsim/dxsim/sim"
)

// TargetPrefix is the X-Amz-Target prefix of the Direct Connect API.
const TargetPrefix = "OvertureService."

// DefaultMaxBody is the largest request body served; Direct Connect requests
// are small, so anything bigger is a client mistake.
const DefaultMaxBody = 1 << 20

// DefaultAccount is the lab account every caller maps to without --auth sigv4.
const DefaultAccount = "123456789012"

// Authenticator decides which account a request speaks for. service is the
// signing name the request must be scoped to (SigningName, or
// STSSigningName for STS). It returns a *ProtocolError (403) when the
// request is not properly signed.
type Authenticator interface {
	Authenticate(r *http.Request, body []byte, service string) (account string, err error)
}

// AnyCredentials maps every request, signed or not, to one account.
type AnyCredentials struct{ Account string }

// Authenticate returns the configured account.
func (a AnyCredentials) Authenticate(*http.Request, []byte, string) (string, error) {
	return a.Account, nil
}

// Options configure a Handler.
type Options struct {
	Auth    Authenticator // default AnyCredentials{DefaultAccount}
	MaxBody int64         // default DefaultMaxBody
	Log     *slog.Logger
}

// Handler serves the Direct Connect API, and STS's GetCallerIdentity beside
// it (a form body without X-Amz-Target). It is an http.Handler for POST /;
// other code may mount it beside its own paths.
type Handler struct {
	svc   *sim.Service
	auth  Authenticator
	max   int64
	log   *slog.Logger
	table map[string]handlerFunc
}

var _ http.Handler = (*Handler)(nil)

// NewHandler returns a Handler serving svc.
func NewHandler(svc *sim.Service, opts Options) *Handler {
	h := &Handler{svc: svc, auth: opts.Auth, max: opts.MaxBody, log: opts.Log}
	if h.auth == nil {
		h.auth = AnyCredentials{Account: DefaultAccount}
	}
	if h.max <= 0 {
		h.max = DefaultMaxBody
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	o := &ops{svc: svc, conns: newConnCache()}
	h.table = operationTable(o)
	o.listConnections(h.table)
	return h
}

type accountKey struct{}

func accountFrom(ctx context.Context) string {
	a, _ := ctx.Value(accountKey{}).(string)
	return a
}

// ServeHTTP decodes one AWS JSON 1.1 request, runs it and writes the
// response or the AWS-shaped error; an STS Query request goes to STS.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := requestID()
	w.Header().Set("x-amzn-RequestId", reqID)
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), TargetPrefix)
	defer func() {
		if p := recover(); p != nil {
			h.log.Error("handler panic", "op", op, "request", reqID, "panic", p, "stack", string(debug.Stack()))
			h.writeError(w, &sim.Error{Code: sim.CodeServer, Message: "An internal error occurred."})
		}
	}()
	if isQuery(r) {
		h.serveSTS(w, r, reqID)
		return
	}
	if r.Method != http.MethodPost {
		h.writeError(w, &ProtocolError{Code: "UnknownOperationException", Status: http.StatusMethodNotAllowed,
			Message: fmt.Sprintf("Method %s is not supported; the Direct Connect API is POST /", r.Method)})
		return
	}
	body, err := h.readBody(w, r)
	if err != nil {
		h.writeError(w, err)
		return
	}
	account, err := h.auth.Authenticate(r, body, SigningName)
	if err != nil {
		h.writeError(w, err)
		return
	}
	handle, ok := h.table[op]
	if !ok || !strings.HasPrefix(r.Header.Get("X-Amz-Target"), TargetPrefix) {
		h.writeError(w, &ProtocolError{Code: "UnknownOperationException", Status: http.StatusBadRequest,
			Message: fmt.Sprintf("Operation %q is not supported", r.Header.Get("X-Amz-Target"))})
		return
	}
	// A request that was accepted runs to completion even if its client
	// hangs up: its state is committed before its data-plane calls, which
	// must not stop half-way.
	ctx := context.WithValue(context.WithoutCancel(r.Context()), accountKey{}, account)
	out, err := handle(ctx, body)
	if err != nil {
		h.logError(op, reqID, err)
		h.writeError(w, err)
		return
	}
	h.writeJSON(w, http.StatusOK, out)
}

// readBody reads a request body of at most h.max bytes. A body that does
// not arrive before the connection's read deadline is a 408, as AWS's front
// ends answer a client too slow to send its request.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.max))
	var tooBig *http.MaxBytesError
	switch {
	case err == nil:
		return body, nil
	case errors.As(err, &tooBig):
		return nil, &ProtocolError{Code: "SerializationException", Status: http.StatusRequestEntityTooLarge,
			Message: fmt.Sprintf("Request body exceeds %d bytes", h.max)}
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil, &ProtocolError{Code: "RequestTimeoutException", Status: http.StatusRequestTimeout,
			Message: "The request body was not received in time."}
	default:
		return nil, serialization("Reading the request body: %v", err)
	}
}

func (h *Handler) logError(op, reqID string, err error) {
	var apiErr *sim.Error
	if errors.As(err, &apiErr) && apiErr.Code == sim.CodeServer {
		h.log.Error("request failed", "op", op, "request", reqID, "err", err, "cause", apiErr.Err)
		return
	}
	h.log.Debug("request refused", "op", op, "request", reqID, "err", err)
}

type errorBody struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
}

// writeError writes err as AWS does: the code in __type and X-Amzn-ErrorType,
// HTTP 400 for client mistakes and 500 only for the server's own faults.
func (h *Handler) writeError(w http.ResponseWriter, err error) {
	code, msg, status := sim.CodeServer, "An internal error occurred.", http.StatusInternalServerError
	var apiErr *sim.Error
	var protoErr *ProtocolError
	switch {
	case errors.As(err, &protoErr):
		code, msg, status = protoErr.Code, protoErr.Message, protoErr.Status
	case errors.As(err, &apiErr):
		code, msg = apiErr.Code, apiErr.Message
		if apiErr.Code != sim.CodeServer {
			status = http.StatusBadRequest
		}
	default:
		h.log.Error("unclassified error", "err", err)
	}
	w.Header().Set("X-Amzn-ErrorType", code)
	h.writeJSON(w, status, errorBody{Type: code, Message: msg})
}

// responseBuffers keeps response buffers between requests, so that a large
// response (1,000 connections is about 600 KB) is not grown afresh each time.
var responseBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// maxPooledBuffer bounds what a buffer may keep once returned to the pool.
const maxPooledBuffer = 4 << 20

func (h *Handler) writeJSON(w http.ResponseWriter, status int, v any) {
	var b []byte
	var err error
	if a, ok := v.(jsonAppender); ok {
		// A shape: its generated encoder, into a pooled buffer.
		bp := responseBuffers.Get().(*[]byte)
		b = a.appendJSON((*bp)[:0])
		defer func() {
			if cap(b) <= maxPooledBuffer {
				*bp = b[:0]
				responseBuffers.Put(bp)
			}
		}()
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil {
		h.log.Error("encoding response", "err", err)
		status = http.StatusInternalServerError
		w.Header().Set("X-Amzn-ErrorType", sim.CodeServer)
		b = []byte(`{"__type":"DirectConnectServerException","message":"An internal error occurred."}`)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("Content-Length", fmt.Sprint(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func requestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	s := hex.EncodeToString(b[:])
	return s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:32]
}
