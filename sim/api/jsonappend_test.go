package api

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// awkward are strings whose JSON encoding has edge cases: escapes, HTML
// characters, line and paragraph separators, invalid UTF-8, non-ASCII.
var awkward = []string{"", "dxcon-abcd1234", `a"b\c`, "<script>&amp;", "line\nfeed\ttab\r\b\f", "\x00\x01\x1f\x7f",
	"\u2028\u2029", "\xff\xfe bad", "tête-à-tête ✓ 🎉", "10.0.0.0/16", "ünïcødé\u00e9"}

// fill sets every member of v at random: absent or present, empty or not.
func fill(r *rand.Rand, v reflect.Value, depth int) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(awkward[r.IntN(len(awkward))])
	case reflect.Int32, reflect.Int64:
		v.SetInt(r.Int64N(1<<33) - 1<<32)
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 0)
	case reflect.Pointer:
		if r.IntN(3) == 0 || depth > 4 {
			return
		}
		p := reflect.New(v.Type().Elem())
		if t, ok := p.Interface().(*Timestamp); ok {
			*t = Timestamp{time.UnixMilli(r.Int64N(4e12))}
		} else {
			fill(r, p.Elem(), depth+1)
		}
		v.Set(p)
	case reflect.Slice:
		switch r.IntN(4) {
		case 0:
			return // nil: left out
		case 1:
			v.Set(reflect.MakeSlice(v.Type(), 0, 0)) // empty: []
			return
		}
		n := 1 + r.IntN(3)
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := range n {
			fill(r, s.Index(i), depth+1)
		}
		v.Set(s)
	case reflect.Uint8:
		v.SetUint(uint64(r.IntN(256)))
	case reflect.Struct:
		for i := range v.NumField() {
			if r.IntN(4) != 0 {
				fill(r, v.Field(i), depth)
			}
		}
	default:
		panic(fmt.Sprintf("fill: %s", v.Kind()))
	}
}

// TestAppendJSONIsJSON: every shape's generated encoder writes exactly the
// bytes encoding/json writes, for members absent, empty and full, and for
// awkward strings.
func TestAppendJSONIsJSON(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for _, sample := range shapeSamples {
		typ := reflect.TypeOf(sample).Elem()
		t.Run(typ.Name(), func(t *testing.T) {
			for i := range 300 {
				v := reflect.New(typ)
				if i > 0 {
					fill(r, v.Elem(), 0)
				}
				want, err := json.Marshal(v.Interface())
				require.NoError(t, err)
				got := v.Interface().(jsonAppender).appendJSON(nil)
				if !assert.Equal(t, string(want), string(got), "value %d: %+v", i, v.Interface()) {
					return
				}
			}
		})
	}
}

// BenchmarkAppendJSONConnections1000 encodes 1,000 connections both ways.
func BenchmarkAppendJSONConnections1000(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	out := &Connections{Connections: make([]Connection, 1000)}
	for i := range out.Connections {
		fill(r, reflect.ValueOf(&out.Connections[i]).Elem(), 0)
	}
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(out); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("generated", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = out.appendJSON(make([]byte, 0, 1<<20))
		}
	})
}

// TestAppendStringEveryByte puts every byte value at every position of a
// string long enough for the eight-at-a-time path, and compares with
// encoding/json.
func TestAppendStringEveryByte(t *testing.T) {
	base := []byte("dxcon-abcdefgh-ijklmnop")
	for pos := range base {
		for c := range 256 {
			s := append([]byte(nil), base...)
			s[pos] = byte(c)
			want, err := json.Marshal(string(s))
			require.NoError(t, err)
			require.Equal(t, string(want), string(appendString(nil, string(s))), "byte %#x at %d", c, pos)
		}
	}
}

// FuzzAppendString: appendString writes what encoding/json writes.
func FuzzAppendString(f *testing.F) {
	for _, s := range awkward {
		f.Add(s + s + s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		require.NoError(t, err)
		require.Equal(t, string(want), string(appendString(nil, s)))
	})
}
