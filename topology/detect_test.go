package topology

import (
	"cmp"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestChooseBackend(t *testing.T) {
	t.Parallel()
	errNo := errors.New("operation not supported")
	none := func() (Features, error) { return Features{Bonding: errNo, VLAN: errNo}, nil }
	noVLAN := func() (Features, error) { return Features{VLAN: errNo}, nil }
	all := func() (Features, error) { return Features{}, nil }
	tests := []struct {
		name    string
		mode    string
		probe   func() (Features, error)
		backend string
		why     string // substring of the reason, or of the error
		fails   bool
		timers  string // TimersLinux when empty
	}{
		{"auto with all", "auto", all, "kernel", "bonding and 802.1Q", false, ""},
		{"auto with none", "auto", none, "userspace", "no bonding", false, ""},
		{"auto without 8021q", "auto", noVLAN, "userspace", "no 8021q", false, ""},
		{"kernel with all", "kernel", all, "kernel", "asked for kernel", false, ""},
		{"kernel with none", "kernel", none, "", "kernel has no bonding module", true, ""},
		{"kernel without 8021q", "kernel", noVLAN, "", "kernel has no 8021q module", true, ""},
		{"userspace unprobed", "userspace", nil, "userspace", "asked for userspace", false, ""},
		{"bogus", "bogus", all, "", "unknown", true, ""},
		{"802.1ax timers on auto", "auto", all, "userspace", "802.1AX timers", false, Timers8021AX},
		{"802.1ax timers on userspace", "userspace", all, "userspace", "asked for userspace", false, Timers8021AX},
		{"802.1ax timers on kernel", "kernel", all, "", "a kernel bond runs Linux's timers", true, Timers8021AX},
		{"bogus timers", "auto", all, "", `unknown LACP timers "bsd"`, true, "bsd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, why, err := chooseBackend(tt.mode, cmp.Or(tt.timers, TimersLinux), tt.probe)
			if tt.fails {
				assert.ErrorContains(t, err, tt.why, tt.mode)
				return
			}
			require.NoError(t, err, tt.mode)
			assert.Equal(t, tt.backend, b, "%s: because %q", tt.mode, why)
			assert.Contains(t, why, tt.why, "%s: the reason for %s", tt.mode, b)
		})
	}
	_, _, err := chooseBackend("kernel", TimersLinux, none)
	var mf *MissingFeatureError
	require.ErrorAs(t, err, &mf, "kernel without bonding")
	assert.Equal(t, "bonding", mf.Module, "kernel without bonding: %v", err)
}
