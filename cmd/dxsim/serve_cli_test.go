package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
)

// TestServeWithAWSCLI drives `dxsim serve` with the aws CLI, when it is
// installed (Debian's awscli): the CLI's own request building, signing and
// response parsing must accept what dxsim answers.
func TestServeWithAWSCLI(t *testing.T) {
	awsCLI, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the aws CLI is not installed (apt-get install awscli)")
	}
	dir := t.TempDir()
	addr, stop := startServe(t, serveConfig{listen: "127.0.0.1:0", state: dir, dataplane: "none", auth: "none",
		region: "us-east-1", schedule: sim.DefaultSchedule(), logLevel: "warn"})
	defer stop()
	run := func(args ...string) (map[string]any, string) {
		t.Helper()
		cmd := exec.Command(awsCLI, append(append([]string{"directconnect"}, args...), "--endpoint-url", "http://"+addr, "--output", "json")...)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=AKIDLAB", "AWS_SECRET_ACCESS_KEY=lab", "AWS_DEFAULT_REGION=us-east-1",
			"AWS_PAGER=", "AWS_CONFIG_FILE="+filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "none"))
		out, err := cmd.Output()
		if err != nil {
			var stderr string
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			return nil, stderr
		}
		var v map[string]any
		require.NoError(t, json.Unmarshal(out, &v), "aws %v: output is not JSON: %s", args, out)
		return v, ""
	}
	lag, errOut := run("create-lag", "--location", "EqDC2", "--number-of-connections", "2", "--connections-bandwidth", "10Gbps", "--lag-name", "cli")
	require.Empty(t, errOut, "create-lag")
	conns, _ := lag["connections"].([]any)
	lagID, _ := lag["lagId"].(string)
	require.True(t, sim.ValidID(sim.PrefixLAG, lagID), "create-lag: LAG ID %q: %v", lagID, lag)
	require.Len(t, conns, 2, "create-lag: %v", lag)
	require.Equal(t, "pending", lag["lagState"], "create-lag: %v", lag)
	described, errOut := run("describe-lags", "--lag-id", lagID)
	require.Empty(t, errOut, "describe-lags: %v", described)
	lags, _ := described["lags"].([]any)
	require.Len(t, lags, 1, "describe-lags: %v", described)
	_, errOut = run("describe-connections", "--connection-id", "dxcon-zzzzzzzz")
	assert.NotEmpty(t, errOut, "unknown connection")
	assert.Contains(t, errOut, "DirectConnectClientException", "unknown connection")
	assert.Contains(t, errOut, "Could not find Connection with ID dxcon-zzzzzzzz", "unknown connection")
}
