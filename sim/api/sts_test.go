package api_test

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/api"
)

func stsClient(url, region, key, secret, token string) *sts.Client {
	return sts.NewFromConfig(aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, token),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}, func(o *sts.Options) { o.BaseEndpoint = aws.String(url) })
}

// withSigV4In verifies signatures for an endpoint of region.
func withSigV4In(region string) envOpt {
	return func(_ *sim.Config, o *api.Options) { o.Auth = api.NewSigV4(accounts, region, nil) }
}

// TestSTSGetCallerIdentity: the Go SDK's STS client, pointed at the Direct
// Connect endpoint, learns the account of its key: the lab account without
// --auth sigv4, the key's own with it.
func TestSTSGetCallerIdentity(t *testing.T) {
	t.Parallel()
	anyAuth, signed, euWest := newEnv(t), newEnv(t, withSigV4(nil)), newEnv(t, withSigV4In("eu-west-1"))
	for _, tc := range []struct {
		name, url, region, key, secret, token, account string
	}{
		{"no auth, any key", anyAuth.srv.URL, "us-east-1", "AKIDANY", "x", "", api.DefaultAccount},
		{"no auth, another region", anyAuth.srv.URL, "ap-south-1", "AKIDANY", "x", "", api.DefaultAccount},
		{"sigv4 alice", signed.srv.URL, "us-east-1", "AKIDALICE", "alice-secret", "", "111111111111"},
		{"sigv4 bob", signed.srv.URL, "us-east-1", "AKIDBOB", "bob-secret", "", "222222222222"},
		{"sigv4 session token", signed.srv.URL, "us-east-1", "ASIATEMP", "temp-secret", "temp-token", "333333333333"},
		{"endpoint's own region", euWest.srv.URL, "eu-west-1", "AKIDALICE", "alice-secret", "", "111111111111"},
		{"global endpoint's region", euWest.srv.URL, "us-east-1", "AKIDALICE", "alice-secret", "", "111111111111"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, err := stsClient(tc.url, tc.region, tc.key, tc.secret, tc.token).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			require.NoError(t, err)
			assert.Equal(t, tc.account, aws.ToString(out.Account), "Account")
			assert.Equal(t, "arn:aws:iam::"+tc.account+":root", aws.ToString(out.Arn), "Arn")
			assert.Equal(t, tc.account, aws.ToString(out.UserId), "UserId")
		})
	}
}

// TestSTSRefusals: each refusal of an STS request is STS's Query-protocol
// error, with AWS's code and status.
func TestSTSRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withSigV4(nil))
	for _, tc := range []struct {
		name, region, key, secret, token string
		status                           int
		code                             string
	}{
		{"wrong secret", "us-east-1", "AKIDALICE", "not-alices", "", 403, "SignatureDoesNotMatch"},
		{"unknown key", "us-east-1", "AKIDMALLORY", "x", "", 403, "InvalidClientTokenId"},
		{"another region", "eu-west-1", "AKIDALICE", "alice-secret", "", 403, "SignatureDoesNotMatch"},
		{"token missing", "us-east-1", "ASIATEMP", "temp-secret", "", 403, "InvalidClientTokenId"},
		{"wrong token", "us-east-1", "ASIATEMP", "temp-secret", "other", 403, "InvalidClientTokenId"},
		{"token on a key that has none", "us-east-1", "AKIDALICE", "alice-secret", "temp-token", 403, "InvalidClientTokenId"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := stsClient(e.srv.URL, tc.region, tc.key, tc.secret, tc.token).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			assert.Equal(t, tc.code, apiCode(err), "%v", err)
			var re interface{ HTTPStatusCode() int }
			if assert.True(t, asAny(err, &re), "no HTTP status in %v", err) {
				assert.Equal(t, tc.status, re.HTTPStatusCode(), "status")
			}
		})
	}
}

type stsError struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Error   struct {
		Type, Code, Message string
	}
	RequestID string `xml:"RequestId"`
}

// postForm sends one raw Query request; sign, when set, signs it.
func postForm(t *testing.T, url, body string, sign func(*testing.T, *http.Request, string)) (int, stsError) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if sign != nil {
		sign(t, req, body)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out stsError
	if resp.StatusCode != 200 {
		assert.Equal(t, "text/xml", resp.Header.Get("Content-Type"), "content type")
		require.NoError(t, xml.Unmarshal(raw, &out), "not an STS error: %q", raw)
		assert.Equal(t, resp.Header.Get("x-amzn-RequestId"), out.RequestID, "RequestId")
		assert.Equal(t, "Sender", out.Error.Type, "Type of %q", raw)
	}
	return resp.StatusCode, out
}

// signFor signs a request as alice for service.
func signFor(service string) func(*testing.T, *http.Request, string) {
	return func(t *testing.T, req *http.Request, body string) {
		alice := aws.Credentials{AccessKeyID: "AKIDALICE", SecretAccessKey: "alice-secret"}
		require.NoError(t, v4.NewSigner().SignHTTP(ctx, alice, req, sha256hex(body), service, "us-east-1", time.Now()))
	}
}

