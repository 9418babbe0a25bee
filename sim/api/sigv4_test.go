package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	dx "github.com/aws/aws-sdk-go-v2/service/directconnect"

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
	e := newEnv(t, withSigV4(nil))
	alice, bob := client(e.srv.URL, "AKIDALICE", "alice-secret"), client(e.srv.URL, "AKIDBOB", "bob-secret")
	c, err := alice.CreateConnection(ctx, &dx.CreateConnectionInput{Location: aws.String("EqDC2"), Bandwidth: aws.String("10Gbps"), ConnectionName: aws.String("a")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(c.OwnerAccount) != "111111111111" {
		t.Errorf("ownerAccount %s, want the caller's", aws.ToString(c.OwnerAccount))
	}
	id := aws.ToString(c.ConnectionId)
	if _, err := bob.DescribeConnections(ctx, &dx.DescribeConnectionsInput{ConnectionId: aws.String(id)}); apiMessage(err) != "Could not find Connection with ID "+id {
		t.Errorf("bob describing alice's connection: %v", err)
	}
	if _, err := bob.DeleteConnection(ctx, &dx.DeleteConnectionInput{ConnectionId: aws.String(id)}); apiCode(err) != "DirectConnectClientException" {
		t.Errorf("bob deleting alice's connection: %v", err)
	}
	if out, err := bob.DescribeConnections(ctx, &dx.DescribeConnectionsInput{}); err != nil || len(out.Connections) != 0 {
		t.Errorf("bob sees %v (%v)", out, err)
	}
	if out, err := alice.DescribeConnections(ctx, &dx.DescribeConnectionsInput{}); err != nil || len(out.Connections) != 1 {
		t.Errorf("alice sees %v (%v)", out, err)
	}
}

func TestSigV4Refusals(t *testing.T) {
	e := newEnv(t, withSigV4(nil))
	for _, tc := range []struct {
		name, key, secret, code string
	}{
		{"wrong secret", "AKIDALICE", "not-alices-secret", "InvalidSignatureException"},
		{"unknown key", "AKIDMALLORY", "x", "UnrecognizedClientException"},
	} {
		_, err := client(e.srv.URL, tc.key, tc.secret).DescribeConnections(ctx, &dx.DescribeConnectionsInput{})
		if apiCode(err) != tc.code {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
		}
		var re interface{ HTTPStatusCode() int }
		if asAny(err, &re) && re.HTTPStatusCode() != 403 {
			t.Errorf("%s: status %d, want 403", tc.name, re.HTTPStatusCode())
		}
	}
	if r := post(t, e.srv.URL, http.MethodPost, op+"DescribeConnections", `{}`); r.status != 403 || r.errType != "MissingAuthenticationTokenException" {
		t.Errorf("unsigned: %d %s", r.status, r.errType)
	}

	// A body changed after signing no longer matches its signature.
	signed := func(body string, when time.Time) *http.Request {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", op+"DeleteConnection")
		sum := sha256hex(body)
		if err := v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: "AKIDALICE", SecretAccessKey: "alice-secret"}, req, sum, "directconnect", "us-east-1", when); err != nil {
			t.Fatal(err)
		}
		return req
	}
	req := signed(`{"connectionId":"dxcon-aaaaaaaa"}`, time.Now())
	req.Body = ioNopCloser(`{"connectionId":"dxcon-bbbbbbbb"}`)
	if status, code := do(t, req); status != 403 || code != "InvalidSignatureException" {
		t.Errorf("tampered body: %d %s", status, code)
	}
	req = signed(`{"connectionId":"dxcon-aaaaaaaa"}`, time.Now().Add(-time.Hour))
	if status, code := do(t, req); status != 403 || code != "InvalidSignatureException" {
		t.Errorf("hour-old signature: %d %s", status, code)
	}
	req = signed(`{"connectionId":"dxcon-aaaaaaaa"}`, time.Now())
	if status, code := do(t, req); status != 400 || code != "DirectConnectClientException" {
		t.Errorf("correctly signed raw request: %d %s, want the operation's own answer", status, code)
	}
}
