package sim

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// The rules are pure functions of the state and a request: each returns nil
// or an *Error naming the rule and the IDs involved. The service checks them
// before it changes anything, so a refused request leaves state untouched.

// Quotas are the adjustable limits AWS applies per account and Region.
type Quotas struct {
	LAGsPerRegion   int // AWS: 10
	VIFsPerLAG      int // AWS: 50
	TagsPerResource int // AWS: 50
}

// DefaultQuotas are AWS's default quotas.
func DefaultQuotas() Quotas { return Quotas{LAGsPerRegion: 10, VIFsPerLAG: 50, TagsPerResource: 50} }

// MaxMembers is how many connections a LAG of the given bandwidth may hold:
// 4 below 100 Gbps, 2 at 100 or 400 Gbps.
func MaxMembers(bandwidth string) int {
	if bandwidthGbps[bandwidth] >= 100 {
		return 2
	}
	return 4
}

func findConnection(st *State, account, id string) (*Connection, error) {
	c, ok := st.Connections[id]
	if !ok || c.Owner != account || c.Kind == KindInterconnect || c.State == StateDeleted {
		return nil, clientErr(RuleNotFound, "Could not find Connection with ID %s", id)
	}
	return c, nil
}

// findLinkable finds a connection that may join a LAG or carry hosted
// connections: a dedicated or hosted connection, or an interconnect.
func findLinkable(st *State, account, id string) (*Connection, error) {
	c, ok := st.Connections[id]
	if !ok || c.Owner != account || c.State == StateDeleted {
		return nil, clientErr(RuleNotFound, "Could not find Connection with ID %s", id)
	}
	return c, nil
}

func findInterconnect(st *State, account, id string) (*Connection, error) {
	c, ok := st.Connections[id]
	if !ok || c.Owner != account || c.Kind != KindInterconnect || c.State == StateDeleted {
		return nil, clientErr(RuleNotFound, "Could not find Interconnect with ID %s", id)
	}
	return c, nil
}

func findLAG(st *State, account, id string) (*LAG, error) {
	l, ok := st.LAGs[id]
	if !ok || l.Owner != account || l.State == StateDeleted {
		return nil, clientErr(RuleNotFound, "Could not find Lag with ID %s", id)
	}
	return l, nil
}

func findVIF(st *State, account, id string) (*VIF, error) {
	v, ok := st.VIFs[id]
	if !ok || v.Owner != account || v.State == StateDeleted {
		return nil, clientErr(RuleNotFound, "Could not find Virtual Interface with ID %s", id)
	}
	return v, nil
}

// RuleHostedNotInLAG: only dedicated connections and interconnects join LAGs.
func ruleHostedNotInLAG(c *Connection, lag *LAG) error {
	if c.Kind == KindHosted {
		return clientErr(RuleHostedNotInLAG, "Connection %s is a hosted connection; only dedicated connections and interconnects can be associated with Lag %s.", c.ID, lag.ID)
	}
	return nil
}

// ruleBandwidth: every member has the LAG's bandwidth.
func ruleBandwidth(c *Connection, lag *LAG) error {
	if c.Bandwidth != lag.Bandwidth {
		return clientErr(RuleBandwidthMismatch, "Connection %s has bandwidth %s, which does not match the bandwidth %s of Lag %s.", c.ID, c.Bandwidth, lag.Bandwidth, lag.ID)
	}
	return nil
}

// ruleSameDevice: all members terminate on the LAG's AWS device, in its location.
func ruleSameDevice(c *Connection, lag *LAG) error {
	if c.Location != lag.Location || c.Device != lag.Device {
		return clientErr(RuleDifferentDevice, "Connection %s terminates on device %s in %s, but Lag %s is on device %s in %s; all members of a LAG must terminate on the same AWS device.", c.ID, c.Device, c.Location, lag.ID, lag.Device, lag.Location)
	}
	return nil
}

