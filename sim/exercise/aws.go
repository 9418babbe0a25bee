package exercise

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// AWS calls Direct Connect API operations by name with their JSON
// requests, as the AWS JSON 1.1 protocol has them, signed with SigV4 (so a
// serve with --auth sigv4 takes them too).
type AWS struct {
	Endpoint string
	Region   string
	Creds    aws.Credentials
	HTTP     *http.Client
}

// APIError is the API's refusal: its AWS error type and message.
type APIError struct {
	Op      string
	Status  int
	Type    string
	Message string
}

func (e *APIError) Error() string { return fmt.Sprintf("%s: %s: %s", e.Op, e.Type, e.Message) }

// Call calls op with input (a JSON object; nil for {}) and returns its
// answer.
func (a *AWS) Call(ctx context.Context, op string, input []byte) (json.RawMessage, error) {
	if len(input) == 0 {
		input = []byte("{}")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(a.Endpoint, "/")+"/", bytes.NewReader(input))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "OvertureService."+op)
	sum := sha256.Sum256(input)
	if err := v4.NewSigner().SignHTTP(ctx, a.Creds, req, hex.EncodeToString(sum[:]), "directconnect", a.Region, time.Now()); err != nil {
		return nil, fmt.Errorf("%s: signing: %w", op, err)
	}
	c := a.HTTP
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
			Msg     string `json:"Message"`
		}
		_ = json.Unmarshal(raw, &e)
		if i := strings.LastIndexByte(e.Type, '#'); i >= 0 {
			e.Type = e.Type[i+1:]
		}
		return nil, &APIError{Op: op, Status: resp.StatusCode, Type: e.Type, Message: e.Message + e.Msg}
	}
	return raw, nil
}

// call calls op with a Go value as its request and decodes its answer into
// out (when not nil).
func (a *AWS) call(ctx context.Context, op string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	raw, err := a.Call(ctx, op, body)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s: decoding the answer: %w", op, err)
	}
	return nil
}

// The parts of the API's shapes the checks read.
type (
	connection struct {
		ConnectionID    string `json:"connectionId"`
		ConnectionState string `json:"connectionState"`
		LagID           string `json:"lagId"`
	}
	lagShape struct {
		LagID        string       `json:"lagId"`
		LagState     string       `json:"lagState"`
		MinimumLinks int          `json:"minimumLinks"`
		Connections  []connection `json:"connections"`
	}
	bgpPeer struct {
		BgpPeerID string `json:"bgpPeerId"`
		BgpStatus string `json:"bgpStatus"`
	}
	vif struct {
		VirtualInterfaceID     string    `json:"virtualInterfaceId"`
		VirtualInterfaceState  string    `json:"virtualInterfaceState"`
		ConnectionID           string    `json:"connectionId"`
		VLAN                   int       `json:"vlan"`
		DirectConnectGatewayID string    `json:"directConnectGatewayId"`
		BgpPeers               []bgpPeer `json:"bgpPeers"`
	}
)

func (a *AWS) connections(ctx context.Context, id string) ([]connection, error) {
	var out struct {
		Connections []connection `json:"connections"`
	}
	in := map[string]string{}
	if id != "" {
		in["connectionId"] = id
	}
	err := a.call(ctx, "DescribeConnections", in, &out)
	return out.Connections, err
}

func (a *AWS) lag(ctx context.Context, id string) (*lagShape, error) {
	var out struct {
		Lags []lagShape `json:"lags"`
	}
	if err := a.call(ctx, "DescribeLags", map[string]string{"lagId": id}, &out); err != nil {
		return nil, err
	}
	if len(out.Lags) != 1 {
		return nil, fmt.Errorf("LAG %s is not described", id)
	}
	return &out.Lags[0], nil
}

func (a *AWS) vifs(ctx context.Context, connectionID string) ([]vif, error) {
	var out struct {
		VirtualInterfaces []vif `json:"virtualInterfaces"`
	}
	in := map[string]string{}
	if connectionID != "" {
		in["connectionId"] = connectionID
	}
	err := a.call(ctx, "DescribeVirtualInterfaces", in, &out)
	return out.VirtualInterfaces, err
}
