package lacp

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestStateStringMatchesWireshark(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		s    State
		want string
	}{
		{0x00, "********"},
		{0x3f, "**DCSGSA"},
		{0x45, "*F***G*A"},
		{0xff, "EFDCSGSA"},
		{StateActivity | StateTimeout | StateAggregation, "*****GSA"},
	} {
		t.Run(fmt.Sprintf("0x%02x", uint8(tc.s)), func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, tc.s.String(), "State(%#02x).String()", uint8(tc.s))
		})
	}
}
