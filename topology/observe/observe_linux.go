package observe

import (
	"fmt"

	"github.com/vishvananda/netns"
)

// openNS opens a data plane namespace by name.
func openNS(name string) (netns.NsHandle, error) {
	h, err := netns.GetFromName(name)
	if err != nil {
		return 0, fmt.Errorf("namespace %s: %w", name, err)
	}
	return h, nil
}
