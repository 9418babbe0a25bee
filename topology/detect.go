package topology

import "fmt"

// Features is what the running kernel can build.
type Features struct {
	Bonding error // nil when the kernel makes 802.3ad bonds
	VLAN    error // nil when it makes 802.1Q VLAN devices
}

// chooseBackend picks the backend the mode names ("kernel" or "userspace")
// and says why.
func chooseBackend(mode string, probe func() (Features, error)) (string, string, error) {
	switch mode {
	case "auto", "kernel", "userspace":
	default:
		return "", "", fmt.Errorf("unknown data-plane backend %q: want auto, kernel or userspace", mode)
	}
	if mode == "userspace" {
		return "userspace", "asked for userspace", nil
	}
	f, err := probe()
	if err != nil {
		return "", "", err
	}
	var missing error
	switch {
	case f.Bonding != nil:
		missing = &MissingFeatureError{Module: "bonding", Err: f.Bonding}
	case f.VLAN != nil:
		missing = &MissingFeatureError{Module: "8021q", Err: f.VLAN}
	}
	switch {
	case missing == nil && mode == "kernel":
		return "kernel", "asked for kernel; bonding and 802.1Q present", nil
	case missing == nil:
		return "kernel", "kernel has bonding and 802.1Q", nil
	case mode == "kernel":
		return "", "", fmt.Errorf("--dataplane kernel: %w", missing)
	default:
		return "userspace", missing.Error(), nil
	}
}
