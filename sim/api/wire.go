package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Timestamp is a model timestamp: on the wire, epoch seconds as a JSON number.
type Timestamp struct{ time.Time }

// NewTimestamp returns t as a Timestamp, or nil for the zero time.
func NewTimestamp(t time.Time) *Timestamp {
	if t.IsZero() {
		return nil
	}
	return &Timestamp{t}
}

// MarshalJSON writes epoch seconds, with milliseconds when there are any.
func (t Timestamp) MarshalJSON() ([]byte, error) { return t.appendJSON(nil), nil }

func (t Timestamp) appendJSON(b []byte) []byte {
	ms := t.UnixMilli()
	if ms%1000 == 0 {
		return strconv.AppendInt(b, ms/1000, 10)
	}
	return strconv.AppendFloat(b, float64(ms)/1000, 'f', 3, 64)
}

// UnmarshalJSON reads epoch seconds.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return fmt.Errorf("timestamp %s is not epoch seconds", b)
	}
	sec, frac := math.Modf(f)
	t.Time = time.Unix(int64(sec), int64(frac*1e9)).UTC()
	return nil
}

// Empty is the request of an operation that takes no parameters.
type Empty struct{}

type handlerFunc func(ctx context.Context, body []byte) (any, error)

// ProtocolError is an error of the JSON protocol itself, before an operation
// sees the request.
type ProtocolError struct {
	Code    string // SerializationException, ValidationException, UnknownOperationException, …
	Message string
	Status  int
}

func (e *ProtocolError) Error() string { return e.Code + ": " + e.Message }

// decode reads a request body into v. An empty body counts as {}.
func decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	var raw json.RawMessage
	err := dec.Decode(&raw)
	if err == nil {
		err = json.Unmarshal(exactMembers(raw, reflect.TypeOf(v)), v)
	}
	if err != nil {
		var typeErr *json.UnmarshalTypeError
		var syntaxErr *json.SyntaxError
		switch {
		case errors.As(err, &typeErr):
			member := typeErr.Field
			if member == "" {
				return serialization("Start of %s found where a structure was expected", typeErr.Value)
			}
			return serialization("Value of type %s for member %s is not of the expected type %s", typeErr.Value, member, wireType(typeErr.Type.String()))
		case errors.As(err, &syntaxErr):
			return serialization("Malformed JSON at offset %d: %v", syntaxErr.Offset, err)
		}
		return serialization("Malformed request body: %v", err)
	}
	if dec.More() {
		return serialization("Unexpected content after the request's JSON object")
	}
	return nil
}

func wireType(goType string) string {
	switch t := strings.TrimPrefix(goType, "*"); {
	case strings.HasPrefix(t, "int"):
		return "integer"
	case t == "bool":
		return "boolean"
	case t == "string":
		return "string"
	case strings.HasPrefix(t, "[]"):
		return "list"
	case t == "api.Timestamp":
		return "timestamp"
	}
	return "structure"
}

func serialization(format string, args ...any) error {
	return &ProtocolError{Code: "SerializationException", Message: fmt.Sprintf(format, args...), Status: 400}
}

// missing reports a required member absent, in AWS's validation wording.
func missing(path, member string) error {
	return &ProtocolError{Code: "ValidationException", Status: 400,
		Message: fmt.Sprintf("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", join(path, member))}
}

func badEnum(path, member, value string, allowed []string) error {
	return &ProtocolError{Code: "ValidationException", Status: 400,
		Message: fmt.Sprintf("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy enum value set: [%s]", value, join(path, member), strings.Join(allowed, ", "))}
}

func oneOf(v string, allowed []string) bool { return slices.Contains(allowed, v) }

func join(path, member string) string {
	if path == "" {
		return member
	}
	return path + "." + member
}

func index(path, member string, i int) string {
	return fmt.Sprintf("%s.%d", join(path, member), i+1)
}

// exactMembers drops the members of raw whose names are not exactly those of
// t's JSON tags. AWS matches member names case-sensitively and ignores
// unknown ones, but encoding/json would take "ConnectionId" for
// "connectionId". Values that are not what t expects are left for
// json.Unmarshal to report.
func exactMembers(raw json.RawMessage, t reflect.Type) json.RawMessage {
	for t.Kind() == reflect.Pointer {
		if t.Implements(unmarshaler) {
			return raw
		}
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshaler) {
		return raw
	}
	switch t.Kind() {
	case reflect.Struct:
		var members map[string]json.RawMessage
		if json.Unmarshal(raw, &members) != nil || members == nil {
			return raw
		}
		out := make(map[string]json.RawMessage, len(members))
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if m, ok := members[name]; ok && name != "" && name != "-" {
				out[name] = exactMembers(m, f.Type)
			}
		}
		b, err := json.Marshal(out)
		if err != nil {
			return raw
		}
		return b
	case reflect.Slice:
		var items []json.RawMessage
		if t.Elem().Kind() == reflect.Uint8 || json.Unmarshal(raw, &items) != nil || items == nil {
			return raw
		}
		for i := range items {
			items[i] = exactMembers(items[i], t.Elem())
		}
		b, err := json.Marshal(items)
		if err != nil {
			return raw
		}
		return b
	}
	return raw
}

var unmarshaler = reflect.TypeFor[json.Unmarshaler]()

func constraint(path, member, value, rule string) error {
	if len(value) > 64 {
		value = value[:64] + "..."
	}
	return &ProtocolError{Code: "ValidationException", Status: 400,
		Message: fmt.Sprintf("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, join(path, member), rule)}
}

// checkLength applies a model length constraint (-1: none), counted in
// characters as AWS counts them.
func checkLength(path, member, v string, lo, hi int) error {
	n := utf8.RuneCountInString(v)
	if lo >= 0 && n < lo {
		return constraint(path, member, v, fmt.Sprintf("Member must have length greater than or equal to %d", lo))
	}
	if hi >= 0 && n > hi {
		return constraint(path, member, v, fmt.Sprintf("Member must have length less than or equal to %d", hi))
	}
	return nil
}

// checkCount applies a model length constraint to a list.
func checkCount(path, member string, n, lo, hi int) error {
	if lo >= 0 && n < lo {
		return constraint(path, member, fmt.Sprint(n, " items"), fmt.Sprintf("Member must have length greater than or equal to %d", lo))
	}
	if hi >= 0 && n > hi {
		return constraint(path, member, fmt.Sprint(n, " items"), fmt.Sprintf("Member must have length less than or equal to %d", hi))
	}
	return nil
}

var patterns sync.Map // model pattern -> *regexp.Regexp

// checkPattern applies a model pattern constraint.
func checkPattern(path, member, v, expr string) error {
	re, ok := patterns.Load(expr)
	if !ok {
		re, _ = patterns.LoadOrStore(expr, regexp.MustCompile(expr))
	}
	if !re.(*regexp.Regexp).MatchString(v) {
		return constraint(path, member, v, "Member must satisfy regular expression pattern: "+expr)
	}
	return nil
}
