package lacp

import "testing"

func TestStateStringMatchesWireshark(t *testing.T) {
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
		if got := tc.s.String(); got != tc.want {
			t.Errorf("State(%#02x).String() = %q, want %q", uint8(tc.s), got, tc.want)
		}
	}
}
