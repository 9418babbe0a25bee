package capture_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/dxsim/dxsim/lacp/verify"
	"github.com/dxsim/dxsim/topology/capture"
)

// A capture.Frame converts field by field, its Direction by a plain
// conversion; this keeps the two enumerations in step.
func TestDirectionsMatchCapture(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		c capture.Direction
		v verify.Direction
	}{
		{capture.DirectionUnknown, verify.DirectionUnknown},
		{capture.DirectionIn, verify.DirectionIn},
		{capture.DirectionOut, verify.DirectionOut},
	} {
		t.Run(tc.c.String(), func(t *testing.T) {
			t.Parallel()
			got := verify.Direction(tc.c)
			assert.Equal(t, tc.v, got, "verify.Direction(capture %v)", tc.c)
			assert.Equal(t, tc.c.String(), got.String(), "verify.Direction(capture %v).String()", tc.c)
		})
	}
}
