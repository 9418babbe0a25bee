//go:build !linux

package observe

import (
	"errors"
	"time"

	"github.com/vishvananda/netns"
)

// dupNS fails off Linux: there are no network namespaces to observe.
func dupNS(netns.NsHandle) (netns.NsHandle, error) {
	return netns.None(), errors.New("observe: network namespaces need Linux")
}

// startActors has no bonds to read off Linux.
func startActors(_, _ netns.NsHandle, _ string, _ func() time.Time) actorSource { return noActors{} }

type noActors struct{}

func (noActors) samples() []actorSample { return nil }
func (noActors) close()                 {}
