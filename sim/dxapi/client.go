package dxapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/dxsim/dxsim/sim"
)

// Client is a client of dxsim's own API on a running `dxsim serve`.
type Client struct {
	base string
	http *http.Client
}

// NewClient returns a client of the server at endpoint
// ("http://127.0.0.1:8080").
func NewClient(endpoint string) *Client {
	return &Client{base: strings.TrimSuffix(endpoint, "/") + Prefix, http: http.DefaultClient}
}

// APIError is an answer other than 200: the server's status and message.
type APIError struct {
	Status  int
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, http.StatusText(e.Status), e.Message)
}

// SetFault sets a training fault.
func (c *Client) SetFault(ctx context.Context, spec sim.FaultSpec) (*sim.Fault, error) {
	body, err := json.Marshal(spec)
	if err != nil {
		return nil, err
	}
	var out sim.Fault
	if err := c.do(ctx, http.MethodPost, "faults", bytes.NewReader(body), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ClearFaults clears the faults on target ("" for every object), of one
// side and class when given, and returns those cleared.
func (c *Client) ClearFaults(ctx context.Context, target, side, class string) ([]sim.Fault, error) {
	q := url.Values{}
	for k, v := range map[string]string{"target": target, "side": side, "class": class} {
		if v != "" {
			q.Set(k, v)
		}
	}
	var out FaultList
	err := c.do(ctx, http.MethodDelete, "faults?"+q.Encode(), nil, &out)
	return out.Faults, err
}

// Faults lists the faults set.
func (c *Client) Faults(ctx context.Context) ([]sim.Fault, error) {
	var out FaultList
	err := c.do(ctx, http.MethodGet, "faults", nil, &out)
	return out.Faults, err
}

func (c *Client) do(ctx context.Context, method, path string, body io.Reader, into any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e errorBody
		if json.Unmarshal(raw, &e) != nil || e.Message == "" {
			e.Message = strings.TrimSpace(string(raw))
		}
		return &APIError{Status: resp.StatusCode, Message: e.Message}
	}
	if err := json.Unmarshal(raw, into); err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	return nil
}
