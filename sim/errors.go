package sim

import (
	"errors"
	"fmt"
)

// AWS error codes the control plane returns.
const (
	CodeClient        = "DirectConnectClientException"
	CodeServer        = "DirectConnectServerException"
	CodeDuplicateTags = "DuplicateTagKeysException"
	CodeTooManyTags   = "TooManyTagsException"
)

// Error is a Direct Connect API error: the AWS error code clients branch on
// and a message naming the rule that failed and the IDs involved.
type Error struct {
	Code    string
	Message string
	// Rule names the rule that refused the request ("" for server faults), so
	// tests and logs can tell rules apart without parsing messages.
	Rule string
	// Err is the underlying cause of a server fault.
	Err error
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func (e *Error) Unwrap() error { return e.Err }

// Rule names, one per rule in rules.go.
const (
	RuleNotFound          = "not-found"
	RuleInvalidArgument   = "invalid-argument"
	RuleHostedNotInLAG    = "hosted-connection-in-lag"
	RuleBandwidthMismatch = "bandwidth-mismatch"
	RuleLAGFull           = "lag-full"
	RuleDifferentDevice   = "different-device"
	RuleMinimumLinks      = "minimum-links"
	RuleTransitioning     = "transitioning"
	RuleNotMember         = "not-a-member"
	RuleState             = "state"
	RuleLAGInUse          = "lag-in-use"
	RuleInUse             = "in-use"
	RuleQuota             = "quota"
	RuleMACsec            = "macsec"
	RuleTags              = "tags"
)

func clientErr(rule, format string, args ...any) *Error {
	return &Error{Code: CodeClient, Rule: rule, Message: fmt.Sprintf(format, args...)}
}

func serverErr(err error) *Error {
	return &Error{Code: CodeServer, Message: "An internal error occurred.", Err: err}
}

// RuleOf returns the rule an error reports, or "" when err is not an *Error.
func RuleOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Rule
	}
	return ""
}
