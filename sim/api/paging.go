package api

import (
	"encoding/base64"
	"strings"
)

// MaxPage is the largest page a describe returns, whatever maxResults asks.
const MaxPage = 100

// page returns the items after nextToken, at most maxResults (or all when
// maxResults is nil), and the token of the next page ("" on the last).
// Items must be sorted by key; the token is the last key returned, so
// paging stays correct when items are added or removed between pages.
func page[T any](items []T, key func(T) string, maxResults *int32, token string) ([]T, string, error) {
	start := 0
	if token != "" {
		raw, err := base64.RawURLEncoding.DecodeString(token)
		after, ok := strings.CutPrefix(string(raw), "after:")
		if err != nil || !ok {
			return nil, "", &ProtocolError{Code: "DirectConnectClientException", Status: 400, Message: "The nextToken is not valid."}
		}
		for start < len(items) && key(items[start]) <= after {
			start++
		}
	}
	items = items[start:]
	if maxResults == nil {
		return items, "", nil
	}
	n := int(*maxResults)
	if n < 1 {
		return nil, "", &ProtocolError{Code: "ValidationException", Status: 400,
			Message: "1 validation error detected: Value at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1"}
	}
	n = min(n, MaxPage)
	if len(items) <= n {
		return items, "", nil
	}
	return items[:n], base64.RawURLEncoding.EncodeToString([]byte("after:" + key(items[n-1]))), nil
}
