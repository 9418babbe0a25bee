package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
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
func (t Timestamp) MarshalJSON() ([]byte, error) {
	ms := t.UnixMilli()
	if ms%1000 == 0 {
		return strconv.AppendInt(nil, ms/1000, 10), nil
	}
	return strconv.AppendFloat(nil, float64(ms)/1000, 'f', 3, 64), nil
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
	if err := dec.Decode(v); err != nil {
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
