package sim

import (
	"crypto/rand"
	"fmt"
	"io"
	"strings"
)

// ID prefixes, as AWS writes them.
const (
	PrefixConnection = "dxcon-"
	PrefixLAG        = "dxlag-"
	PrefixVIF        = "dxvif-"
)

const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// newID returns prefix followed by 8 characters of [a-z0-9] read from r.
func newID(prefix string, r io.Reader) (string, error) {
	var b [8]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("reading random ID bytes: %w", err)
	}
	var sb strings.Builder
	sb.Grow(len(prefix) + len(b))
	sb.WriteString(prefix)
	for _, c := range b {
		// 256 is not a multiple of 36; the slight bias is irrelevant for IDs.
		sb.WriteByte(idAlphabet[int(c)%len(idAlphabet)])
	}
	return sb.String(), nil
}

// ValidID reports whether id has the given prefix and 8 characters of [a-z0-9]
// after it.
func ValidID(prefix, id string) bool {
	rest, ok := strings.CutPrefix(id, prefix)
	if !ok || len(rest) != 8 {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if !strings.ContainsRune(idAlphabet, rune(rest[i])) {
			return false
		}
	}
	return true
}

// ARN returns the Amazon Resource Name of a dxcon-, dxlag- or dxvif- resource.
func ARN(region, account, id string) string {
	kind, _, _ := strings.Cut(id, "-")
	return fmt.Sprintf("arn:aws:directconnect:%s:%s:%s/%s", region, account, kind, id)
}

// GatewayARN returns the ARN of a Direct Connect gateway: global, so with
// no Region.
func GatewayARN(account, id string) string {
	return fmt.Sprintf("arn:aws:directconnect::%s:dx-gateway/%s", account, id)
}

// ParseARN returns the region, account and resource ID of a Direct Connect
// ARN: a connection's, LAG's or VIF's, or a Direct Connect gateway's (whose
// region is "").
func ParseARN(arn string) (region, account, id string, err error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "directconnect" {
		return "", "", "", fmt.Errorf("not a Direct Connect ARN: %q", arn)
	}
	kind, id, ok := strings.Cut(parts[5], "/")
	switch {
	case ok && kind == "dx-gateway" && parts[3] == "" && id != "":
		return "", parts[4], id, nil
	case !ok || !strings.HasPrefix(id, kind+"-"):
		return "", "", "", fmt.Errorf("ARN %q names no dxcon, dxlag, dxvif or dx-gateway resource", arn)
	}
	return parts[3], parts[4], id, nil
}

var defaultRand io.Reader = rand.Reader
