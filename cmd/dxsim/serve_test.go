package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/directconnect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
)

func startServe(t *testing.T, cfg serveConfig) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- runServe(ctx, cfg, io.Discard, func(a string) { addr <- a }) }()
	select {
	case a := <-addr:
		return a, func() {
			cancel()
			assert.NoError(t, <-done, "serve")
		}
	case err := <-done:
		cancel()
		require.FailNow(t, fmt.Sprintf("serve: %v", err))
	}
	return "", nil
}

func dxClient(addr, key, secret string) *directconnect.Client {
	return directconnect.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}, func(o *directconnect.Options) { o.BaseEndpoint = aws.String("http://" + addr) })
}

// TestServeRestart: a LAG created through `dxsim serve` is there after the
// server is stopped and started again on the same state directory.
func TestServeRestart(t *testing.T) {
	cfg := serveConfig{listen: "127.0.0.1:0", state: t.TempDir(), dataplane: "none", auth: "none", region: "us-east-1",
		schedule: sim.DefaultSchedule(), logLevel: "warn"}
	addr, stop := startServe(t, cfg)
	ctx := context.Background()
	lag, err := dxClient(addr, "any", "thing").CreateLag(ctx, &directconnect.CreateLagInput{
		Location: aws.String("EqDC2"), ConnectionsBandwidth: aws.String("10Gbps"), LagName: aws.String("l"), NumberOfConnections: 2})
	require.NoError(t, err)
	stop()
	addr, stop = startServe(t, cfg)
	defer stop()
	out, err := dxClient(addr, "other", "creds").DescribeLags(ctx, &directconnect.DescribeLagsInput{LagId: lag.LagId})
	require.NoError(t, err, "after restart")
	require.Len(t, out.Lags, 1, "after restart: %+v", out)
	require.Len(t, out.Lags[0].Connections, 2, "after restart: %+v", out)
}

func TestServeSigV4(t *testing.T) {
	dir := t.TempDir()
	creds := filepath.Join(dir, "creds.json")
	require.NoError(t, os.WriteFile(creds, []byte(`{"credentials":[{"accessKeyId":"AKIDA","secretAccessKey":"sa","account":"111111111111"}]}`), 0o600))
	cfg := serveConfig{listen: "127.0.0.1:0", state: dir, dataplane: "none", auth: "sigv4", credentials: creds, region: "us-east-1",
		schedule: sim.DefaultSchedule(), logLevel: "warn"}
	addr, stop := startServe(t, cfg)
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := dxClient(addr, "AKIDA", "sa").CreateConnection(ctx, &directconnect.CreateConnectionInput{
		Location: aws.String("EqDC2"), Bandwidth: aws.String("1Gbps"), ConnectionName: aws.String("c")})
	require.NoError(t, err, "signed create")
	require.Equal(t, "111111111111", aws.ToString(c.OwnerAccount), "signed create: %v", c)
	_, err = dxClient(addr, "AKIDA", "wrong").DescribeConnections(ctx, &directconnect.DescribeConnectionsInput{})
	require.Error(t, err, "a wrong secret was accepted")
}

func TestServeRefusesBadFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  serveConfig
	}{
		{"sigv4 without credentials", serveConfig{listen: "127.0.0.1:0", state: t.TempDir(), dataplane: "none", auth: "sigv4", region: "us-east-1", logLevel: "info"}},
		{"unknown auth", serveConfig{listen: "127.0.0.1:0", state: t.TempDir(), dataplane: "none", auth: "maybe", region: "us-east-1", logLevel: "info"}},
		{"unknown region", serveConfig{listen: "127.0.0.1:0", state: t.TempDir(), dataplane: "none", auth: "none", region: "mars-1", logLevel: "info"}},
		{"unknown dataplane", serveConfig{listen: "127.0.0.1:0", state: t.TempDir(), dataplane: "warp", auth: "none", region: "us-east-1", logLevel: "info"}},
		{"unknown customer router", serveConfig{listen: "127.0.0.1:0", state: t.TempDir(), dataplane: "none", auth: "none", region: "us-east-1", logLevel: "info", customerRouter: "bird"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Error(t, runServe(context.Background(), tc.cfg, io.Discard, nil), "%+v accepted", tc.cfg)
		})
	}
}
