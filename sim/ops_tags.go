package sim

import (
	"slices"
)

// ResourceTags are one resource's tags.
type ResourceTags struct {
	ARN  string
	Tags []Tag
}

// resolveARN finds the caller's resource an ARN names.
func (s *Service) resolveARN(st *State, account, arn string) (string, error) {
	region, acct, id, err := ParseARN(arn)
	if err != nil {
		return "", clientErr(RuleInvalidArgument, "%s", err.Error())
	}
	if region == "" && acct == account {
		if _, err := findGateway(st, account, id); err == nil {
			return id, nil
		}
	}
	if region != s.region || acct != account {
		return "", clientErr(RuleNotFound, "Could not find resource with ARN %s", arn)
	}
	if _, ok := st.Connections[id]; ok {
		_, err := findLinkable(st, account, id)
		return id, err
	}
	if _, err := findLAG(st, account, id); err == nil {
		return id, nil
	}
	if _, err := findVIF(st, account, id); err == nil {
		return id, nil
	}
	return "", clientErr(RuleNotFound, "Could not find resource with ARN %s", arn)
}

func tagsOf(st *State, id string) []Tag {
	if c, ok := st.Connections[id]; ok {
		return c.Tags
	}
	if l, ok := st.LAGs[id]; ok {
		return l.Tags
	}
	if g, ok := st.Gateways[id]; ok {
		return g.Tags
	}
	return st.VIFs[id].Tags
}

func setTags(t *txn, id string, tags []Tag) {
	if c, ok := t.st.Connections[id]; ok {
		n := c.clone()
		n.Tags = tags
		t.putConn(n)
	} else if l, ok := t.st.LAGs[id]; ok {
		n := l.clone()
		n.Tags = tags
		t.putLAG(n)
	} else if v, ok := t.st.VIFs[id]; ok {
		n := v.clone()
		n.Tags = tags
		t.putVIF(n)
	} else if g, ok := t.st.Gateways[id]; ok {
		n := g.clone()
		n.Tags = tags
		t.putGateway(n)
	}
}

// TagResource adds or replaces tags on a connection, LAG, VIF or Direct
// Connect gateway.
func (s *Service) TagResource(account, arn string, tags []Tag) error {
	return s.mutate(func(t *txn) error {
		id, err := s.resolveARN(t.st, account, arn)
		if err != nil {
			return err
		}
		merged, err := CheckTags(tagsOf(t.st, id), tags, s.quotas)
		if err != nil {
			return err
		}
		setTags(t, id, merged)
		return nil
	})
}

// UntagResource removes tags by key.
func (s *Service) UntagResource(account, arn string, keys []string) error {
	return s.mutate(func(t *txn) error {
		id, err := s.resolveARN(t.st, account, arn)
		if err != nil {
			return err
		}
		kept := slices.DeleteFunc(slices.Clone(tagsOf(t.st, id)), func(tag Tag) bool { return slices.Contains(keys, tag.Key) })
		setTags(t, id, kept)
		return nil
	})
}

// Tags describes the tags of resources by ARN.
func (s *Service) Tags(account string, arns []string) ([]ResourceTags, error) {
	var out []ResourceTags
	err := s.read(func(st *State) error {
		for _, arn := range arns {
			id, err := s.resolveARN(st, account, arn)
			if err != nil {
				return err
			}
			out = append(out, ResourceTags{ARN: arn, Tags: tagsOf(st, id)})
		}
		return nil
	})
	return out, err
}
