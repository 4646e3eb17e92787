package proxy

import (
	"context"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// connKey is the context key under which the client connection is stored
// for requests served by the proxy's http.Server.
type connKey struct{}

// clientConn returns the client connection of a request's context, or nil.
func clientConn(ctx context.Context) *trackedConn {
	c, _ := ctx.Value(connKey{}).(*trackedConn)
	return c
}

// connID returns the client connection id of a request's context, or 0.
func connID(ctx context.Context) uint64 {
	if c := clientConn(ctx); c != nil {
		return c.id
	}
	return 0
}

// trackingListener numbers accepted connections from 1 and tracks them
// until they are closed, so Shutdown can close the ones goproxy hijacked
// (tunnels and intercepted connections), which http.Server forgets.
type trackingListener struct {
	net.Listener
	set *connSet
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, id: l.set.next.Add(1), set: l.set}
	l.set.add(tc)
	return tc, nil
}

// connSet is the set of open client connections.
type connSet struct {
	next  atomic.Uint64
	mu    sync.Mutex
	conns map[*trackedConn]struct{}
}

func newConnSet() *connSet { return &connSet{conns: make(map[*trackedConn]struct{})} }

func (s *connSet) add(c *trackedConn) {
	s.mu.Lock()
	s.conns[c] = struct{}{}
	s.mu.Unlock()
}

func (s *connSet) remove(c *trackedConn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// closeAll closes every open connection.
func (s *connSet) closeAll() {
	s.mu.Lock()
	open := make([]*trackedConn, 0, len(s.conns))
	for c := range s.conns {
		open = append(open, c)
	}
	s.mu.Unlock()
	for _, c := range open {
		_ = c.Close()
	}
}

// trackedConn is a client connection with its id. It keeps TCP half-close
// available so goproxy's tunnels can still use it. Once hijacked (a tunnel
// or an intercepted connection, which http.Server no longer times out),
// each Read gets the idle deadline.
type trackedConn struct {
	net.Conn
	id   uint64
	set  *connSet
	once sync.Once
	idle atomic.Int64 // time.Duration; 0 until hijacked
}

func (c *trackedConn) Read(p []byte) (int, error) {
	if d := time.Duration(c.idle.Load()); d > 0 {
		_ = c.Conn.SetReadDeadline(time.Now().Add(d))
	}
	return c.Conn.Read(p)
}

// onConnState arms the idle timeout of connections goproxy hijacks.
func onConnState(idle time.Duration) func(net.Conn, http.ConnState) {
	return func(c net.Conn, s http.ConnState) {
		if tc, ok := c.(*trackedConn); ok && s == http.StateHijacked {
			tc.idle.Store(int64(idle))
		}
	}
}

func (c *trackedConn) Close() error {
	c.once.Do(func() { c.set.remove(c) })
	return c.Conn.Close()
}

type halfCloser interface {
	CloseWrite() error
	CloseRead() error
}

// CloseWrite half-closes the connection, or closes it when the underlying
// connection cannot half-close.
func (c *trackedConn) CloseWrite() error {
	if h, ok := c.Conn.(halfCloser); ok {
		return h.CloseWrite()
	}
	return c.Close()
}

// CloseRead is CloseWrite's counterpart for reading.
func (c *trackedConn) CloseRead() error {
	if h, ok := c.Conn.(halfCloser); ok {
		return h.CloseRead()
	}
	return c.Close()
}

// inflight counts exchanges between their upstream request and their
// record, so Shutdown can let them finish.
type inflight struct {
	mu      sync.Mutex
	n       int
	closing bool
	drained chan struct{}
}

func newInflight() *inflight { return &inflight{drained: make(chan struct{})} }

// begin registers an exchange; it returns false once closing started.
func (f *inflight) begin() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closing {
		return false
	}
	f.n++
	return true
}

func (f *inflight) end() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n--
	if f.closing && f.n == 0 {
		close(f.drained)
	}
}

// close refuses new exchanges and returns a channel closed once the
// running ones have ended.
func (f *inflight) close() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.closing {
		f.closing = true
		if f.n == 0 {
			close(f.drained)
		}
	}
	return f.drained
}
