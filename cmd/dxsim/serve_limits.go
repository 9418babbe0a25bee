package main

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// serveLimits bound what clients can hold of a serve. A zero field takes
// its default.
type serveLimits struct {
	// readHeader bounds a request's headers: a client that trickles them
	// is cut off.
	readHeader time.Duration
	// read bounds a whole request, body included. A body that does not
	// arrive in time is answered 408 RequestTimeoutException. The event
	// stream, which reads nothing once it has started, lifts it.
	read time.Duration
	// idle bounds a keep-alive connection between requests. It is longer
	// than the SDKs keep theirs (the Go SDK 90 s), so a client closes
	// first and never sends on a connection the server is closing.
	idle time.Duration
	// maxConns caps open connections. At the cap, a new connection closes
	// the longest-idle one (between requests, or not yet sent a byte);
	// when every connection is in a request it waits for one to end.
	maxConns int
}

const (
	defaultReadHeaderTimeout = 10 * time.Second
	defaultReadTimeout       = 30 * time.Second
	defaultIdleTimeout       = 2 * time.Minute
	defaultMaxConns          = 1024
)

// resolve fills in the defaults and fits maxConns to the open-file limit,
// leaving half of it to the state, the data plane's sockets and devices.
func (l serveLimits) resolve(log *slog.Logger) serveLimits {
	if l.readHeader <= 0 {
		l.readHeader = defaultReadHeaderTimeout
	}
	if l.read <= 0 {
		l.read = defaultReadTimeout
	}
	if l.idle <= 0 {
		l.idle = defaultIdleTimeout
	}
	if l.maxConns <= 0 {
		l.maxConns = defaultMaxConns
	}
	if files, ok := openFileLimit(); ok && uint64(l.maxConns) > files/2 {
		fit := max(int(files/2), 1)
		log.Warn("fewer connections than asked: the open-file limit (ulimit -n) leaves room for half of it", "asked", l.maxConns, "serving", fit, "open-file limit", files)
		l.maxConns = fit
	}
	return l
}

// connCap is a listener that holds at most max connections open. It learns
// each connection's HTTP state from the server's ConnState hook; at the cap
// it closes the longest-idle connection to make room for a new one, so idle
// clients, however many, never lock out a client with a request to make.
type connCap struct {
	net.Listener
	max int

	mu      sync.Mutex
	conns   map[*cappedConn]connSlot
	changed chan struct{} // closed and replaced when a slot frees or a connection turns idle
	done    chan struct{} // closed by Close
	once    sync.Once
}

type connSlot struct {
	state http.ConnState
	since time.Time
}

// cappedConn is a connection of a connCap; closing it frees its slot.
type cappedConn struct {
	net.Conn
	l    *connCap
	once sync.Once
}

func (c *cappedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c) })
	return err
}

var errCapClosed = errors.New("listener closed")

func newConnCap(ln net.Listener, max int) *connCap {
	return &connCap{Listener: ln, max: max, conns: map[*cappedConn]connSlot{},
		changed: make(chan struct{}), done: make(chan struct{})}
}

// Accept returns the next connection once it has a slot.
func (l *connCap) Accept() (net.Conn, error) {
	raw, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	c := &cappedConn{Conn: raw, l: l}
	for {
		l.mu.Lock()
		if len(l.conns) < l.max {
			l.conns[c] = connSlot{state: http.StateNew, since: time.Now()}
			l.mu.Unlock()
			return c, nil
		}
		victim := l.idlest()
		wait := l.changed
		l.mu.Unlock()
		if victim != nil {
			_ = victim.Conn.Close() // the server sees it end, and closes it
			continue
		}
		select {
		case <-wait:
		case <-l.done:
			_ = raw.Close()
			return nil, errCapClosed
		}
	}
}

// idlest removes and returns the connection idle the longest: between
// requests, or accepted and not yet sent a byte. nil when every connection
// is in a request. l.mu is held.
func (l *connCap) idlest() *cappedConn {
	var victim *cappedConn
	var since time.Time
	for c, s := range l.conns {
		if (s.state == http.StateIdle || s.state == http.StateNew) && (victim == nil || s.since.Before(since)) {
			victim, since = c, s.since
		}
	}
	if victim != nil {
		delete(l.conns, victim)
	}
	return victim
}

// track is the server's ConnState hook.
func (l *connCap) track(nc net.Conn, state http.ConnState) {
	c, ok := nc.(*cappedConn)
	if !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, held := l.conns[c]; !held {
		return
	}
	switch state {
	case http.StateClosed:
		delete(l.conns, c)
		l.signal()
	case http.StateIdle:
		l.conns[c] = connSlot{state: state, since: time.Now()}
		l.signal()
	default: // active, or hijacked: its slot is freed when it is closed
		l.conns[c] = connSlot{state: state, since: time.Now()}
	}
}

func (l *connCap) release(c *cappedConn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.conns, c)
	l.signal()
}

// signal wakes an Accept waiting for a slot. l.mu is held.
func (l *connCap) signal() {
	close(l.changed)
	l.changed = make(chan struct{})
}

// open is how many connections hold a slot.
func (l *connCap) open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}

// Close stops accepting; connections already open stay so.
func (l *connCap) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}
