package api_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	dx "github.com/aws/aws-sdk-go-v2/service/directconnect"
	"github.com/aws/aws-sdk-go-v2/service/directconnect/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim/simtest"
)

// loaPorts orders a connection, an interconnect and a two-member LAG and
// lets the schedule take them past requested, when their LOA-CFA is
// issued; and one more connection, still requested.
func loaPorts(t *testing.T, e *env) (conn, ic, lag, requested string) {
	t.Helper()
	conn = e.conn("10Gbps", "")
	icOut, err := e.dx.CreateInterconnect(ctx, &dx.CreateInterconnectInput{Location: aws.String("EqDC2"), Bandwidth: aws.String("10Gbps"), InterconnectName: aws.String("partner")})
	require.NoError(t, err)
	lag = aws.ToString(e.lag(2, "10Gbps").LagId)
	e.clock.Advance(time.Second)
	requested = e.conn("10Gbps", "")
	return conn, aws.ToString(icOut.InterconnectId), lag, requested
}

// loaText checks a letter is a PDF and returns what its pages draw.
func loaText(t *testing.T, loa *types.Loa) string {
	t.Helper()
	require.NotNil(t, loa)
	assert.Equal(t, types.LoaContentTypePdf, loa.LoaContentType, "loaContentType")
	content, err := simtest.PDFContent(loa.LoaContent)
	require.NoError(t, err, "loaContent is not a whole PDF")
	return content
}

func TestDescribeLoa(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	conn, ic, lag, _ := loaPorts(t, e)
	out, err := e.dx.DescribeLoa(ctx, &dx.DescribeLoaInput{ConnectionId: aws.String(conn), LoaContentType: types.LoaContentTypePdf, ProviderName: aws.String("Example Networks")})
	require.NoError(t, err)
	text := loaText(t, &types.Loa{LoaContent: out.LoaContent, LoaContentType: out.LoaContentType})
	assert.Contains(t, text, conn)
	assert.Contains(t, text, "Example Networks", "the providerName is the requester")

	out, err = e.dx.DescribeLoa(ctx, &dx.DescribeLoaInput{ConnectionId: aws.String(ic)})
	require.NoError(t, err, "DescribeLoa of an interconnect")
	assert.Contains(t, loaText(t, &types.Loa{LoaContent: out.LoaContent, LoaContentType: out.LoaContentType}), ic)

	lags, err := e.dx.DescribeLags(ctx, &dx.DescribeLagsInput{LagId: aws.String(lag)})
	require.NoError(t, err)
	out, err = e.dx.DescribeLoa(ctx, &dx.DescribeLoaInput{ConnectionId: aws.String(lag)})
	require.NoError(t, err, "DescribeLoa of a LAG")
	text = loaText(t, &types.Loa{LoaContent: out.LoaContent, LoaContentType: out.LoaContentType})
	assert.Contains(t, text, lag)
	for _, m := range lags.Lags[0].Connections {
		assert.Contains(t, text, aws.ToString(m.ConnectionId), "the LAG's letter names member %s", aws.ToString(m.ConnectionId))
	}
}

func TestDeprecatedLoaOperations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	conn, ic, _, _ := loaPorts(t, e)
	c, err := e.dx.DescribeConnectionLoa(ctx, &dx.DescribeConnectionLoaInput{ConnectionId: aws.String(conn)})
	require.NoError(t, err)
	assert.Contains(t, loaText(t, c.Loa), conn)
	i, err := e.dx.DescribeInterconnectLoa(ctx, &dx.DescribeInterconnectLoaInput{InterconnectId: aws.String(ic)})
	require.NoError(t, err)
	assert.Contains(t, loaText(t, i.Loa), ic)
}

// TestLoaRefusals: each refusal is a 400 DirectConnectClientException naming
// the rule and the ID, and changes nothing.
func TestLoaRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	conn, ic, _, requested := loaPorts(t, e)
	h, err := e.dx.AllocateHostedConnection(ctx, &dx.AllocateHostedConnectionInput{ConnectionId: aws.String(ic), OwnerAccount: aws.String("123456789012"),
		Bandwidth: aws.String("500Mbps"), ConnectionName: aws.String("h"), Vlan: 10})
	require.NoError(t, err)
	hosted := aws.ToString(h.ConnectionId)
	before := describeAll(t, e)
	cases := []struct {
		name, want string
		call       func() error
	}{
		{"requested connection", requested + " is in state requested: its LOA-CFA is issued once it is pending", func() error {
			_, err := e.dx.DescribeLoa(ctx, &dx.DescribeLoaInput{ConnectionId: aws.String(requested)})
			return err
		}},
		{"hosted connection", hosted + " is a hosted connection", func() error {
			_, err := e.dx.DescribeLoa(ctx, &dx.DescribeLoaInput{ConnectionId: aws.String(hosted)})
			return err
		}},
		{"unknown connection", "Could not find Connection with ID dxcon-zzzzzzzz", func() error {
			_, err := e.dx.DescribeLoa(ctx, &dx.DescribeLoaInput{ConnectionId: aws.String("dxcon-zzzzzzzz")})
			return err
		}},
		{"unknown LAG", "Could not find Lag with ID dxlag-zzzzzzzz", func() error {
			_, err := e.dx.DescribeLoa(ctx, &dx.DescribeLoaInput{ConnectionId: aws.String("dxlag-zzzzzzzz")})
			return err
		}},
		{"requested, by DescribeConnectionLoa", requested + " is in state requested", func() error {
			_, err := e.dx.DescribeConnectionLoa(ctx, &dx.DescribeConnectionLoaInput{ConnectionId: aws.String(requested)})
			return err
		}},
		{"interconnect, by DescribeConnectionLoa", "Could not find Connection with ID " + ic, func() error {
			_, err := e.dx.DescribeConnectionLoa(ctx, &dx.DescribeConnectionLoaInput{ConnectionId: aws.String(ic)})
			return err
		}},
		{"connection, by DescribeInterconnectLoa", "Could not find Interconnect with ID " + conn, func() error {
			_, err := e.dx.DescribeInterconnectLoa(ctx, &dx.DescribeInterconnectLoaInput{InterconnectId: aws.String(conn)})
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			require.Error(t, err)
			assert.Equal(t, "DirectConnectClientException", apiCode(err), "%v", err)
			var re interface{ HTTPStatusCode() int }
			if assert.True(t, asAny(err, &re), "%v", err) {
				assert.Equal(t, 400, re.HTTPStatusCode())
			}
			assert.Contains(t, apiMessage(err), tc.want)
		})
	}
	assert.Equal(t, before, describeAll(t, e), "a refused LOA-CFA changes nothing")
}

// TestLoaText reads the letter as a person's PDF reader shows it, with
// poppler's pdftotext.
func TestLoaText(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	conn, _, _, _ := loaPorts(t, e)
	out, err := e.dx.DescribeLoa(ctx, &dx.DescribeLoaInput{ConnectionId: aws.String(conn)})
	require.NoError(t, err)
	text, ok, err := simtest.PDFText(out.LoaContent)
	if !ok {
		t.Skip("pdftotext is not installed (Debian: poppler-utils)")
	}
	require.NoError(t, err)
	flat := strings.Join(strings.Fields(text), " ")
	for _, want := range []string{"Letter of Authorization and Connecting Facility Assignment", "Connection ID " + conn, "AWS account 123456789012", "Port speed 10Gbps", "1 January 2025"} {
		assert.Contains(t, flat, want)
	}
}
