package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	dx "github.com/aws/aws-sdk-go-v2/service/directconnect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/api"
)

var accounts = []api.Credential{
	{AccessKeyID: "AKIDALICE", SecretAccessKey: "alice-secret", Account: "111111111111"},
	{AccessKeyID: "AKIDBOB", SecretAccessKey: "bob-secret", Account: "222222222222"},
}

func withSigV4(now func() time.Time) envOpt {
	return func(_ *sim.Config, o *api.Options) { o.Auth = api.NewSigV4(accounts, "us-east-1", now) }
}

func TestSigV4Accounts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withSigV4(nil))
	alice, bob := client(e.srv.URL, "AKIDALICE", "alice-secret"), client(e.srv.URL, "AKIDBOB", "bob-secret")
	c, err := alice.CreateConnection(ctx, &dx.CreateConnectionInput{Location: aws.String("EqDC2"), Bandwidth: aws.String("10Gbps"), ConnectionName: aws.String("a")})
	require.NoError(t, err)
	assert.Equal(t, "111111111111", aws.ToString(c.OwnerAccount), "ownerAccount, want the caller's")
	id := aws.ToString(c.ConnectionId)
	_, err = bob.DescribeConnections(ctx, &dx.DescribeConnectionsInput{ConnectionId: aws.String(id)})
	assert.Equal(t, "Could not find Connection with ID "+id, apiMessage(err), "bob describing alice's connection: %v", err)
	_, err = bob.DeleteConnection(ctx, &dx.DeleteConnectionInput{ConnectionId: aws.String(id)})
	assert.Equal(t, "DirectConnectClientException", apiCode(err), "bob deleting alice's connection: %v", err)
	out, err := bob.DescribeConnections(ctx, &dx.DescribeConnectionsInput{})
	if assert.NoError(t, err, "bob's view") {
		assert.Empty(t, out.Connections, "bob sees")
	}
	out, err = alice.DescribeConnections(ctx, &dx.DescribeConnectionsInput{})
	if assert.NoError(t, err, "alice's view") {
		assert.Len(t, out.Connections, 1, "alice sees")
	}
}

func TestSigV4Refusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withSigV4(nil))
	for _, tc := range []struct {
		name, key, secret, code string
	}{
		{"wrong secret", "AKIDALICE", "not-alices-secret", "InvalidSignatureException"},
		{"unknown key", "AKIDMALLORY", "x", "UnrecognizedClientException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := client(e.srv.URL, tc.key, tc.secret).DescribeConnections(ctx, &dx.DescribeConnectionsInput{})
			assert.Equal(t, tc.code, apiCode(err), "%v", err)
			var re interface{ HTTPStatusCode() int }
			if asAny(err, &re) {
				assert.Equal(t, 403, re.HTTPStatusCode(), "status")
			}
		})
	}
	r := post(t, e.srv.URL, http.MethodPost, op+"DescribeConnections", `{}`)
	assert.Equal(t, 403, r.status, "unsigned: status")
	assert.Equal(t, "MissingAuthenticationTokenException", r.errType, "unsigned: error type")

	// A body changed after signing no longer matches its signature.
	signed := func(body string, when time.Time) *http.Request {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", op+"DeleteConnection")
		sum := sha256hex(body)
		require.NoError(t, v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: "AKIDALICE", SecretAccessKey: "alice-secret"}, req, sum, "directconnect", "us-east-1", when))
		return req
	}
	req := signed(`{"connectionId":"dxcon-aaaaaaaa"}`, time.Now())
	req.Body = ioNopCloser(`{"connectionId":"dxcon-bbbbbbbb"}`)
	status, code := do(t, req)
	assert.Equal(t, 403, status, "tampered body: status")
	assert.Equal(t, "InvalidSignatureException", code, "tampered body: error type")
	req = signed(`{"connectionId":"dxcon-aaaaaaaa"}`, time.Now().Add(-time.Hour))
	status, code = do(t, req)
	assert.Equal(t, 403, status, "hour-old signature: status")
	assert.Equal(t, "InvalidSignatureException", code, "hour-old signature: error type")
	req = signed(`{"connectionId":"dxcon-aaaaaaaa"}`, time.Now())
	status, code = do(t, req)
	assert.Equal(t, 400, status, "correctly signed raw request: status, want the operation's own answer")
	assert.Equal(t, "DirectConnectClientException", code, "correctly signed raw request: error type, want the operation's own answer")
}
