//go:build !linux

package afpacket

import (
	"time"
)

// Conn is an AF_PACKET socket; on this system every operation fails.
type Conn struct{}

func Open(Config) (*Conn, error)                  { return nil, ErrUnsupported }
func (*Conn) Bind(int) error                      { return ErrUnsupported }
func (*Conn) ReadFrame([]byte) (int, Info, error) { return 0, Info{}, ErrUnsupported }
func (*Conn) ReadFrameLent(*Buffers) (*[]byte, int, Info, error) {
	return nil, 0, Info{}, ErrUnsupported
}
func (*Conn) WriteFrame([]byte, int) error    { return ErrUnsupported }
func (*Conn) SetReadDeadline(time.Time) error { return ErrUnsupported }
func (*Conn) Drops() uint64                   { return 0 }
func (*Conn) Close() error                    { return nil }
