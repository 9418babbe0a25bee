package api

import (
	"encoding/base64"
	"unicode/utf8"
)

// The pieces of the generated JSON encoders (appendJSON in shapes_gen.go).
// They write what encoding/json writes: TestAppendJSONIsJSON checks every
// shape against it.

// appendKey writes a member's quoted key and colon, after a comma unless it
// is the first.
func appendKey(b []byte, sep *bool, key string) []byte {
	if *sep {
		b = append(b, ',')
	}
	*sep = true
	return append(b, key...)
}

const hexDigits = "0123456789abcdef"

// plain marks the ASCII bytes written as they are.
var plain = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendString writes s as encoding/json does: quoted, with control
// characters, quotes and backslashes escaped, <, > and & escaped for HTML,
// U+2028 and U+2029 escaped, and invalid UTF-8 as U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start, i := 0, 0
	// Eight bytes at a time while none needs a second look: IDs, names and
	// states are plain ASCII, and a byte-wise loop over them was a fifth of
	// a large describe's time.
	for ; i+8 <= len(s); i += 8 {
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		if !plainWord(w) {
			break
		}
	}
	for i < len(s) {
		if c := s[i]; c < utf8.RuneSelf {
			if plain[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// Per-byte masks for plainWord.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// zeroByte reports whether any byte of w is zero (exactly; it may not tell
// which).
func zeroByte(w uint64) bool { return (w-ones)&^w&highs != 0 }

// plainWord reports whether the eight bytes in w are all plain ASCII: none
// at or above 0x80, none below 0x20, and none of " \ < > &.
func plainWord(w uint64) bool {
	if w&highs != 0 || (w-ones*0x20)&^w&highs != 0 {
		return false
	}
	return !zeroByte(w^(ones*'"')) && !zeroByte(w^(ones*'\\')) && !zeroByte(w^(ones*'<')) &&
		!zeroByte(w^(ones*'>')) && !zeroByte(w^(ones*'&'))
}

// appendBase64 writes a blob as encoding/json does: a standard base64 string.
func appendBase64(b []byte, p []byte) []byte {
	b = append(b, '"')
	b = base64.StdEncoding.AppendEncode(b, p)
	return append(b, '"')
}

// jsonAppender is a shape with a generated encoder.
type jsonAppender interface{ appendJSON(b []byte) []byte }
