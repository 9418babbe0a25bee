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

// Loan is one read's use of Buffers: Get lends a buffer if none is held yet,
// Idle gives it back while the reader waits, and Take hands the held buffer
// to the caller (nil if none). A read's get and idle hooks are Get and Idle.
type Loan struct {
	bufs *Buffers
	held *[]byte
}

// Loan starts a loan for one read.
func (b *Buffers) Loan() Loan { return Loan{bufs: b} }

// Get returns the held buffer, lending one first if none is held.
func (l *Loan) Get() []byte {
	if l.held == nil {
		l.held = l.bufs.Get()
	}
	return *l.held
}

// Idle gives the held buffer, if any, back.
func (l *Loan) Idle() {
	if l.held != nil {
		l.bufs.Put(l.held)
		l.held = nil
	}
}

// Take hands the held buffer over; the caller gives it back with Put.
func (l *Loan) Take() *[]byte {
	b := l.held
	l.held = nil
	return b
}
