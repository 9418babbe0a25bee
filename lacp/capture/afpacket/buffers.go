package afpacket

import (
	"sync"
	"sync/atomic"
)

// Buffers lends frame buffers of one size to readers that would rather not
// hold one while they wait (Conn.ReadFrameLent): a thousand idle sockets
// then hold none, where a buffer each would be a thousand times 64 KiB. It
// is safe for concurrent use.
type Buffers struct {
	pool      sync.Pool
	lent, got atomic.Int64
}

// NewBuffers lends buffers of size bytes.
func NewBuffers(size int) *Buffers {
	return &Buffers{pool: sync.Pool{New: func() any {
		b := make([]byte, size)
		return &b
	}}}
}

// Get lends a buffer.
func (b *Buffers) Get() *[]byte {
	b.lent.Add(1)
	b.got.Add(1)
	return b.pool.Get().(*[]byte)
}

// Put takes a lent buffer back; the caller must not use it afterwards.
func (b *Buffers) Put(p *[]byte) {
	b.lent.Add(-1)
	b.pool.Put(p)
}

// Lent is how many buffers are out now.
func (b *Buffers) Lent() int64 { return b.lent.Load() }

// Got is how many buffers were ever lent.
func (b *Buffers) Got() int64 { return b.got.Load() }
