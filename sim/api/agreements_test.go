package api_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	dx "github.com/aws/aws-sdk-go-v2/service/directconnect"
	"github.com/aws/aws-sdk-go-v2/service/directconnect/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim/simtest"
)

func agreements(t *testing.T, e *env) (map[string]string, types.NniPartnerType) {
	t.Helper()
	out, err := e.dx.DescribeCustomerMetadata(ctx, &dx.DescribeCustomerMetadataInput{})
	require.NoError(t, err)
	got := map[string]string{}
	for _, a := range out.Agreements {
		got[aws.ToString(a.AgreementName)] = aws.ToString(a.Status)
	}
	return got, out.NniPartnerType
}

func TestCustomerAgreements(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	got, nni := agreements(t, e)
	assert.Equal(t, map[string]string{"MACsec": "unsigned", "NNIPartner": "unsigned", "NNIPartnerV2": "unsigned"}, got)
	assert.Equal(t, types.NniPartnerTypeNonPartner, nni)

	for _, step := range []struct {
		name string
		nni  types.NniPartnerType
	}{
		{"MACsec", types.NniPartnerTypeNonPartner},
		{"NNIPartner", types.NniPartnerTypeV1},
		{"NNIPartnerV2", types.NniPartnerTypeV2},
	} {
		out, err := e.dx.ConfirmCustomerAgreement(ctx, &dx.ConfirmCustomerAgreementInput{AgreementName: aws.String(step.name)})
		require.NoError(t, err, "ConfirmCustomerAgreement %s", step.name)
		assert.Equal(t, "signed", aws.ToString(out.Status))
		got, nni := agreements(t, e)
		assert.Equal(t, "signed", got[step.name])
		assert.Equal(t, step.nni, nni, "after %s", step.name)
	}
}

func TestConfirmCustomerAgreementRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	before, _ := agreements(t, e)
	for _, tc := range []struct {
		name string
		in   *string
		want string
	}{
		{"unknown", aws.String("Peering"), "Agreement Peering is not a Direct Connect customer agreement"},
		{"case differs", aws.String("MACSEC"), "did you mean MACsec"},
		{"missing", nil, "agreementName is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.dx.ConfirmCustomerAgreement(ctx, &dx.ConfirmCustomerAgreementInput{AgreementName: tc.in})
			require.Error(t, err)
			assert.Equal(t, "DirectConnectClientException", apiCode(err), "%v", err)
			var re interface{ HTTPStatusCode() int }
			if assert.True(t, asAny(err, &re), "%v", err) {
				assert.Equal(t, 400, re.HTTPStatusCode())
			}
			assert.Contains(t, apiMessage(err), tc.want)
		})
	}
	after, _ := agreements(t, e)
	assert.Equal(t, before, after, "refusals sign nothing")
}

// TestCustomerAgreementsAcrossRestart: a signature is kept in the state.
func TestCustomerAgreementsAcrossRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	clock := simtest.NewClock()
	first, stop := openDurableEnv(t, dir, clock)
	_, err := first.dx.ConfirmCustomerAgreement(ctx, &dx.ConfirmCustomerAgreementInput{AgreementName: aws.String("NNIPartner")})
	require.NoError(t, err)
	before, nni := agreements(t, first)
	require.Equal(t, types.NniPartnerTypeV1, nni)
	stop()

	second := newDurableEnv(t, dir, clock)
	after, nni := agreements(t, second)
	assert.Equal(t, before, after, "agreements across a restart")
	assert.Equal(t, types.NniPartnerTypeV1, nni)
}
