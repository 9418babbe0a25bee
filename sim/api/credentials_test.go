package api

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLoadCredentials(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range map[string]struct {
		body string
		ok   bool
	}{
		"good":       {`{"credentials":[{"accessKeyId":"A","secretAccessKey":"s","account":"111122223333"}]}`, true},
		"short acct": {`{"credentials":[{"accessKeyId":"A","secretAccessKey":"s","account":"1"}]}`, false},
		"no secret":  {`{"credentials":[{"accessKeyId":"A","account":"111122223333"}]}`, false},
		"empty":      {`{"credentials":[]}`, false},
		"not json":   {`A=s`, false},
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(tc.body), 0o600); err != nil {
			t.Fatal(err)
		}
		creds, err := LoadCredentials(p)
		if (err == nil) != tc.ok || (tc.ok && creds[0].Account != "111122223333") {
			t.Errorf("%s: %v, %v", name, creds, err)
		}
	}
}

func TestParseAuthorization(t *testing.T) {
	a, err := parseAuthorization("AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/directconnect/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=abc123")
	if err != nil || a.accessKey != "AKID" || a.date != "20250101" || a.region != "us-east-1" || a.service != "directconnect" ||
		len(a.signedHeaders) != 3 || a.signature != "abc123" {
		t.Fatalf("%+v %v", a, err)
	}
	for _, bad := range []string{
		"Basic dXNlcjpwYXNz",
		"AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/directconnect, SignedHeaders=host, Signature=a",
		"AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/directconnect/aws4_request, Signature=a",
		"AWS4-HMAC-SHA256 garbage",
	} {
		if _, err := parseAuthorization(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}
