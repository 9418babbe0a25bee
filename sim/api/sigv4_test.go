package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	dx "github.com/aws/aws-sdk-go-v2/service/directconnect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/api"
)

var accounts = []api.Credential{
	{AccessKeyID: "AKIDALICE", SecretAccessKey: "alice-secret", Account: "111111111111"},
	{AccessKeyID: "AKIDBOB", SecretAccessKey: "bob-secret", Account: "222222222222"},
	{AccessKeyID: "ASIATEMP", SecretAccessKey: "temp-secret", SessionToken: "temp-token", Account: "333333333333"},
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

// signedRequest is a Direct Connect request signed with the SDK's signer
// over host, x-amz-date and, when signTarget is set, x-amz-target (added
// after signing otherwise), as a client that signs the least would.
func signedRequest(t *testing.T, url, target, body string, creds aws.Credentials, signTarget bool, when time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	if signTarget {
		req.Header.Set("X-Amz-Target", op+target)
	}
	req.ContentLength = 0 // the signer signs a known length
	require.NoError(t, v4.NewSigner().SignHTTP(ctx, creds, req, sha256hex(body), api.SigningName, "us-east-1", when))
	req.ContentLength = int64(len(body))
	req.Header.Set("X-Amz-Target", op+target)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	return req
}

// send sends a raw request and reads the AWS JSON answer.
func send(t *testing.T, req *http.Request) rawResponse {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	out := rawResponse{status: resp.StatusCode, errType: resp.Header.Get("X-Amzn-ErrorType")}
	require.NoError(t, json.Unmarshal(raw, &out.body), "response is not JSON: %q", raw)
	return out
}

// TestSigV4ReplayRetargeted: a DescribeConnections signed over host and
// x-amz-date only, captured and replayed as DeleteConnection (the body is
// the same, so its hash still matches), is refused and deletes nothing.
func TestSigV4ReplayRetargeted(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withSigV4(nil))
	alice := client(e.srv.URL, "AKIDALICE", "alice-secret")
	c, err := alice.CreateConnection(ctx, &dx.CreateConnectionInput{Location: aws.String("EqDC2"), Bandwidth: aws.String("10Gbps"), ConnectionName: aws.String("keep")})
	require.NoError(t, err)
	id := aws.ToString(c.ConnectionId)
	state := func() string {
		out, err := alice.DescribeConnections(ctx, &dx.DescribeConnectionsInput{})
		require.NoError(t, err)
		b, err := json.Marshal(out.Connections)
		require.NoError(t, err)
		return string(b)
	}
	before := state()

	body := `{"connectionId":"` + id + `"}`
	creds := aws.Credentials{AccessKeyID: "AKIDALICE", SecretAccessKey: "alice-secret"}
	captured := signedRequest(t, e.srv.URL, "DescribeConnections", body, creds, false, time.Now())
	require.Contains(t, captured.Header.Get("Authorization"), "SignedHeaders=host;x-amz-date,", "the capture is signed over host and x-amz-date only")
	replay := captured.Clone(ctx)
	replay.Body = ioNopCloser(body)
	replay.Header.Set("X-Amz-Target", op+"DeleteConnection")

	for name, req := range map[string]*http.Request{"as captured": captured, "replayed as DeleteConnection": replay} {
		r := send(t, req)
		assert.Equal(t, 403, r.status, "%s: status; body %v", name, r.body)
		assert.Equal(t, "InvalidSignatureException", r.errType, "%s: error type", name)
		assert.Equal(t, "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.", r.body["message"], "%s: message", name)
	}
	assert.Equal(t, before, state(), "state changed by a refused replay")
	out, err := alice.DescribeConnections(ctx, &dx.DescribeConnectionsInput{ConnectionId: aws.String(id)})
	require.NoError(t, err)
	require.Len(t, out.Connections, 1)
	assert.NotEqual(t, "deleted", string(out.Connections[0].ConnectionState), "the connection after the replay")

	// Signed over the target too, the same request is answered.
	r := send(t, signedRequest(t, e.srv.URL, "DescribeConnections", body, creds, true, time.Now()))
	assert.Equal(t, 200, r.status, "signed over its target: body %v", r.body)
}

