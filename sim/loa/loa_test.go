package loa_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim/loa"
	"github.com/dxsim/dxsim/sim/simtest"
)

func letter() loa.Letter {
	return loa.Letter{
		Kind: "LAG", ID: "dxlag-ffd5k0x4", Name: "core (primary)", Customer: "Example Networks Ltd", Account: "123456789012",
		Region: "us-east-1", Location: "EqDC2", LocationName: "Equinix DC1-DC6, DC10-DC12, Ashburn, VA", Bandwidth: "10Gbps",
		Date: time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC),
		Ports: []loa.Port{
			loa.Assign("dxcon-fh6ayh1d", "EqDC2-4h6ce2r1bes6", "10Gbps"),
			loa.Assign("dxcon-fgkzb4ng", "EqDC2-4h6ce2r1bes6", "10Gbps"),
		},
	}
}

func TestLetterPDF(t *testing.T) {
	t.Parallel()
	b, err := letter().PDF()
	require.NoError(t, err)
	content, err := simtest.PDFContent(b)
	require.NoError(t, err, "not a whole PDF")
	for _, want := range []string{"dxlag-ffd5k0x4", "dxcon-fh6ayh1d", "dxcon-fgkzb4ng", "EqDC2-4h6ce2r1bes6", "Example Networks Ltd", "4 March 2025", "2 June 2025", "10GBASE-LR"} {
		assert.Contains(t, content, want, "the page draws %s", want)
	}
	again, err := letter().PDF()
	require.NoError(t, err)
	assert.Equal(t, b, again, "the same letter renders to the same bytes")
}

// TestLetterText reads the letter back as pdftotext does, as a person's
// PDF reader would show it.
func TestLetterText(t *testing.T) {
	t.Parallel()
	b, err := letter().PDF()
	require.NoError(t, err)
	text, ok, err := simtest.PDFText(b)
	if !ok {
		t.Skip("pdftotext is not installed (Debian: poppler-utils)")
	}
	require.NoError(t, err)
	flat := strings.Join(strings.Fields(text), " ")
	for _, want := range []string{"Letter of Authorization and Connecting Facility Assignment", "LAG ID dxlag-ffd5k0x4", "core (primary)", "AWS account 123456789012", "dxcon-fh6ayh1d EqDC2-4h6ce2r1bes6 xe-"} {
		assert.Contains(t, flat, want)
	}
}

func TestLetterNonLatinNames(t *testing.T) {
	t.Parallel()
	l := letter()
	l.Customer, l.Name = "Société Réseau 東京", "Ünïcode"
	b, err := l.PDF()
	require.NoError(t, err)
	content, err := simtest.PDFContent(b)
	require.NoError(t, err)
	assert.Contains(t, content, "dxlag-ffd5k0x4")
}

func TestAssign(t *testing.T) {
	t.Parallel()
	a := loa.Assign("dxcon-fh6ayh1d", "EqDC2-4h6ce2r1bes6", "10Gbps")
	assert.Equal(t, a, loa.Assign("dxcon-fh6ayh1d", "EqDC2-4h6ce2r1bes6", "10Gbps"), "the same connection, the same port")
	assert.NotEqual(t, a, loa.Assign("dxcon-fgkzb4ng", "EqDC2-4h6ce2r1bes6", "10Gbps"), "another connection, another port")
	for bw, prefix := range map[string]string{"1Gbps": "ge-", "10Gbps": "xe-", "100Gbps": "et-", "400Gbps": "et-"} {
		assert.True(t, strings.HasPrefix(loa.Assign("dxcon-fh6ayh1d", "d", bw).Interface, prefix), "%s port %s", bw, prefix)
	}
	assert.Regexp(t, `^PP-\d\d ports \d+/\d+$`, a.Panel)
}

// TestEveryLetterReads renders letters for 500 connection IDs: compressed
// page data ends in any byte, a carriage return among them (about one
// letter in 128), and each must still read back whole.
func TestEveryLetterReads(t *testing.T) {
	t.Parallel()
	for i := range 500 {
		l := letter()
		l.ID = fmt.Sprintf("dxlag-%08d", i)
		b, err := l.PDF()
		require.NoError(t, err)
		content, err := simtest.PDFContent(b)
		require.NoError(t, err, "letter %s", l.ID)
		require.Contains(t, content, l.ID)
	}
}
