package labctl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"syscall"
	"time"
)

// ErrNotRunning means no process serves the socket: there is no socket file,
// or nothing listens on it (a stale file left by a process that was killed).
var ErrNotRunning = errors.New("no `dxsim lab up` is running for this lab")

// ServerError is an answer other than success from a serving process.
type ServerError struct {
	PID    int
	Status int // the HTTP status
	Msg    string
}

func (e *ServerError) Error() string {
	return fmt.Sprintf("the `dxsim lab up` with pid %d answered %d: %s", e.PID, e.Status, e.Msg)
}

// Client asks the process serving a lab's socket. Its methods take a context
// that bounds the whole exchange.
type Client struct {
	path string
	hc   *http.Client
}

// NewClient returns a client of the socket at path. Nothing is dialled yet.
func NewClient(path string) *Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
		DisableKeepAlives: true, // one exchange per call; nothing left open
	}
	return &Client{path: path, hc: &http.Client{Transport: tr}}
}

// Path is the socket this client asks.
func (c *Client) Path() string { return c.path }

// Status asks for the serving process's Report. It returns an error wrapping
// ErrNotRunning when nobody serves the socket, a *ServerError when the
// process answered with a failure (as while it is stopping).
func (c *Client) Status(ctx context.Context) (Report, error) {
	var r Report
	err := c.do(ctx, http.MethodGet, "/status", &r)
	return r, err
}

// Stop asks the serving process to close its data plane and exit, and
// returns its pid. The process is still going when Stop returns; WaitGone
// waits for it.
func (c *Client) Stop(ctx context.Context) (pid int, err error) {
	var p Problem
	if err := c.do(ctx, http.MethodPost, "/stop", &p); err != nil {
		return 0, err
	}
	return p.PID, nil
}

// WaitGone polls the socket every interval until nobody serves it (the
// process removes it once its data plane is closed), or ctx ends.
func (c *Client) WaitGone(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		_, err := c.Status(ctx)
		if errors.Is(err, ErrNotRunning) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s still served: %w", c.path, context.Cause(ctx))
		case <-t.C:
		}
	}
}

func (c *Client) do(ctx context.Context, method, path string, into any) error {
	req, err := http.NewRequestWithContext(ctx, method, "http://lab"+path, http.NoBody)
	if err != nil {
		return err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if notListening(err) {
			return fmt.Errorf("%s: %w", c.path, ErrNotRunning)
		}
		return fmt.Errorf("asking %s: %w", c.path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("reading the answer on %s: %w", c.path, err)
	}
	if resp.StatusCode != http.StatusOK {
		var p Problem
		if err := json.Unmarshal(body, &p); err != nil {
			return fmt.Errorf("%s: answered %s, not as a `dxsim lab up` does: %q", c.path, resp.Status, bytes.TrimSpace(body))
		}
		return &ServerError{PID: p.PID, Status: resp.StatusCode, Msg: p.Error}
	}
	if err := json.Unmarshal(body, into); err != nil {
		return fmt.Errorf("%s: answered, not as a `dxsim lab up` does: %w", c.path, err)
	}
	return nil
}

// notListening reports whether a dial failed because there is no socket or
// nothing listens on it; a file left by a killed process refuses connections.
func notListening(err error) bool {
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "dial" {
		return false
	}
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED)
}
