//go:build !linux

package userspace

// Host runs userspace LAGs and VLANs; on this system it cannot be made.
type Host struct{}

// New fails: userspace LAGs need Linux's TAP devices and AF_PACKET.
func New(Config) (*Host, error) { return nil, ErrUnsupported }
