package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/directconnect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
)

// terraformMirror is where the hashicorp/aws provider is installed on the
// machines that run this test (a filesystem mirror: no registry is reached).
const terraformMirror = "/opt/tf-plugins"

// terraform runs Terraform against a dxsim serve in a directory of its own.
type terraform struct {
	t   *testing.T
	bin string
	dir string
	env []string
}

func newTerraform(t *testing.T, addr string) *terraform {
	t.Helper()
	bin, err := exec.LookPath("terraform")
	if err != nil {
		t.Skip("terraform is not installed: the Terraform end-to-end test needs it and the hashicorp/aws provider in " + terraformMirror)
	}
	matches, _ := filepath.Glob(filepath.Join(terraformMirror, "registry.terraform.io/hashicorp/aws/*/linux_amd64"))
	if len(matches) == 0 {
		t.Skip("the hashicorp/aws provider is not in the filesystem mirror " + terraformMirror)
	}
	dir := t.TempDir()
	rc := filepath.Join(dir, "terraform.rc")
	require.NoError(t, os.WriteFile(rc, []byte(`provider_installation {
  filesystem_mirror {
    path    = "`+terraformMirror+`"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/aws"]
  }
}
`), 0o600))
	version := filepath.Base(filepath.Dir(matches[0]))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "provider.tf"), fmt.Appendf(nil, `terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = %q }
  }
}
provider "aws" {
  region                  = "us-east-1"
  access_key              = "AKIDLAB"
  secret_key              = "lab"
  skip_metadata_api_check = true
  endpoints {
    directconnect = "http://%s"
    sts           = "http://%s"
  }
}
`, version, addr, addr), 0o600))
	tf := &terraform{t: t, bin: bin, dir: dir, env: append(os.Environ(),
		"TF_CLI_CONFIG_FILE="+rc, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1", "TF_DATA_DIR="+filepath.Join(dir, ".terraform"),
		// Nothing but the endpoints above: no instance metadata, no shared config.
		"AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")}
	tf.run(0, "init", "-input=false", "-no-color")
	return tf
}

// config writes the configuration's resources.
func (tf *terraform) config(hcl string) {
	require.NoError(tf.t, os.WriteFile(filepath.Join(tf.dir, "main.tf"), []byte(hcl), 0o600))
}

// run runs terraform with args and requires the exit code want.
func (tf *terraform) run(want int, args ...string) string {
	tf.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, tf.bin, args...)
	cmd.Dir, cmd.Env = tf.dir, tf.env
	out, err := cmd.CombinedOutput()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else {
		require.NoError(tf.t, err, "terraform %s", strings.Join(args, " "))
	}
	require.Equal(tf.t, want, code, "terraform %s:\n%s", strings.Join(args, " "), out)
	return string(out)
}

// applyClean applies and checks that a second plan finds nothing to do.
func (tf *terraform) applyClean(what string) {
	tf.t.Helper()
	tf.run(0, "apply", "-auto-approve", "-input=false", "-no-color")
	out := tf.run(0, "plan", "-detailed-exitcode", "-input=false", "-no-color")
	assert.Contains(tf.t, out, "No changes.", "%s: a second plan", what)
}

const tfLAGAndConnection = `
resource "aws_dx_lag" "a" {
  name                  = "tf-lag-a"
  connections_bandwidth = "10Gbps"
  location              = "EqDC2"
  force_destroy         = true%s
}
resource "aws_dx_lag" "b" {
  name                  = "tf-lag-b"
  connections_bandwidth = "10Gbps"
  location              = "EqDC2"
  force_destroy         = true
}
resource "aws_dx_connection" "conn" {
  name      = "%s"
  bandwidth = "10Gbps"
  location  = "EqDC2"
}
resource "aws_dx_connection_association" "assoc" {
  connection_id = aws_dx_connection.conn.id
  lag_id        = aws_dx_lag.%s.id
}
resource "aws_dx_private_virtual_interface" "vif" {
  connection_id  = aws_dx_lag.a.id
  name           = "tf-vif"
  vlan           = 4094
  address_family = "ipv4"
  bgp_asn        = 65352
  vpn_gateway_id = "vgw-0123456789abcdef0"
}
resource "aws_dx_gateway" "gw" {
  name            = "tf-gw"
  amazon_side_asn = "64512"
}
resource "aws_dx_gateway_association" "tgw" {
  dx_gateway_id         = aws_dx_gateway.gw.id
  associated_gateway_id = "tgw-0123456789abcdef0"
  allowed_prefixes      = ["10.255.0.0/16", "10.254.0.0/16"]
}
resource "aws_dx_transit_virtual_interface" "tvif" {
  connection_id  = aws_dx_lag.a.id
  dx_gateway_id  = aws_dx_gateway.gw.id
  name           = "tf-tvif"
  vlan           = 4093
  address_family = "ipv4"
  bgp_asn        = 65352
}
resource "aws_dx_bgp_peer" "v6" {
  virtual_interface_id = aws_dx_private_virtual_interface.vif.id
  address_family       = "ipv6"
  bgp_asn              = 65352
}
resource "aws_dx_hosted_connection" "hc" {
  connection_id    = aws_dx_lag.a.id
  name             = "tf-hosted"
  bandwidth        = "100Mbps"
  owner_account_id = "123456789012"
  vlan             = 4000
}
resource "aws_dx_hosted_private_virtual_interface" "hvif" {
  connection_id    = aws_dx_lag.a.id
  name             = "tf-hvif"
  vlan             = 4001
  address_family   = "ipv4"
  bgp_asn          = 65353
  owner_account_id = "123456789012"
}
resource "aws_dx_hosted_private_virtual_interface_accepter" "acc" {
  virtual_interface_id = aws_dx_hosted_private_virtual_interface.hvif.id
  vpn_gateway_id       = "vgw-0123456789abcdef0"
}
`

