package api

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoadCredentials(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, tc := range map[string]struct {
		body  string
		ok    bool
		token string
	}{
		"good":       {`{"credentials":[{"accessKeyId":"A","secretAccessKey":"s","account":"111122223333"}]}`, true, ""},
		"with token": {`{"credentials":[{"accessKeyId":"A","secretAccessKey":"s","sessionToken":"t","account":"111122223333"}]}`, true, "t"},
		"short acct": {`{"credentials":[{"accessKeyId":"A","secretAccessKey":"s","account":"1"}]}`, false, ""},
		"no secret":  {`{"credentials":[{"accessKeyId":"A","account":"111122223333"}]}`, false, ""},
		"empty":      {`{"credentials":[]}`, false, ""},
		"not json":   {`A=s`, false, ""},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := filepath.Join(dir, name)
			require.NoError(t, os.WriteFile(p, []byte(tc.body), 0o600))
			creds, err := LoadCredentials(p)
			if !tc.ok {
				assert.Error(t, err, "accepted: %v", creds)
				return
			}
			require.NoError(t, err)
			require.NotEmpty(t, creds)
			assert.Equal(t, "111122223333", creds[0].Account)
			assert.Equal(t, tc.token, creds[0].SessionToken)
		})
	}
}

func TestParseAuthorization(t *testing.T) {
	t.Parallel()
	a, err := parseAuthorization("AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/directconnect/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=abc123")
	require.NoError(t, err)
	assert.Equal(t, "AKID", a.accessKey, "%+v", a)
	assert.Equal(t, "20250101", a.date, "%+v", a)
	assert.Equal(t, "us-east-1", a.region, "%+v", a)
	assert.Equal(t, "directconnect", a.service, "%+v", a)
	assert.Len(t, a.signedHeaders, 3, "%+v", a)
	assert.Equal(t, "abc123", a.signature, "%+v", a)
	for _, tc := range []struct{ name, header string }{
		{"basic", "Basic dXNlcjpwYXNz"},
		{"scope without terminator", "AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/directconnect, SignedHeaders=host, Signature=a"},
		{"no SignedHeaders", "AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/directconnect/aws4_request, Signature=a"},
		{"garbage", "AWS4-HMAC-SHA256 garbage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := parseAuthorization(tc.header)
			assert.Error(t, err, "accepted %q", tc.header)
		})
	}
}
