package sim

import (
	"fmt"
	"slices"
	"time"
)

// AssociateMACsecKey associates a MACsec key with a dedicated connection or
// LAG: either an existing secret by ARN, or a CKN/CAK pair, which is stored
// as a new secret (the CAK itself is never returned).
func (s *Service) AssociateMACsecKey(account, id, secretARN, ckn, cak string) ([]MACsecKey, error) {
	var keys []MACsecKey
	err := s.mutate(func(t *txn) error {
		var key MACsecKey
		switch {
		case secretARN != "" && (ckn != "" || cak != ""):
			return clientErr(RuleMACsec, "Give either secretARN or ckn and cak, not both.")
		case secretARN != "":
			key = MACsecKey{SecretARN: secretARN, CKN: secretCKN(t.st, secretARN)}
			if key.CKN == "" {
				return clientErr(RuleMACsec, "Could not find MACsec secret %s.", secretARN)
			}
		default:
			if err := CheckMACsecKey(ckn, cak); err != nil {
				return err
			}
			key = MACsecKey{CKN: ckn, SecretARN: fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:directconnect!prod/%s/%s", s.region, account, id, ckn[:8])}
		}
		key.State, key.StartOn = "associated", t.now.UTC().Format(time.RFC3339)
		return s.updateKeys(t, account, id, func(existing []MACsecKey, bandwidth string, capable bool) ([]MACsecKey, error) {
			if err := CheckMACsecCapable(id, bandwidth, capable); err != nil {
				return nil, err
			}
			if slices.ContainsFunc(existing, func(k MACsecKey) bool { return k.CKN == key.CKN }) {
				return nil, clientErr(RuleMACsec, "A MACsec key with CKN %s is already associated with %s.", key.CKN, id)
			}
			keys = append(slices.Clone(existing), key)
			return keys, nil
		})
	})
	return keys, err
}

// DisassociateMACsecKey removes a MACsec key by its secret's ARN.
func (s *Service) DisassociateMACsecKey(account, id, secretARN string) ([]MACsecKey, error) {
	var removed []MACsecKey
	err := s.mutate(func(t *txn) error {
		return s.updateKeys(t, account, id, func(existing []MACsecKey, _ string, _ bool) ([]MACsecKey, error) {
			i := slices.IndexFunc(existing, func(k MACsecKey) bool { return k.SecretARN == secretARN })
			if i < 0 {
				return nil, clientErr(RuleMACsec, "MACsec key %s is not associated with %s.", secretARN, id)
			}
			k := existing[i]
			k.State = "disassociated"
			removed = []MACsecKey{k}
			return slices.Delete(slices.Clone(existing), i, i+1), nil
		})
	})
	return removed, err
}

func (s *Service) updateKeys(t *txn, account, id string, fn func([]MACsecKey, string, bool) ([]MACsecKey, error)) error {
	if l, err := findLAG(t.st, account, id); err == nil {
		keys, err := fn(l.MACsecKeys, l.Bandwidth, l.MACsecCapable)
		if err != nil {
			return err
		}
		n := l.clone()
		n.MACsecKeys = keys
		t.putLAG(n)
		s.settleLAG(t, n.ID) // with must_encrypt, keys decide whether members carry traffic
		return nil
	}
	c, err := findLinkable(t.st, account, id)
	if err != nil {
		return err
	}
	if c.Kind == KindHosted {
		return clientErr(RuleMACsec, "Connection %s is a hosted connection; MACsec runs on dedicated connections and LAGs.", c.ID)
	}
	if c.LAGID != "" {
		return clientErr(RuleMACsec, "Connection %s is a member of Lag %s; associate MACsec keys with the LAG.", c.ID, c.LAGID)
	}
	keys, err := fn(c.MACsecKeys, c.Bandwidth, c.MACsecCapable)
	if err != nil {
		return err
	}
	n := c.clone()
	n.MACsecKeys = keys
	t.putConn(n)
	return nil
}

// secretCKN finds the CKN of a secret already associated with some resource.
func secretCKN(st *State, arn string) string {
	for _, c := range st.Connections {
		for _, k := range c.MACsecKeys {
			if k.SecretARN == arn {
				return k.CKN
			}
		}
	}
	for _, l := range st.LAGs {
		for _, k := range l.MACsecKeys {
			if k.SecretARN == arn {
				return k.CKN
			}
		}
	}
	return ""
}