// ruleCapacity: a LAG holds at most MaxMembers(bandwidth) connections.
func ruleCapacity(st *State, lag *LAG, adding int) error {
	n, max := len(st.Members(lag.ID)), MaxMembers(lag.Bandwidth)
	if n+adding > max {
		return clientErr(RuleLAGFull, "Lag %s has %d connections; a %s LAG can have at most %d.", lag.ID, n, lag.Bandwidth, max)
	}
	return nil
}

// ruleMinimumLinks: removing c must not leave the LAG with fewer members than
// its minimumLinks, except (when lastAllowed) when c is the last member.
func ruleMinimumLinks(st *State, lag *LAG, c *Connection, lastAllowed bool) error {
	left := len(st.Members(lag.ID)) - 1
	if left < 0 || (lastAllowed && left == 0) {
		return nil
	}
	if left < lag.MinimumLinks {
		return clientErr(RuleMinimumLinks, "Removing connection %s would leave Lag %s with %d connections, fewer than its minimumLinks of %d.", c.ID, lag.ID, left, lag.MinimumLinks)
	}
	return nil
}

// ruleNotTransitioning: a LAG member whose association has not converged
// yet cannot be associated, disassociated or deleted ("is in a transitioning
// state", the message the AWS provider retries on). A connection a
// disassociate has just made standalone again is refused nothing: AWS lets
// it be deleted or associated at once.
func ruleNotTransitioning(c *Connection) error {
	if c.Transitioning && c.LAGID != "" {
		return clientErr(RuleTransitioning, "Connection %s is in a transitioning state.", c.ID)
	}
	return nil
}

// ruleUsable: a connection being deleted, rejected or still on order cannot
// be associated.
func ruleUsable(c *Connection) error {
	switch c.State {
	case StateDeleting, StateDeleted, StateRejected, StateOrdering:
		return clientErr(RuleState, "Connection %s is in state %s.", c.ID, c.State)
	}
	return nil
}

// CheckAssociate applies every rule of AssociateConnectionWithLag.
func CheckAssociate(st *State, account, connID, lagID string) (*Connection, *LAG, error) {
	c, err := findLinkable(st, account, connID)
	if err != nil {
		return nil, nil, err
	}
	lag, err := findLAG(st, account, lagID)
	if err != nil {
		return nil, nil, err
	}
	if err := ruleNotTransitioning(c); err != nil {
		return nil, nil, err
	}
	if c.LAGID == lag.ID {
		return nil, nil, clientErr(RuleInvalidArgument, "Connection %s is already associated with Lag %s.", c.ID, lag.ID)
	}
	checks := []func() error{
		func() error { return ruleHostedNotInLAG(c, lag) },
		func() error { return ruleUsable(c) },
		func() error { return ruleBandwidth(c, lag) },
		func() error { return ruleSameDevice(c, lag) },
		func() error { return ruleCapacity(st, lag, 1) },
		func() error {
			if old, ok := st.LAGs[c.LAGID]; ok {
				return ruleMinimumLinks(st, old, c, false)
			}
			return nil
		},
	}
	for _, check := range checks {
		if err := check(); err != nil {
			return nil, nil, err
		}
	}
	return c, lag, nil
}

// CheckDisassociate applies every rule of DisassociateConnectionFromLag.
func CheckDisassociate(st *State, account, connID, lagID string) (*Connection, *LAG, error) {
	c, err := findLinkable(st, account, connID)
	if err != nil {
		return nil, nil, err
	}
	lag, err := findLAG(st, account, lagID)
	if err != nil {
		return nil, nil, err
	}
	if c.LAGID != lag.ID {
		return nil, nil, clientErr(RuleNotMember, "Connection %s is not associated with Lag %s.", c.ID, lag.ID)
	}
	if err := ruleNotTransitioning(c); err != nil {
		return nil, nil, err
	}
	if err := ruleMinimumLinks(st, lag, c, true); err != nil {
		return nil, nil, err
	}
	return c, lag, nil
}

