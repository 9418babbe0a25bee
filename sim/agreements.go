package sim

import (
	"context"
	"maps"
	"strings"
	"time"
)

// Customer agreements: the terms an account accepts before it orders some
// kinds of ports (ConfirmCustomerAgreement), and what DescribeCustomerMetadata
// reports of them. Signing the NNI partner agreements is what makes an
// account a network-to-network interface partner, so the account's
// nniPartnerType follows from them. A signature is durable and is never
// withdrawn through the API.

// The customer agreements an account can sign.
const (
	AgreementMACsec       = "MACsec"       // MACsec on dedicated ports
	AgreementNNIPartner   = "NNIPartner"   // NNI partner v1: sub-gigabit hosted connections
	AgreementNNIPartnerV2 = "NNIPartnerV2" // NNI partner v2: 1 to 10 Gbps hosted connections
)

// AgreementNames are the agreements, in the order they are described.
var AgreementNames = []string{AgreementMACsec, AgreementNNIPartner, AgreementNNIPartnerV2}

// An agreement's status, and the account's NNI partner type, as the model
// spells them.
const (
	AgreementSigned   = "signed"
	AgreementUnsigned = "unsigned"

	NNIPartnerV1  = "v1"
	NNIPartnerV2  = "v2"
	NNINonPartner = "nonPartner"
)

// RuleAgreement refuses a name that is not one of AgreementNames.
const RuleAgreement = "agreement"

const agreementsHint = "MACsec, NNIPartner, NNIPartnerV2"

// Agreements is the agreements an account has signed, and when.
type Agreements struct {
	Account string               `json:"account"`
	Signed  map[string]time.Time `json:"signed"`
}

func (a *Agreements) clone() *Agreements {
	return &Agreements{Account: a.Account, Signed: maps.Clone(a.Signed)}
}

// AgreementStatus is one agreement and whether the account has signed it.
type AgreementStatus struct {
	Name, Status string
}

// CustomerMetadata returns every agreement with the account's status, and
// its NNI partner type.
func (s *Service) CustomerMetadata(account string) ([]AgreementStatus, string, error) {
	var signed map[string]time.Time
	err := s.read(func(st *State) error {
		if a := st.Agreements[account]; a != nil {
			signed = a.Signed
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	out := make([]AgreementStatus, len(AgreementNames))
	for i, name := range AgreementNames {
		out[i] = AgreementStatus{Name: name, Status: AgreementUnsigned}
		if _, ok := signed[name]; ok {
			out[i].Status = AgreementSigned
		}
	}
	return out, nniPartnerType(signed), nil
}

// nniPartnerType: v2 once the v2 agreement is signed (it supersedes v1).
func nniPartnerType(signed map[string]time.Time) string {
	if _, ok := signed[AgreementNNIPartnerV2]; ok {
		return NNIPartnerV2
	}
	if _, ok := signed[AgreementNNIPartner]; ok {
		return NNIPartnerV1
	}
	return NNINonPartner
}

// ConfirmCustomerAgreement signs an agreement for the account and returns
// its status, signed. Signing again changes nothing (the first signature's
// time is kept). Names are matched exactly; an unknown one is refused.
func (s *Service) ConfirmCustomerAgreement(ctx context.Context, account, name string) (string, error) {
	err := s.do(ctx, "ConfirmCustomerAgreement", func(t *txn) error {
		if err := CheckAgreementName(name); err != nil {
			return err
		}
		a := t.st.Agreements[account]
		if a == nil {
			a = &Agreements{Account: account}
		} else if _, ok := a.Signed[name]; ok {
			return nil
		}
		n := a.clone()
		if n.Signed == nil {
			n.Signed = map[string]time.Time{}
		}
		n.Signed[name] = t.now
		t.putAgreements(n)
		return nil
	})
	if err != nil {
		return "", err
	}
	return AgreementSigned, nil
}

// CheckAgreementName: one of AgreementNames, spelled exactly.
func CheckAgreementName(name string) error {
	if name == "" {
		return clientErr(RuleAgreement, "agreementName is required; the agreements are %s.", agreementsHint)
	}
	for _, n := range AgreementNames {
		if n == name {
			return nil
		}
		if strings.EqualFold(n, name) {
			return clientErr(RuleAgreement, "Agreement %s is not a Direct Connect customer agreement; did you mean %s? The agreements are %s.", name, n, agreementsHint)
		}
	}
	return clientErr(RuleAgreement, "Agreement %s is not a Direct Connect customer agreement; the agreements are %s.", name, agreementsHint)
}

// putAgreements replaces an account's agreements within t.
func (t *txn) putAgreements(a *Agreements) {
	if t.st.Agreements == nil {
		t.st.Agreements = map[string]*Agreements{}
	}
	m := t.st.Agreements
	old, had := m[a.Account]
	t.undo = append(t.undo, func() {
		if had {
			m[a.Account] = old
		} else {
			delete(m, a.Account)
		}
	})
	m[a.Account] = a
	t.agreements = append(t.agreements, a)
}
