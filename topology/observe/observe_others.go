//go:build !linux

package observe

import (
	"errors"

	"github.com/vishvananda/netns"
)

// openNS fails off Linux: there are no network namespaces to observe.
func openNS(name string) (netns.NsHandle, error) {
	return 0, errors.New("observe: network namespaces need Linux")
}
