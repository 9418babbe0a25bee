package verify_test

import (
	"testing"

	"github.com/dxsim/dxsim/lacp/capture"
	"github.com/dxsim/dxsim/lacp/verify"
)

// A capture.Frame converts field by field, its Direction by a plain
// conversion; this keeps the two enumerations in step.
func TestDirectionsMatchCapture(t *testing.T) {
	for _, tc := range []struct {
		c capture.Direction
		v verify.Direction
	}{
		{capture.DirectionUnknown, verify.DirectionUnknown},
		{capture.DirectionIn, verify.DirectionIn},
		{capture.DirectionOut, verify.DirectionOut},
	} {
		if got := verify.Direction(tc.c); got != tc.v || got.String() != tc.c.String() {
			t.Errorf("verify.Direction(capture %v) = %v, want %v", tc.c, got, tc.v)
		}
	}
}
