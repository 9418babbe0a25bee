package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/directconnect"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/api"
	"github.com/dxsim/dxsim/sim/simtest"
)

var testSchedule = sim.Schedule{Requested: time.Second, Pending: time.Second, Associate: 5 * time.Second, Confirm: time.Second}

type env struct {
	t     testing.TB
	svc   *sim.Service
	clock *simtest.Clock
	srv   *httptest.Server
	dx    *directconnect.Client
}

type envOpt func(*sim.Config, *api.Options)

// newEnv runs a control plane behind a real HTTP server and returns the Go
// SDK's Direct Connect client pointed at it.
func newEnv(t testing.TB, opts ...envOpt) *env {
	t.Helper()
	clock := simtest.NewClock()
	cfg := sim.Config{Clock: clock, Schedule: &testSchedule}
	var aopts api.Options
	for _, o := range opts {
		o(&cfg, &aopts)
	}
	svc, err := sim.New(cfg)
	require.NoError(t, err)
	srv := httptest.NewServer(api.NewHandler(svc, aopts))
	t.Cleanup(func() {
		srv.Close()
		svc.Close()
	})
	return &env{t: t, svc: svc, clock: clock, srv: srv, dx: client(srv.URL, "AKIDLAB", "lab-secret")}
}

func client(url, key, secret string) *directconnect.Client {
	return directconnect.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}, func(o *directconnect.Options) { o.BaseEndpoint = aws.String(url) })
}

// apiCode returns the AWS error code of an SDK error, or "" for nil.
func apiCode(err error) string {
	if err == nil {
		return ""
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return "not an API error: " + err.Error()
}

func apiMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return ""
}

var ctx = context.Background()

// describeAll renders everything the account can see, for comparing states.
func describeAll(t testing.TB, e *env) string {
	t.Helper()
	conns, err := e.dx.DescribeConnections(ctx, &directconnect.DescribeConnectionsInput{})
	require.NoError(t, err)
	lags, err := e.dx.DescribeLags(ctx, &directconnect.DescribeLagsInput{})
	require.NoError(t, err)
	vifs, err := e.dx.DescribeVirtualInterfaces(ctx, &directconnect.DescribeVirtualInterfacesInput{})
	require.NoError(t, err)
	ics, err := e.dx.DescribeInterconnects(ctx, &directconnect.DescribeInterconnectsInput{})
	require.NoError(t, err)
	b, err := json.Marshal([]any{conns.Connections, lags.Lags, vifs.VirtualInterfaces, ics.Interconnects})
	require.NoError(t, err)
	return string(b)
}

func asAny(err error, target any) bool { return errors.As(err, target) }

func sha256hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func ioNopCloser(s string) io.ReadCloser { return io.NopCloser(strings.NewReader(s)) }

// do sends a request and returns its status and AWS error type.
func do(t testing.TB, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType")
}