// TestTerraformEndToEnd applies, as a network team would, the AWS provider's
// documented aws_dx_connection_association example with a private VIF on
// the LAG and an IPv6 BGP peer on it, a Direct Connect gateway associated
// with a transit gateway with a transit VIF, a hosted connection and a
// hosted private VIF with its accepter, through a real `dxsim serve`: apply, a second plan
// with nothing to do, tags and a rename, moving the connection to another
// LAG, and a clean destroy after which nothing is left but what AWS still
// describes as deleted.
func TestTerraformEndToEnd(t *testing.T) {
	addr, stop := startServe(t, serveConfig{listen: "127.0.0.1:0", state: t.TempDir(), dataplane: "none", auth: "none",
		region: "us-east-1", schedule: sim.DefaultSchedule(), logLevel: "warn"})
	defer stop()
	tf := newTerraform(t, addr)

	tf.config(fmt.Sprintf(tfLAGAndConnection, "", "tf-conn", "a"))
	tf.applyClean("the documented association")

	tf.config(fmt.Sprintf(tfLAGAndConnection, "\n  tags = { team = \"net\" }", "tf-conn-renamed", "a"))
	tf.applyClean("tags and a rename")

	tf.config(fmt.Sprintf(tfLAGAndConnection, "\n  tags = { team = \"net\" }", "tf-conn-renamed", "b"))
	tf.applyClean("moving the connection to another LAG")

	dx := dxClient(addr, "AKIDLAB", "lab")
	ctx := context.Background()
	lags, err := dx.DescribeLags(ctx, &directconnect.DescribeLagsInput{})
	require.NoError(t, err)
	var tagged, members int
	for _, l := range lags.Lags {
		if aws.ToString(l.LagName) == "tf-lag-a" && len(l.Tags) == 1 && aws.ToString(l.Tags[0].Key) == "team" {
			tagged++
		}
		if aws.ToString(l.LagName) == "tf-lag-b" {
			for _, c := range l.Connections {
				if aws.ToString(c.ConnectionName) == "tf-conn-renamed" {
					members++
				}
			}
		}
	}
	assert.Equal(t, 1, tagged, "LAG a carries the tag Terraform set")
	assert.Equal(t, 1, members, "the renamed connection is a member of LAG b")

	tf.run(0, "destroy", "-auto-approve", "-input=false", "-no-color")
	conns, err := dx.DescribeConnections(ctx, &directconnect.DescribeConnectionsInput{})
	require.NoError(t, err)
	for _, c := range conns.Connections {
		assert.Equal(t, "deleted", string(c.ConnectionState), "%s after destroy", aws.ToString(c.ConnectionId))
	}
	lags, err = dx.DescribeLags(ctx, &directconnect.DescribeLagsInput{})
	require.NoError(t, err)
	for _, l := range lags.Lags {
		assert.Equal(t, "deleted", string(l.LagState), "%s after destroy", aws.ToString(l.LagId))
	}
	gws, err := dx.DescribeDirectConnectGateways(ctx, &directconnect.DescribeDirectConnectGatewaysInput{})
	require.NoError(t, err)
	assert.Empty(t, gws.DirectConnectGateways, "gateways after destroy")
	vifs, err := dx.DescribeVirtualInterfaces(ctx, &directconnect.DescribeVirtualInterfacesInput{})
	require.NoError(t, err)
	assert.Len(t, vifs.VirtualInterfaces, 3, "the private, transit and hosted VIFs, still described")
	for _, v := range vifs.VirtualInterfaces {
		assert.Contains(t, []string{"deleting", "deleted"}, string(v.VirtualInterfaceState), "%s after destroy", aws.ToString(v.VirtualInterfaceId))
	}
}