// TestSigV4Coverage: every refusal of a signature that does not cover what
// it must, or of a session token that does not belong to the key, has the
// code, status and message AWS answers.
func TestSigV4Coverage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withSigV4(nil))
	body := `{}`
	alice := aws.Credentials{AccessKeyID: "AKIDALICE", SecretAccessKey: "alice-secret"}
	temp := aws.Credentials{AccessKeyID: "ASIATEMP", SecretAccessKey: "temp-secret", SessionToken: "temp-token"}
	withToken := func(c aws.Credentials, token string) aws.Credentials { c.SessionToken = token; return c }
	signed := func(c aws.Credentials) func(*testing.T) *http.Request {
		return func(t *testing.T) *http.Request {
			return signedRequest(t, e.srv.URL, "DescribeConnections", body, c, true, time.Now())
		}
	}
	// after signs c's request, then changes it with edit.
	after := func(c aws.Credentials, edit func(*http.Request)) func(*testing.T) *http.Request {
		return func(t *testing.T) *http.Request {
			req := signed(c)(t)
			edit(req)
			return req
		}
	}
	dropSigned := func(h string) func(*http.Request) {
		return func(req *http.Request) {
			a := req.Header.Get("Authorization")
			req.Header.Set("Authorization", strings.Replace(strings.Replace(a, ";"+h+";", ";", 1), "="+h+";", "=", 1))
		}
	}
	const sigHeader = "must be a 'SignedHeader' in the AWS Authorization."
	for _, tc := range []struct {
		name    string
		req     func(*testing.T) *http.Request
		status  int
		code    string
		message string
	}{
		{"all signed", signed(alice), 200, "", ""},
		{"session token signed", signed(temp), 200, "", ""},
		{"host not signed", after(alice, dropSigned("host")), 403, "InvalidSignatureException", "'Host' " + sigHeader},
		{"x-amz-date not signed", after(alice, dropSigned("x-amz-date")), 403, "InvalidSignatureException", "'X-Amz-Date' " + sigHeader},
		{"x-amz-content-sha256 added after signing", after(alice, func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", sha256hex(body)) }),
			403, "InvalidSignatureException", "'X-Amz-Content-Sha256' " + sigHeader},
		{"x-amz-target not signed", func(t *testing.T) *http.Request {
			return signedRequest(t, e.srv.URL, "DescribeConnections", body, alice, false, time.Now())
		}, 403, "InvalidSignatureException", "'X-Amz-Target' " + sigHeader},
		{"token missing for a key that has one", signed(withToken(temp, "")), 403, "UnrecognizedClientException", "The security token included in the request is invalid."},
		{"wrong token, correctly signed", signed(withToken(temp, "not-the-token")), 403, "UnrecognizedClientException", "The security token included in the request is invalid."},
		{"token on a key that has none", signed(withToken(alice, "temp-token")), 403, "UnrecognizedClientException", "The security token included in the request is invalid."},
		{"token added after signing", after(withToken(temp, ""), func(r *http.Request) { r.Header.Set("X-Amz-Security-Token", "temp-token") }),
			403, "UnrecognizedClientException", "The security token included in the request is invalid."},
		// Without the secret, a guessed token learns nothing: the signature
		// fails first.
		{"wrong token, wrong secret", signed(aws.Credentials{AccessKeyID: "ASIATEMP", SecretAccessKey: "guess", SessionToken: "guess"}), 403, "InvalidSignatureException", mismatchMessage},
		{"right token, wrong secret", signed(aws.Credentials{AccessKeyID: "ASIATEMP", SecretAccessKey: "guess", SessionToken: "temp-token"}), 403, "InvalidSignatureException", mismatchMessage},
		{"token changed after signing", after(temp, func(r *http.Request) { r.Header.Set("X-Amz-Security-Token", "other-token") }), 403, "InvalidSignatureException", mismatchMessage},
		{"signed for STS", func(t *testing.T) *http.Request {
			req := signed(alice)(t)
			require.NoError(t, v4.NewSigner().SignHTTP(ctx, alice, req, sha256hex(body), api.STSSigningName, "us-east-1", time.Now()))
			return req
		}, 403, "InvalidSignatureException", "Credential should be scoped to a valid region and service: us-east-1/directconnect, not us-east-1/sts."},
		{"signed an hour ahead", func(t *testing.T) *http.Request {
			return signedRequest(t, e.srv.URL, "DescribeConnections", body, alice, true, time.Now().Add(time.Hour))
		}, 403, "InvalidSignatureException", "Signature not yet current"},
		{"signed an hour ago", func(t *testing.T) *http.Request {
			return signedRequest(t, e.srv.URL, "DescribeConnections", body, alice, true, time.Now().Add(-time.Hour))
		}, 403, "InvalidSignatureException", "Signature expired"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := send(t, tc.req(t))
			assert.Equal(t, tc.status, r.status, "status; body %v", r.body)
			assert.Equal(t, tc.code, r.errType, "error type; body %v", r.body)
			if tc.message != "" {
				msg, _ := r.body["message"].(string)
				assert.Contains(t, msg, tc.message, "message")
			}
		})
	}
}

const mismatchMessage = "The request signature we calculated does not match the signature you provided."

// TestSigV4SessionTokenWithSDK: the Go SDK with temporary credentials (key,
// secret and token) is answered; without the token it is refused.
func TestSigV4SessionTokenWithSDK(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withSigV4(nil))
	tokenClient := func(token string) *dx.Client {
		return dx.NewFromConfig(aws.Config{
			Region:      "us-east-1",
			Credentials: credentials.NewStaticCredentialsProvider("ASIATEMP", "temp-secret", token),
			Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
		}, func(o *dx.Options) { o.BaseEndpoint = aws.String(e.srv.URL) })
	}
	c, err := tokenClient("temp-token").CreateConnection(ctx, &dx.CreateConnectionInput{Location: aws.String("EqDC2"), Bandwidth: aws.String("1Gbps"), ConnectionName: aws.String("t")})
	require.NoError(t, err)
	assert.Equal(t, "333333333333", aws.ToString(c.OwnerAccount), "owner")
	_, err = tokenClient("").DescribeConnections(ctx, &dx.DescribeConnectionsInput{})
	assert.Equal(t, "UnrecognizedClientException", apiCode(err), "%v", err)
}
