package topology

import (
	"errors"
	"strings"
	"testing"
)

func TestChooseBackend(t *testing.T) {
	errNo := errors.New("operation not supported")
	none := func() (Features, error) { return Features{Bonding: errNo, VLAN: errNo}, nil }
	noVLAN := func() (Features, error) { return Features{VLAN: errNo}, nil }
	all := func() (Features, error) { return Features{}, nil }
	tests := []struct {
		mode    string
		probe   func() (Features, error)
		backend string
		why     string // substring of the reason, or of the error
		fails   bool
	}{
		{"auto", all, "kernel", "bonding and 802.1Q", false},
		{"auto", none, "userspace", "no bonding", false},
		{"auto", noVLAN, "userspace", "no 8021q", false},
		{"kernel", all, "kernel", "asked for kernel", false},
		{"kernel", none, "", "kernel has no bonding module", true},
		{"kernel", noVLAN, "", "kernel has no 8021q module", true},
		{"userspace", nil, "userspace", "asked for userspace", false},
		{"bogus", all, "", "unknown", true},
	}
	for _, tt := range tests {
		b, why, err := chooseBackend(tt.mode, tt.probe)
		if tt.fails {
			if err == nil || !strings.Contains(err.Error(), tt.why) {
				t.Errorf("%s: err %v, want one containing %q", tt.mode, err, tt.why)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.mode, err)
			continue
		}
		if b != tt.backend || !strings.Contains(why, tt.why) {
			t.Errorf("%s: %s because %q; want %s because ~%q", tt.mode, b, why, tt.backend, tt.why)
		}
	}
	_, _, err := chooseBackend("kernel", none)
	var mf *MissingFeatureError
	if !errors.As(err, &mf) || mf.Module != "bonding" {
		t.Errorf("kernel without bonding: %v is not a MissingFeatureError naming bonding", err)
	}
}
