package api

import (
	"bytes"
	"context"
	"sync"

	"github.com/dxsim/dxsim/sim"
)

// connCache keeps the JSON of each connection described, so a describe of
// 1,000 unchanged connections copies their encodings instead of converting
// and encoding each again (that was two thirds of its time).
//
// It is keyed by the service's object: the service never changes a
// connection in place (a change puts a changed copy, which its rollback
// relies on), so an object's encoding is fixed while the object is. Objects
// made for one read (a connection presented down because its encryption
// is) are encoded and not kept. What is kept is bounded by two generations
// of entries: when the current one is full it becomes the old one, and an
// entry found in the old one moves back, so objects no longer described
// (replaced, deleted) are dropped after at most two swaps.
type connCache struct {
	mu       sync.RWMutex
	cur, old map[*sim.Connection][]byte
}

// minGeneration is the least a generation holds before it is swapped out;
// a generation also holds at least twice the largest describe's
// connections, so a describe never evicts its own.
const minGeneration = 2048

func newConnCache() *connCache {
	return &connCache{cur: map[*sim.Connection][]byte{}, old: map[*sim.Connection][]byte{}}
}

// kept is an encoding to put in the current generation.
type kept struct {
	c   *sim.Connection
	enc []byte
}

// appendConnections writes cs as a JSON array's elements, separated by
// commas, each as Connection.appendJSON writes its shape.
func (k *connCache) appendConnections(b []byte, cs []*sim.Connection) []byte {
	var keep []kept
	k.mu.RLock()
	for i, c := range cs {
		if i > 0 {
			b = append(b, ',')
		}
		if enc, ok := k.cur[c]; ok {
			b = append(b, enc...)
			continue
		}
		if enc, ok := k.old[c]; ok {
			b = append(b, enc...)
			keep = append(keep, kept{c, enc})
			continue
		}
		start := len(b)
		var shape Connection
		fillConnection(&shape, c, new(Timestamp))
		b = shape.appendJSON(b)
		if !c.EncryptionDown { // else a copy made for this read alone
			keep = append(keep, kept{c, bytes.Clone(b[start:])})
		}
	}
	k.mu.RUnlock()
	if len(keep) > 0 {
		k.add(keep, len(cs))
	}
	return b
}

// add puts encodings in the current generation; n is how many connections
// the describe that found them wrote.
func (k *connCache) add(keep []kept, n int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, e := range keep {
		if len(k.cur) >= max(minGeneration, 2*n) {
			k.old, k.cur = k.cur, make(map[*sim.Connection][]byte, len(k.cur))
		}
		k.cur[e.c] = e.enc
		delete(k.old, e.c)
	}
}

// connectionList is a Connections shape written from the service's objects
// through a connCache: what Connections.appendJSON writes for
// Connections{Connections: toConnections(conns), NextToken: next}.
type connectionList struct {
	cache *connCache
	conns []*sim.Connection
	next  string
}

func (l *connectionList) appendJSON(b []byte) []byte {
	// toConnections never returns nil: an empty list is sent as [].
	b = append(b, `{"connections":[`...)
	b = l.cache.appendConnections(b, l.conns)
	b = append(b, ']')
	if l.next != "" {
		b = append(b, `,"nextToken":`...)
		b = appendString(b, l.next)
	}
	return append(b, '}')
}

// MarshalJSON is for callers outside the handler, as the shapes have.
func (l *connectionList) MarshalJSON() ([]byte, error) { return l.appendJSON(nil), nil }

// request is a request shape: decoded, then validated.
type request[T any] interface {
	*T
	validate(path string) error
}

// listing serves an operation whose answer is a Connections shape through
// the cache: decode and validate as the generated table does, then list.
func listing[T any, P request[T]](k *connCache, list func(context.Context, P) ([]*sim.Connection, string, error)) handlerFunc {
	return func(ctx context.Context, body []byte) (any, error) {
		in := P(new(T))
		if err := decode(body, in); err != nil {
			return nil, err
		}
		if err := in.validate(""); err != nil {
			return nil, err
		}
		cs, next, err := list(ctx, in)
		if err != nil {
			return nil, err
		}
		return &connectionList{cache: k, conns: cs, next: next}, nil
	}
}

// listConnections replaces the generated table's operations that answer
// with a list of connections by ones that write it through the cache. The
// Operations methods stay the reference: a test holds the two to the same
// bytes.
func (o *ops) listConnections(table map[string]handlerFunc) {
	table["DescribeConnections"] = listing(o.conns, o.describeConnections)
	table["DescribeHostedConnections"] = listing(o.conns, o.describeHostedConnections)
	table["DescribeConnectionsOnInterconnect"] = listing(o.conns, o.describeConnectionsOnInterconnect)
}