// CheckDeleteLag: a LAG with virtual interfaces or hosted connections, or
// with a member mid-association, cannot be deleted.
func CheckDeleteLag(st *State, account, lagID string) (*LAG, error) {
	lag, err := findLAG(st, account, lagID)
	if err != nil {
		return nil, err
	}
	if vifs := st.VIFsOn(lag.ID); len(vifs) > 0 {
		return nil, clientErr(RuleLAGInUse, "Lag %s has virtual interfaces (%s); delete them first.", lag.ID, vifIDs(vifs))
	}
	if hosted := st.Hosted(lag.ID); len(hosted) > 0 {
		return nil, clientErr(RuleLAGInUse, "Lag %s has hosted connections (%s); delete them first.", lag.ID, connIDs(hosted))
	}
	for _, m := range st.Members(lag.ID) {
		if err := ruleNotTransitioning(m); err != nil {
			return nil, err
		}
	}
	return lag, nil
}

// CheckMinimumLinksSetting: minimumLinks is between 0 and the LAG's member count.
func CheckMinimumLinksSetting(st *State, lag *LAG, n int) error {
	members := len(st.Members(lag.ID))
	if n < 0 || n > members {
		return clientErr(RuleMinimumLinks, "minimumLinks %d for Lag %s must be between 0 and its %d connections.", n, lag.ID, members)
	}
	return nil
}

// CheckPortSpeed: a dedicated port speed a location of the endpoint's
// Region offers. A location of another Region is ordered from that Region's
// endpoint, as in AWS.
func CheckPortSpeed(cat *Catalogue, region, location, bandwidth string) (Location, error) {
	loc, ok := cat.Location(location)
	if !ok {
		return Location{}, clientErr(RuleInvalidArgument, "Location %s is not a valid Direct Connect location.", location)
	}
	if loc.Region != region {
		return Location{}, clientErr(RuleInvalidArgument, "Location %s is in %s, not in %s: use the %s endpoint.", location, loc.Region, region, loc.Region)
	}
	if !slices.Contains(loc.PortSpeeds, bandwidth) {
		return Location{}, clientErr(RuleInvalidArgument, "Bandwidth %s is not available at location %s; available: %s.", bandwidth, location, strings.Join(loc.PortSpeeds, ", "))
	}
	return loc, nil
}

// CheckLAGQuota: at most q.LAGsPerRegion LAGs per account and Region.
func CheckLAGQuota(st *State, account, region string, q Quotas) error {
	n := 0
	for _, l := range st.LAGs {
		if l.Owner == account && l.Region == region && l.State != StateDeleted {
			n++
		}
	}
	if n >= q.LAGsPerRegion {
		return clientErr(RuleQuota, "Account %s already has %d LAGs in %s, the limit.", account, n, region)
	}
	return nil
}

// CheckVIFQuota: at most q.VIFsPerLAG virtual interfaces on a LAG.
func CheckVIFQuota(st *State, parentID string, q Quotas) error {
	if !strings.HasPrefix(parentID, PrefixLAG) {
		return nil
	}
	if n := len(st.VIFsOn(parentID)); n >= q.VIFsPerLAG {
		return clientErr(RuleQuota, "Lag %s already has %d virtual interfaces, the limit.", parentID, n)
	}
	return nil
}

// CheckVLAN: 1-4094, and not already used on the parent by a VIF or a hosted
// connection.
func CheckVLAN(st *State, parentID string, vlan int, except string) error {
	if err := CheckVLANRange(vlan); err != nil {
		return err
	}
	for _, v := range st.VIFsOn(parentID) {
		if v.VLAN == vlan && v.ID != except {
			return clientErr(RuleInUse, "VLAN %d is already in use on %s by virtual interface %s.", vlan, parentID, v.ID)
		}
	}
	for _, h := range st.Hosted(parentID) {
		if h.VLAN == vlan && h.ID != except {
			return clientErr(RuleInUse, "VLAN %d is already in use on %s by hosted connection %s.", vlan, parentID, h.ID)
		}
	}
	return nil
}

