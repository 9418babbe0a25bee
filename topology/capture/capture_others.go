//go:build !linux

package capture

import "github.com/dxsim/dxsim/topology/afpacket"

// Open fails: capture needs Linux's AF_PACKET.
func Open(Config) (*Capture, error) { return nil, afpacket.ErrUnsupported }
