package sim

import (
	"strings"

	"github.com/dxsim/dxsim/sim/loa"
)

// The LOA-CFA (Letter of Authorization and Connecting Facility Assignment)
// is what a customer hands the colocation provider to order the cross
// connect to an AWS port. AWS issues it once the port is assigned, when the
// connection leaves requested for pending (loaIssueTime is set then), so a
// connection still requested has none; a hosted connection has no port of
// its own (its partner's interconnect carries it), so it has none either.

// RuleLOA refuses an LOA-CFA for something that has no port assigned.
const RuleLOA = "loa"

// LOA returns the LOA-CFA (a PDF) of a connection, interconnect or LAG, as
// DescribeLoa does. providerName, when given, is named as the requester of
// the cross connect; otherwise the account is.
func (s *Service) LOA(account, id, providerName string) ([]byte, error) {
	return s.letter(account, providerName, func(st *State) (loa.Letter, error) {
		if strings.HasPrefix(id, PrefixLAG) {
			l, err := findLAG(st, account, id)
			if err != nil {
				return loa.Letter{}, err
			}
			return s.lagLetter(st, l)
		}
		c, ok := st.Connections[id]
		if !ok || c.Owner != account || c.State == StateDeleted {
			return loa.Letter{}, clientErr(RuleNotFound, "Could not find Connection with ID %s", id)
		}
		return s.portLetter(c)
	})
}

// ConnectionLOA is DescribeConnectionLoa: the LOA-CFA of a connection (an
// interconnect's ID is not found, as DescribeConnections does not find it).
func (s *Service) ConnectionLOA(account, id, providerName string) ([]byte, error) {
	return s.letter(account, providerName, func(st *State) (loa.Letter, error) {
		c, err := findConnection(st, account, id)
		if err != nil {
			return loa.Letter{}, err
		}
		return s.portLetter(c)
	})
}

// InterconnectLOA is DescribeInterconnectLoa: the LOA-CFA of an interconnect.
func (s *Service) InterconnectLOA(account, id, providerName string) ([]byte, error) {
	return s.letter(account, providerName, func(st *State) (loa.Letter, error) {
		c, err := findInterconnect(st, account, id)
		if err != nil {
			return loa.Letter{}, err
		}
		return s.portLetter(c)
	})
}

// letter finds what the letter is for and fills it in under the read lock,
// then renders it outside the lock: rendering a PDF takes milliseconds that
// mutations should not wait for.
func (s *Service) letter(account, providerName string, find func(*State) (loa.Letter, error)) ([]byte, error) {
	var l loa.Letter
	err := s.read(func(st *State) error {
		var err error
		l, err = find(st)
		return err
	})
	if err != nil {
		return nil, err
	}
	l.Account, l.Customer = account, providerName
	if l.Customer == "" {
		l.Customer = "AWS account " + account
	}
	if l.Date.IsZero() {
		// With a data plane a port is pending from its order, before any
		// issue time is recorded: the letter is issued now.
		l.Date = s.clock.Now()
	}
	b, err := l.PDF()
	if err != nil {
		return nil, serverErr(err)
	}
	return b, nil
}

// portLetter is the letter of a dedicated connection or interconnect.
func (s *Service) portLetter(c *Connection) (loa.Letter, error) {
	noun := c.Kind.operationNoun()
	if c.Kind == KindHosted {
		return loa.Letter{}, clientErr(RuleLOA, "Connection %s is a hosted connection: it has no port of its own to cross connect (interconnect or LAG %s carries it), so it has no LOA-CFA.", c.ID, c.ParentID)
	}
	if err := loaIssued(noun+" "+c.ID, noun, c); err != nil {
		return loa.Letter{}, err
	}
	l := s.letterAt(noun, c.ID, c.Name, c.Region, c.Location, c.Bandwidth)
	l.Date = c.LOAIssueTime
	l.Ports = []loa.Port{loa.Assign(c.ID, c.Device, c.Bandwidth)}
	return l, nil
}

// lagLetter is the letter of a LAG: one port assignment per member, dated
// by the latest member's.
func (s *Service) lagLetter(st *State, lag *LAG) (loa.Letter, error) {
	members := st.Members(lag.ID)
	if len(members) == 0 {
		return loa.Letter{}, clientErr(RuleLOA, "Lag %s has no connections, so no ports to cross connect; its LOA-CFA names its connections' ports.", lag.ID)
	}
	l := s.letterAt("LAG", lag.ID, lag.Name, lag.Region, lag.Location, lag.Bandwidth)
	for _, c := range members {
		noun := c.Kind.operationNoun()
		if err := loaIssued(noun+" "+c.ID+" of Lag "+lag.ID, noun, c); err != nil {
			return loa.Letter{}, err
		}
		if c.LOAIssueTime.After(l.Date) {
			l.Date = c.LOAIssueTime
		}
		l.Ports = append(l.Ports, loa.Assign(c.ID, c.Device, c.Bandwidth))
	}
	return l, nil
}

// loaIssued: AWS issues the LOA-CFA when a port moves from requested to
// pending; a port being deleted (or never provisioned) has none. what names
// the port in the refusal.
func loaIssued(what, noun string, c *Connection) error {
	switch c.State {
	case StatePending, StateAvailable, StateDown:
		return nil
	case StateRequested:
		return clientErr(RuleLOA, "%s is in state requested: its LOA-CFA is issued once it is pending.", what)
	}
	return clientErr(RuleLOA, "%s is in state %s: an LOA-CFA is issued only for a %s that is pending, available or down.", what, c.State, strings.ToLower(noun))
}

func (s *Service) letterAt(kind, id, name, region, location, bandwidth string) loa.Letter {
	l := loa.Letter{Kind: kind, ID: id, Name: name, Region: region, Location: location, LocationName: location, Bandwidth: bandwidth}
	if loc, ok := s.cat.Location(location); ok {
		l.LocationName = loc.Name
	}
	return l
}
