package sim_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/boltstore"
)

func TestCheckAgreementName(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, want string // want: a fragment of the refusal, "" when accepted
	}{
		{"MACsec", ""},
		{"NNIPartner", ""},
		{"NNIPartnerV2", ""},
		{"", "agreementName is required"},
		{"macsec", "did you mean MACsec"},
		{"NNI Partner", "Agreement NNI Partner is not a Direct Connect customer agreement"},
		{"MACsec ", "is not a Direct Connect customer agreement"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := sim.CheckAgreementName(tc.name)
			if tc.want == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, sim.RuleAgreement, sim.RuleOf(err))
			assert.Contains(t, err.Error(), tc.want)
			assert.Contains(t, err.Error(), "MACsec, NNIPartner, NNIPartnerV2", "the refusal lists the agreements")
		})
	}
}

func statuses(t *testing.T, s *sim.Service, account string) (map[string]string, string) {
	t.Helper()
	as, nni, err := s.CustomerMetadata(account)
	require.NoError(t, err)
	out := map[string]string{}
	for _, a := range as {
		out[a.Name] = a.Status
	}
	return out, nni
}

func TestCustomerAgreements(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newService(t, nil)
	got, nni := statuses(t, s, acct)
	assert.Equal(t, map[string]string{"MACsec": "unsigned", "NNIPartner": "unsigned", "NNIPartnerV2": "unsigned"}, got)
	assert.Equal(t, sim.NNINonPartner, nni)
	for _, step := range []struct{ sign, nni string }{
		{"MACsec", sim.NNINonPartner},
		{"NNIPartner", sim.NNIPartnerV1},
		{"NNIPartner", sim.NNIPartnerV1}, // signing again changes nothing
		{"NNIPartnerV2", sim.NNIPartnerV2},
	} {
		status, err := s.ConfirmCustomerAgreement(ctx, acct, step.sign)
		require.NoError(t, err, "sign %s", step.sign)
		assert.Equal(t, sim.AgreementSigned, status)
		got, nni := statuses(t, s, acct)
		assert.Equal(t, sim.AgreementSigned, got[step.sign])
		assert.Equal(t, step.nni, nni, "after signing %s", step.sign)
	}
	other, nni := statuses(t, s, "210987654321")
	assert.Equal(t, "unsigned", other["MACsec"], "another account's agreements are its own")
	assert.Equal(t, sim.NNINonPartner, nni)

	_, err := s.ConfirmCustomerAgreement(ctx, "210987654321", "Unknown")
	assert.Equal(t, sim.RuleAgreement, sim.RuleOf(err))
	other, _ = statuses(t, s, "210987654321")
	assert.NotContains(t, other, "Unknown", "a refused name is not recorded")
}

// TestAgreementsSurviveRestart: a signature is in the bbolt state.
func TestAgreementsSurviveRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	store, err := boltstore.Open(dir)
	require.NoError(t, err)
	s, err := sim.New(sim.Config{Store: store})
	require.NoError(t, err)
	_, err = s.ConfirmCustomerAgreement(context.Background(), acct, sim.AgreementNNIPartnerV2)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.NoError(t, store.Close())

	store, err = boltstore.Open(dir)
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	s, err = sim.New(sim.Config{Store: store})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	got, nni := statuses(t, s, acct)
	assert.Equal(t, sim.AgreementSigned, got[sim.AgreementNNIPartnerV2])
	assert.Equal(t, sim.AgreementUnsigned, got[sim.AgreementMACsec])
	assert.Equal(t, sim.NNIPartnerV2, nni)
}