var hexKey = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)

// CheckMACsecKey: CKN and CAK are 64 hexadecimal characters each.
func CheckMACsecKey(ckn, cak string) error {
	if !hexKey.MatchString(ckn) {
		return clientErr(RuleMACsec, "The CKN must be 64 hexadecimal characters.")
	}
	if !hexKey.MatchString(cak) {
		return clientErr(RuleMACsec, "The CAK must be 64 hexadecimal characters.")
	}
	return nil
}

// CheckMACsecCapable: MACsec runs on dedicated 10, 100 and 400 Gbps ports
// requested with MACsec.
func CheckMACsecCapable(id, bandwidth string, capable bool) error {
	if !capable || bandwidthGbps[bandwidth] < 10 {
		return clientErr(RuleMACsec, "%s does not support MACsec; MACsec needs a dedicated 10, 100 or 400 Gbps port requested with requestMACSec.", id)
	}
	return nil
}

// CheckEncryptionMode: no_encrypt, should_encrypt or must_encrypt.
func CheckEncryptionMode(mode string) error {
	switch mode {
	case EncryptNo, EncryptShould, EncryptMust:
		return nil
	}
	return clientErr(RuleMACsec, "encryptionMode %q must be one of no_encrypt, should_encrypt, must_encrypt.", mode)
}

// tagChars is the model's TagKey and TagValue pattern.
var tagChars = regexp.MustCompile(`^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`)

// checkTag: the model's TagKey (1-128 characters) and TagValue (0-256)
// lengths and their pattern: letters, separators, digits and _.:/=+-@.
func checkTag(t Tag) error {
	if n := utf8.RuneCountInString(t.Key); n < 1 || n > 128 {
		return clientErr(RuleTags, "A tag key must be between 1 and 128 characters; it has %d.", n)
	}
	if n := utf8.RuneCountInString(t.Value); n > 256 {
		return clientErr(RuleTags, "The value of tag %.40s must be at most 256 characters; it has %d.", t.Key, n)
	}
	if !tagChars.MatchString(t.Key) {
		return clientErr(RuleTags, "Tag key %q may hold only letters, digits, spaces and _.:/=+-@.", t.Key)
	}
	if !tagChars.MatchString(t.Value) {
		return clientErr(RuleTags, "The value of tag %s may hold only letters, digits, spaces and _.:/=+-@.", t.Key)
	}
	return nil
}

// CheckTags: valid, unique keys, at most q.TagsPerResource in all.
func CheckTags(existing, adding []Tag, q Quotas) ([]Tag, error) {
	seen := map[string]bool{}
	for _, t := range adding {
		if t.Key == "" {
			return nil, clientErr(RuleTags, "A tag key must not be empty.")
		}
		if err := checkTag(t); err != nil {
			return nil, err
		}
		if seen[t.Key] {
			return nil, &Error{Code: CodeDuplicateTags, Rule: RuleTags, Message: fmt.Sprintf("Duplicate tag key %s.", t.Key)}
		}
		seen[t.Key] = true
	}
	out := slices.Clone(existing)
	for _, t := range adding {
		if i := slices.IndexFunc(out, func(o Tag) bool { return o.Key == t.Key }); i >= 0 {
			out[i] = t
		} else {
			out = append(out, t)
		}
	}
	if len(out) > q.TagsPerResource {
		return nil, &Error{Code: CodeTooManyTags, Rule: RuleTags, Message: fmt.Sprintf("A resource can have at most %d tags.", q.TagsPerResource)}
	}
	return out, nil
}

func vifIDs(vs []*VIF) string {
	ids := make([]string, len(vs))
	for i, v := range vs {
		ids[i] = v.ID
	}
	return strings.Join(ids, ", ")
}

func connIDs(cs []*Connection) string {
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return strings.Join(ids, ", ")
}
