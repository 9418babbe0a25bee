package simtest

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strconv"
)

// PDFContent checks that b is a whole PDF (its header and its trailer) and
// returns its streams, inflated where they are Flate-compressed, so a test
// can look for the text a page draws.
func PDFContent(b []byte) (string, error) {
	if !bytes.HasPrefix(b, []byte("%PDF-1.")) {
		return "", errors.New("no %PDF-1.x header")
	}
	tail := bytes.TrimRight(b, "\r\n")
	if !bytes.HasSuffix(tail, []byte("%%EOF")) || !bytes.Contains(b, []byte("trailer")) || !bytes.Contains(b, []byte("startxref")) {
		return "", errors.New("no trailer, startxref and %%EOF at the end")
	}
	var out bytes.Buffer
	for _, m := range pdfStream.FindAllSubmatchIndex(b, -1) {
		dict := b[m[2]:m[3]]
		// A stream's data is /Length bytes: compressed data may well end in
		// a carriage return, which an end-of-line pattern would eat.
		n := pdfLength.FindSubmatch(dict)
		if n == nil {
			return "", errors.New("a stream without /Length")
		}
		length, err := strconv.Atoi(string(n[1]))
		if err != nil || m[1]+length > len(b) {
			return "", fmt.Errorf("a stream's /Length %s runs past the file", n[1])
		}
		data := b[m[1] : m[1]+length]
		if !bytes.Contains(dict, []byte("/FlateDecode")) {
			out.Write(data)
			continue
		}
		r, err := zlib.NewReader(bytes.NewReader(data))
		if err != nil {
			return "", fmt.Errorf("inflating a stream: %w", err)
		}
		if _, err := io.Copy(&out, r); err != nil {
			return "", fmt.Errorf("inflating a stream: %w", err)
		}
	}
	return out.String(), nil
}

// pdfStream matches a stream's dictionary and the line that starts its
// data; pdfLength the data's length in the dictionary.
var (
	pdfStream = regexp.MustCompile(`(?s)<<((?:[^<>]|<<[^<>]*>>)*)>>\s*stream\r?\n`)
	pdfLength = regexp.MustCompile(`/Length (\d+)`)
)

// PDFText extracts a PDF's text with poppler's pdftotext. ok is false when
// pdftotext is not installed (Debian: poppler-utils).
func PDFText(b []byte) (text string, ok bool, err error) {
	path, err := exec.LookPath("pdftotext")
	if err != nil {
		return "", false, nil
	}
	cmd := exec.Command(path, "-layout", "-", "-")
	cmd.Stdin = bytes.NewReader(b)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", true, fmt.Errorf("pdftotext: %w: %s", err, stderr.Bytes())
	}
	return string(out), true, nil
}
