package labctl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// answerTimeout bounds asking a socket found at start whether someone serves
// it, and shutting the server down.
const answerTimeout = 5 * time.Second

// StatusFunc reports what the serving process sees; the server fills in the
// pid.
type StatusFunc func(context.Context) (Report, error)

// RunningError means another process already serves the lab's socket.
type RunningError struct {
	Path string
	PID  int
	Msg  string // what it answered when not a status, as while stopping
}

func (e *RunningError) Error() string {
	s := fmt.Sprintf("a `dxsim lab up` of this lab is already running (pid %d, serving %s)", e.PID, e.Path)
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	return s
}

// Server serves a lab's socket. Close removes it.
type Server struct {
	path   string
	pid    int
	status StatusFunc
	log    *slog.Logger
	srv    *http.Server
	served chan struct{} // closed when the HTTP server has returned

	stopOnce  sync.Once
	stopping  chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// Listen claims the socket at path and serves on it until Close. It makes
// the socket's directory (0700) if need be and the socket 0600. When the
// path exists: if a process answers there, Listen fails with a
// *RunningError naming it; if nothing listens (a file left by a process that
// was killed), it replaces the file. Anything else at path is left alone and
// is an error.
func Listen(ctx context.Context, path string, status StatusFunc, log *slog.Logger) (*Server, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("making the lab socket directory: %w", err)
	}
	// Two processes starting at once must not both find a stale file,
	// remove it and listen: the check and the bind happen under a lock.
	unlock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	ln, err := claim(ctx, path, log)
	unlock()
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("restricting %s: %w", path, err)
	}
	s := &Server{
		path:     path,
		pid:      os.Getpid(),
		status:   status,
		log:      log,
		served:   make(chan struct{}),
		stopping: make(chan struct{}),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /status", s.handleStatus)
	mux.HandleFunc("POST /stop", s.handleStop)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: answerTimeout}
	go func() {
		defer close(s.served)
		if err := s.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Warn("lab socket stopped serving", "path", path, "err", err)
		}
	}()
	return s, nil
}

// claim checks what is at path and listens there. The directory is locked.
func claim(ctx context.Context, path string, log *slog.Logger) (net.Listener, error) {
	stale, err := check(ctx, path)
	if err != nil {
		return nil, err
	}
	if stale {
		if err := removeStale(path); err != nil {
			return nil, err
		}
		log.Info("replaced a stale lab socket: nothing listened on it", "path", path)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "unix", path)
	if err != nil {
		return nil, fmt.Errorf("serving the lab's status: %w", err)
	}
	return ln, nil
}

// check says what is at path: nothing (false), a socket nobody serves
// (true: stale, left by a process that was killed), or, as an error, a
// process serving it (*RunningError) or something else.
func check(ctx context.Context, path string) (stale bool, err error) {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("checking the lab socket: %w", err)
	case fi.Mode().Type() != fs.ModeSocket:
		return false, fmt.Errorf("%s exists and is not a socket (%s); remove it yourself if it is not needed", path, fi.Mode().Type())
	}
	ctx, cancel := context.WithTimeout(ctx, answerTimeout)
	r, err := NewClient(path).Status(ctx)
	cancel()
	var se *ServerError
	switch {
	case err == nil:
		return false, &RunningError{Path: path, PID: r.PID}
	case errors.As(err, &se):
		return false, &RunningError{Path: path, PID: se.PID, Msg: se.Msg}
	case !errors.Is(err, ErrNotRunning):
		return false, fmt.Errorf("something listens on %s but does not answer as a `dxsim lab up`: %w", path, err)
	}
	return true, nil
}

func removeStale(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing the stale lab socket: %w", err)
	}
	return nil
}

// RemoveStale removes the socket at path if nobody serves it: a file left
// by a `lab up` that was killed. It checks and removes under the lock Listen
// claims the socket under, so a `lab up` starting meanwhile keeps its own.
// It reports whether it removed one; no file, or a socket a process serves,
// is left alone without an error, anything else at path with one.
func RemoveStale(ctx context.Context, path string) (bool, error) {
	unlock, err := lockDir(filepath.Dir(path))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil // no directory: no socket
	}
	if err != nil {
		return false, err
	}
	defer unlock()
	stale, err := check(ctx, path)
	var running *RunningError
	if errors.As(err, &running) {
		return false, nil
	}
	if err != nil || !stale {
		return false, err
	}
	return true, removeStale(path)
}

// Path is the socket served.
func (s *Server) Path() string { return s.path }

// StopRequested is closed when a client has asked this process to stop.
func (s *Server) StopRequested() <-chan struct{} { return s.stopping }

// Stop makes later status requests answer 503 (stopping), as a request to
// stop does. The socket stays until Close, so that a client waiting for the
// process to go sees it go only once Close is called, after the data plane
// is closed.
func (s *Server) Stop() { s.stopOnce.Do(func() { close(s.stopping) }) }

// Close stops serving, waits for requests in flight and removes the socket.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.Stop()
		ctx, cancel := context.WithTimeout(context.Background(), answerTimeout)
		defer cancel()
		if err := s.srv.Shutdown(ctx); err != nil {
			s.closeErr = fmt.Errorf("closing %s: %w", s.path, errors.Join(err, s.srv.Close()))
		}
		<-s.served
	})
	return s.closeErr
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	select {
	case <-s.stopping:
		s.write(w, http.StatusServiceUnavailable, Problem{PID: s.pid, Error: "stopping"})
		return
	default:
	}
	rep, err := s.status(r.Context())
	if err != nil {
		s.write(w, http.StatusInternalServerError, Problem{PID: s.pid, Error: err.Error()})
		return
	}
	rep.PID = s.pid
	s.write(w, http.StatusOK, rep)
}

func (s *Server) handleStop(w http.ResponseWriter, _ *http.Request) {
	s.log.Info("asked to stop over the lab socket", "path", s.path)
	s.Stop()
	s.write(w, http.StatusOK, Problem{PID: s.pid})
}

func (s *Server) write(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		s.log.Debug("writing a lab socket answer", "err", err)
	}
}