// TestSTSQueryErrors: actions STS does not have, and bodies that are not a
// form, get STS's XML errors; a request signed for Direct Connect is not
// one signed for STS.
func TestSTSQueryErrors(t *testing.T) {
	t.Parallel()
	anyAuth, signed := newEnv(t), newEnv(t, withSigV4(nil))
	const identity = "Action=GetCallerIdentity&Version=2011-06-15"
	for _, tc := range []struct {
		name, url, body string
		sign            func(*testing.T, *http.Request, string)
		status          int
		code, inMessage string
	}{
		{"unknown action", anyAuth.srv.URL, "Action=AssumeRole&Version=2011-06-15", nil, 400, "InvalidAction", "Could not find operation AssumeRole for version 2011-06-15"},
		{"unknown version", anyAuth.srv.URL, "Action=GetCallerIdentity&Version=2099-01-01", nil, 400, "InvalidAction", "2099-01-01"},
		{"no action", anyAuth.srv.URL, "Version=2011-06-15", nil, 400, "MissingAction", ""},
		{"not a form", anyAuth.srv.URL, "Action=%zz", nil, 404, "MalformedQueryString", ""},
		{"unsigned", signed.srv.URL, identity, nil, 403, "MissingAuthenticationToken", ""},
		{"unreadable signature", signed.srv.URL, identity, func(_ *testing.T, r *http.Request, _ string) {
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 garbage")
		}, 400, "IncompleteSignature", ""},
		{"signed for directconnect", signed.srv.URL, identity, signFor(api.SigningName), 403, "SignatureDoesNotMatch", "us-east-1/sts, not us-east-1/directconnect"},
		{"unknown action, signed", signed.srv.URL, "Action=Frobnicate&Version=2011-06-15", signFor(api.STSSigningName), 400, "InvalidAction", "Frobnicate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			status, out := postForm(t, tc.url, tc.body, tc.sign)
			assert.Equal(t, tc.status, status, "status: %+v", out)
			assert.Equal(t, tc.code, out.Error.Code, "code: %+v", out)
			assert.Contains(t, out.Error.Message, tc.inMessage, "message")
		})
	}
}

// FuzzSTS sends arbitrary form bodies: the answer is never a server fault,
// and every error is STS's XML.
func FuzzSTS(f *testing.F) {
	for _, seed := range []string{"Action=GetCallerIdentity&Version=2011-06-15", "Action=AssumeRole", "", "%", "a=b;c", "Action=GetCallerIdentity&Action=X"} {
		f.Add([]byte(seed))
	}
	e := newEnv(f)
	h := e.srv.Config.Handler.(*api.Handler)
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		require.Less(t, rec.Code, 500, "%q: status %d %s", body, rec.Code, rec.Body.String())
		if rec.Code != 200 {
			var out stsError
			require.NoError(t, xml.Unmarshal(rec.Body.Bytes(), &out), "%q: not an STS error: %q", body, rec.Body.String())
			require.NotEmpty(t, out.Error.Code, "%q: error without a code", body)
		}
	})
}

// TestSTSWithAWSCLI: `aws sts get-caller-identity --endpoint-url` against
// dxsim, when the aws CLI is installed, in both auth modes.
func TestSTSWithAWSCLI(t *testing.T) {
	t.Parallel()
	awsCLI, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the aws CLI is not installed (apt-get install awscli)")
	}
	anyAuth, signed := newEnv(t), newEnv(t, withSigV4(nil))
	dir := t.TempDir()
	for _, tc := range []struct {
		name, url, key, secret, account, errCode string
	}{
		{"no auth", anyAuth.srv.URL, "AKIDANY", "x", api.DefaultAccount, ""},
		{"sigv4", signed.srv.URL, "AKIDBOB", "bob-secret", "222222222222", ""},
		{"sigv4, wrong secret", signed.srv.URL, "AKIDBOB", "wrong", "", "SignatureDoesNotMatch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(awsCLI, "sts", "get-caller-identity", "--endpoint-url", tc.url, "--output", "json")
			cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+tc.key, "AWS_SECRET_ACCESS_KEY="+tc.secret, "AWS_SESSION_TOKEN=",
				"AWS_DEFAULT_REGION=us-east-1", "AWS_PAGER=", "AWS_MAX_ATTEMPTS=1",
				"AWS_CONFIG_FILE="+filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "none"))
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if tc.errCode != "" {
				require.Error(t, err, "accepted: %s", out)
				assert.Contains(t, stderr.String(), tc.errCode, "stderr")
				return
			}
			require.NoError(t, err, "stderr: %s", stderr.String())
			var id struct{ UserId, Account, Arn string }
			require.NoError(t, json.Unmarshal(out, &id), "output: %s", out)
			assert.Equal(t, tc.account, id.Account, "Account")
			assert.Equal(t, "arn:aws:iam::"+tc.account+":root", id.Arn, "Arn")
		})
	}
}
