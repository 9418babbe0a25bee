package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// SigningName is the service name in Direct Connect's SigV4 scope.
const SigningName = "directconnect"

// STSSigningName is the service name in STS's SigV4 scope.
const STSSigningName = "sts"

// globalSTSRegion is the scope's region of a request signed for STS's
// global endpoint (sts.amazonaws.com), which every client signs as
// us-east-1 whatever its own region.
const globalSTSRegion = "us-east-1"

// maxSkew is how far a request's X-Amz-Date may be from the server's clock,
// as AWS allows.
const maxSkew = 15 * time.Minute

// Credential is one access key the server accepts, and the account it speaks
// for. A key with a SessionToken stands for temporary credentials: every
// request made with it must carry that token, signed.
type Credential struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
	SessionToken    string `json:"sessionToken,omitempty"`
	Account         string `json:"account"`
}

// LoadCredentials reads a credentials file:
// {"credentials":[{"accessKeyId":…,"secretAccessKey":…,"sessionToken":…,"account":"111122223333"}]}
// (sessionToken optional).
func LoadCredentials(path string) ([]Credential, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading credentials: %w", err)
	}
	var f struct {
		Credentials []Credential `json:"credentials"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("parsing credentials %s: %w", path, err)
	}
	for i, c := range f.Credentials {
		if c.AccessKeyID == "" || c.SecretAccessKey == "" || len(c.Account) != 12 {
			return nil, fmt.Errorf("credentials %s: entry %d needs accessKeyId, secretAccessKey and a 12-digit account", path, i+1)
		}
	}
	if len(f.Credentials) == 0 {
		return nil, fmt.Errorf("credentials %s: no credentials", path)
	}
	return f.Credentials, nil
}

// SigV4 verifies AWS Signature Version 4 on every request: it recomputes the
// signature with the AWS SDK's signer from the secret of the request's
// access key and compares it in constant time.
type SigV4 struct {
	keys   map[string]Credential
	region string
	now    func() time.Time
	signer *v4.Signer
}

// NewSigV4 returns a verifier for the given credentials, for requests scoped
// to region. now is the clock that judges request times (nil: time.Now).
func NewSigV4(creds []Credential, region string, now func() time.Time) *SigV4 {
	v := &SigV4{keys: map[string]Credential{}, region: region, now: now, signer: v4.NewSigner()}
	if v.now == nil {
		v.now = time.Now
	}
	for _, c := range creds {
		v.keys[c.AccessKeyID] = c
	}
	return v
}

func authError(code, msg string) error {
	return &ProtocolError{Code: code, Message: msg, Status: http.StatusForbidden}
}

const (
	mismatch     = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	invalidToken = "The security token included in the request is invalid."
	amzDate      = "20060102T150405Z"
)

// Authenticate returns the account of a request correctly signed for
// service (SigningName or STSSigningName).
//
// Checks that need no secret come first; the session token's value is
// compared only once the signature, which covers it, has verified, so a
// caller without the secret learns nothing about a token from the answer.
func (v *SigV4) Authenticate(r *http.Request, body []byte, service string) (string, error) {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return "", authError("MissingAuthenticationTokenException", "Missing Authentication Token")
	}
	a, err := parseAuthorization(auth)
	if err != nil {
		return "", authError("IncompleteSignatureException", err.Error())
	}
	cred, ok := v.keys[a.accessKey]
	if !ok {
		return "", authError("UnrecognizedClientException", invalidToken)
	}
	if a.service != service || !v.regionFits(a.region, service) {
		return "", authError("InvalidSignatureException", fmt.Sprintf("Credential should be scoped to a valid region and service: %s/%s, not %s/%s.", v.region, service, a.region, a.service))
	}
	when, err := time.Parse(amzDate, r.Header.Get("X-Amz-Date"))
	if err != nil || when.Format("20060102") != a.date {
		return "", authError("IncompleteSignatureException", "X-Amz-Date is missing or does not match the credential scope's date.")
	}
	now := v.now()
	if now.Sub(when) > maxSkew {
		return "", authError("InvalidSignatureException", fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - 15 min.)",
			when.Format(amzDate), now.Add(-maxSkew).UTC().Format(amzDate), now.UTC().Format(amzDate)))
	}
	if when.Sub(now) > maxSkew {
		return "", authError("InvalidSignatureException", fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + 15 min.)",
			when.Format(amzDate), now.Add(maxSkew).UTC().Format(amzDate), now.UTC().Format(amzDate)))
	}
	token, hasToken := r.Header["X-Amz-Security-Token"]
	signed := func(h string) bool { return slices.Contains(a.signedHeaders, h) }
	// A token where the key has none, none where it has one, or a token
	// outside the signature: AWS answers each as a token it does not know.
	if hasToken != (cred.SessionToken != "") || hasToken && !signed("x-amz-security-token") {
		return "", authError("UnrecognizedClientException", invalidToken)
	}
	if err := requireSigned(r, signed); err != nil {
		return "", err
	}
	want, err := v.sign(r, body, a, cred, when)
	if err != nil {
		return "", authError("IncompleteSignatureException", err.Error())
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(a.signature)) != 1 {
		return "", authError("InvalidSignatureException", mismatch)
	}
	if hasToken && (len(token) != 1 || subtle.ConstantTimeCompare([]byte(token[0]), []byte(cred.SessionToken)) != 1) {
		return "", authError("UnrecognizedClientException", invalidToken)
	}
	return cred.Account, nil
}

// regionFits says whether a scope's region is one this endpoint answers
// for: its own, and for STS also the global endpoint's.
func (v *SigV4) regionFits(region, service string) bool {
	return region == v.region || service == STSSigningName && region == globalSTSRegion
}

// requireSigned refuses a signature that leaves out Host, X-Amz-Date or any
// other X-Amz-* header of the request (X-Amz-Target, X-Amz-Content-Sha256, …).
// A signature over less than that lets whoever captures the request change
// what it does: the same DescribeConnections, re-targeted, deletes.
//
// AWS answers a signature that is well formed but leaves out a header it
// requires with InvalidSignatureException and "'Host' or ':authority' must
// be a 'SignedHeader' in the AWS Authorization." (IncompleteSignature is
// for an Authorization header that cannot be read at all); the same form
// names the header here.
func requireSigned(r *http.Request, signed func(string) bool) error {
	missing := func(name string) error {
		return authError("InvalidSignatureException", fmt.Sprintf("'%s' must be a 'SignedHeader' in the AWS Authorization.", name))
	}
	if !signed("host") {
		return missing("Host")
	}
	if !signed("x-amz-date") {
		return missing("X-Amz-Date")
	}
	names := make([]string, 0, len(r.Header))
	for k := range r.Header {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		if lower := strings.ToLower(k); strings.HasPrefix(lower, "x-amz-") && !signed(lower) {
			return missing(k)
		}
	}
	return nil
}

// sign recomputes the signature over exactly the headers the client signed.
func (v *SigV4) sign(r *http.Request, body []byte, a authorization, cred Credential, when time.Time) (string, error) {
	u := *r.URL
	u.Scheme, u.Host = "http", r.Host
	clone, err := http.NewRequestWithContext(context.Background(), r.Method, u.String(), nil)
	if err != nil {
		return "", err
	}
	clone.Host = r.Host
	for _, h := range a.signedHeaders {
		switch h {
		case "host", "x-amz-date":
		case "content-length":
			clone.ContentLength = int64(len(body))
		default:
			vals := r.Header.Values(h)
			if len(vals) == 0 {
				return "", fmt.Errorf("signed header %s is missing from the request", h)
			}
			clone.Header[http.CanonicalHeaderKey(h)] = vals
		}
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: cred.AccessKeyID, SecretAccessKey: cred.SecretAccessKey,
		SessionToken: r.Header.Get("X-Amz-Security-Token")}
	if err := v.signer.SignHTTP(context.Background(), creds, clone, hex.EncodeToString(sum[:]), a.service, a.region, when); err != nil {
		return "", err
	}
	got, err := parseAuthorization(clone.Header.Get("Authorization"))
	if err != nil {
		return "", err
	}
	if strings.Join(got.signedHeaders, ";") != strings.Join(a.signedHeaders, ";") {
		return "", fmt.Errorf("SignedHeaders %s cannot be reproduced (got %s)", strings.Join(a.signedHeaders, ";"), strings.Join(got.signedHeaders, ";"))
	}
	return got.signature, nil
}

type authorization struct {
	accessKey, date, region, service string
	signedHeaders                    []string
	signature                        string
}

// parseAuthorization reads
// "AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/directconnect/aws4_request, SignedHeaders=a;b, Signature=hex".
func parseAuthorization(h string) (authorization, error) {
	var a authorization
	rest, ok := strings.CutPrefix(h, "AWS4-HMAC-SHA256 ")
	if !ok {
		return a, fmt.Errorf("Authorization header is not AWS4-HMAC-SHA256")
	}
	for _, part := range strings.Split(rest, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return a, fmt.Errorf("Authorization header component %q is not key=value", part)
		}
		switch k {
		case "Credential":
			scope := strings.Split(val, "/")
			if len(scope) != 5 || scope[4] != "aws4_request" {
				return a, fmt.Errorf("Credential %q is not AKID/date/region/service/aws4_request", val)
			}
			a.accessKey, a.date, a.region, a.service = scope[0], scope[1], scope[2], scope[3]
		case "SignedHeaders":
			a.signedHeaders = strings.Split(val, ";")
		case "Signature":
			a.signature = val
		}
	}
	if a.accessKey == "" || len(a.signedHeaders) == 0 || a.signature == "" {
		return a, fmt.Errorf("Authorization header lacks Credential, SignedHeaders or Signature")
	}
	return a, nil
}
