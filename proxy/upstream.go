package proxy

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"
)

// upstream sends the common requests upstream on the calling goroutine,
// over HTTP/1.1 connections of its own, kept idle between requests and
// shared by every client connection. It writes the request and reads the
// response head and body on the goroutine that asked, where
// net/http.Transport hands each request to a writer goroutine and each
// response back from a reader goroutine: two goroutine switches less per
// round trip, and fewer allocations.
//
// What it sends is what the Transport would send with the proxy's
// settings: http.Request.Write's serialisation (no Accept-Encoding or
// Connection header added, no User-Agent when the request has an empty
// one), TLS verified against the same roots with no ALPN. What it
// returns is http.ReadResponse's view, with 1xx interim responses skipped
// as the Transport skips them.
//
// Requests it does not take, left to the Transport by roundTrip: those
// through Config.UpstreamProxy, those with a body not held in memory (over
// the cap) or with "Expect: 100-continue", and protocol upgrades.
type upstream struct {
	cfg  *Config
	tls  *tls.Config
	dial func(ctx context.Context, network, addr string) (net.Conn, error)

	mu     sync.Mutex
	idle   map[string][]*upConn // by "scheme://host:port", most recent last
	open   map[*upConn]struct{} // every open connection, idle or in use
	closed bool
}

func newUpstream(cfg *Config, tr *http.Transport) *upstream {
	return &upstream{cfg: cfg, tls: tr.TLSClientConfig, dial: tr.DialContext,
		idle: make(map[string][]*upConn), open: make(map[*upConn]struct{})}
}

// errUpstreamClosed is returned for a connection opened after closeAll.
var errUpstreamClosed = errors.New("proxy: shutting down: upstream connections closed")

// upConn is one upstream connection.
type upConn struct {
	u      *upstream
	key    string
	conn   net.Conn // TLS or TCP
	raw    net.Conn // the TCP connection under conn
	fc     *flagConn
	br     *bufio.Reader
	bw     *bufio.Writer
	reused bool
	idleAt time.Time
}

// takes reports whether u serves req (see upstream).
func (u *upstream) takes(req *http.Request, bodyInMemory bool) bool {
	if u.cfg.UpstreamProxy != nil || (req.URL.Scheme != "https" && req.URL.Scheme != "http") {
		return false
	}
	if req.Body != nil && req.Body != http.NoBody && !bodyInMemory {
		return false
	}
	_, expect := req.Header["Expect"]
	_, upgrade := req.Header["Upgrade"]
	return !expect && !upgrade
}

// roundTrip sends req and returns the response; its body must be read to
// the end or closed. A reused connection that turns out to be closed by
// the server before any byte of the response arrived is replaced, and the
// request sent again, when the Transport would do the same: the request
// had not been written, or it is replayable (GET, HEAD, OPTIONS, TRACE or
// with an Idempotency-Key, and a body that can be sent again).
func (u *upstream) roundTrip(req *http.Request) (*http.Response, error) {
	for {
		pc, err := u.get(req)
		if err != nil {
			return nil, err
		}
		resp, written, err := pc.roundTrip(u, req)
		if err == nil {
			return resp, nil
		}
		pc.close()
		var nr noResponseError
		if !pc.reused || !errors.As(err, &nr) || (written && !replayable(req)) {
			return nil, err
		}
		if req.GetBody != nil {
			if req.Body, err = req.GetBody(); err != nil {
				return nil, err
			}
		}
	}
}

func replayable(req *http.Request) bool {
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		return false
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	_, a := req.Header["Idempotency-Key"]
	_, b := req.Header["X-Idempotency-Key"]
	return a || b
}

func upKey(req *http.Request) string {
	host := req.URL.Host
	if req.URL.Port() == "" {
		port := "443"
		if req.URL.Scheme == "http" {
			port = "80"
		}
		host = net.JoinHostPort(req.URL.Hostname(), port)
	}
	return req.URL.Scheme + "://" + host
}

// get returns an idle connection to req's host that is still open, or a
// new one.
func (u *upstream) get(req *http.Request) (*upConn, error) {
	key := upKey(req)
	now := time.Now()
	for {
		u.mu.Lock()
		list := u.idle[key]
		if len(list) == 0 {
			u.mu.Unlock()
			break
		}
		pc := list[len(list)-1]
		list[len(list)-1] = nil
		u.idle[key] = list[:len(list)-1]
		u.mu.Unlock()
		if now.Sub(pc.idleAt) < u.cfg.IdleConnTimeout && pc.alive() {
			pc.reused = true
			return pc, nil
		}
		pc.close()
	}
	return u.connect(req.Context(), key, req.URL.Scheme, req.URL.Hostname())
}

// connect dials a new connection, with TLS for https.
func (u *upstream) connect(ctx context.Context, key, scheme, host string) (*upConn, error) {
	addr := key[len(scheme)+3:]
	raw, err := u.dial(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	fc := &flagConn{Conn: raw}
	var conn net.Conn = fc
	if scheme == "https" {
		cfg := u.tls.Clone()
		if cfg.ServerName == "" {
			cfg.ServerName = host
		}
		tc := tls.Client(fc, cfg)
		hctx, cancel := context.WithTimeout(ctx, u.cfg.TLSHandshakeTimeout)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			raw.Close()
			return nil, err
		}
		conn = tc
	}
	pc := &upConn{u: u, key: key, conn: conn, raw: raw, fc: fc, br: bufio.NewReaderSize(conn, 4<<10), bw: bufio.NewWriterSize(conn, 4<<10)}
	u.mu.Lock()
	closed := u.closed
	if !closed {
		u.open[pc] = struct{}{}
	}
	u.mu.Unlock()
	if closed {
		raw.Close()
		return nil, errUpstreamClosed
	}
	return pc, nil
}

// put keeps pc for reuse, or closes it when the host has enough idle
// connections or the proxy is shutting down.
func (u *upstream) put(pc *upConn) {
	pc.idleAt = time.Now()
	u.mu.Lock()
	if !u.closed && len(u.idle[pc.key]) < u.cfg.MaxIdleConnsPerHost {
		u.idle[pc.key] = append(u.idle[pc.key], pc)
		pc = nil
	}
	u.mu.Unlock()
	if pc != nil {
		pc.close()
	}
}

// closeAll closes every connection, idle or in use, and keeps no more: a
// request still waiting on one (for a response head or body) fails at
// once instead of holding its goroutine until the CA answers. Connections
// in use are closed under their TLS layer, with no close_notify, which
// could wait behind a blocked write.
func (u *upstream) closeAll() {
	u.mu.Lock()
	open, idle := u.open, u.idle
	u.open = make(map[*upConn]struct{})
	u.idle = make(map[string][]*upConn)
	u.closed = true
	u.mu.Unlock()
	for _, list := range idle {
		for _, pc := range list {
			delete(open, pc)
			_ = pc.conn.Close()
		}
	}
	for pc := range open {
		_ = pc.raw.Close()
	}
}

func (pc *upConn) close() {
	u := pc.u
	u.mu.Lock()
	delete(u.open, pc)
	u.mu.Unlock()
	_ = pc.conn.Close()
}

// alive reports whether an idle connection is still open: nothing is
// readable on it (a server that closed it, or sent anything unasked,
// makes it unusable). It peeks at the socket without blocking; a
// connection that cannot be inspected counts as alive.
func (pc *upConn) alive() bool {
	if pc.br.Buffered() > 0 {
		return false
	}
	sc, ok := pc.raw.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	alive := true
	_ = rc.Read(func(fd uintptr) bool {
		alive = socketIdle(fd)
		return true // never wait
	})
	return alive
}

// roundTrip writes req and reads the response head. written reports
// whether any of the request may have reached the server.
func (pc *upConn) roundTrip(u *upstream, req *http.Request) (resp *http.Response, written bool, err error) {
	pc.fc.wrote = false
	err = req.Write(pc.bw)
	if err == nil {
		err = pc.bw.Flush()
	}
	if err != nil {
		return nil, pc.fc.wrote, errNoResponseIf(err)
	}
	if d := u.cfg.ResponseHeaderTimeout; d > 0 {
		_ = pc.conn.SetReadDeadline(time.Now().Add(d))
	}
	for {
		if _, err := pc.br.Peek(1); err != nil {
			return nil, true, errNoResponseIf(err)
		}
		resp, err = http.ReadResponse(pc.br, req)
		if err != nil {
			return nil, true, err
		}
		if c := resp.StatusCode; c < 100 || c > 199 || c == http.StatusSwitchingProtocols {
			break
		}
		// An interim response (103 Early Hints, a 100 not asked for):
		// skipped, as the Transport does.
	}
	_ = pc.conn.SetReadDeadline(time.Time{})
	reuse := !resp.Close && resp.StatusCode != http.StatusSwitchingProtocols
	if resp.Body == http.NoBody {
		if reuse {
			u.put(pc)
		} else {
			pc.close()
		}
		return resp, true, nil
	}
	resp.Body = &upBody{rc: resp.Body, pc: pc, u: u, reuse: reuse}
	return resp, true, nil
}

// errNoResponseIf marks a connection error that means the server closed
// the connection (EOF, reset, broken pipe) before any byte of a response.
func errNoResponseIf(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return noResponseError{err}
	}
	return err
}

// noResponseError is a connection error that came before any byte of the
// response; it reads as the error itself.
type noResponseError struct{ err error }

func (e noResponseError) Error() string { return e.err.Error() }
func (e noResponseError) Unwrap() error { return e.err }

// flagConn notes whether any byte was written since wrote was cleared.
type flagConn struct {
	net.Conn
	wrote bool
}

func (c *flagConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if n > 0 {
		c.wrote = true
	}
	return n, err
}

// upBody is a response body read from an upstream connection. At its end
// the connection goes back to the idle set (unless the response said
// close); closed before its end, the connection is closed, since the rest
// of the body would have to be read first.
type upBody struct {
	rc    io.ReadCloser
	pc    *upConn
	u     *upstream
	reuse bool
	mu    sync.Mutex
	done  bool
}

func (b *upBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if err != nil {
		b.finish(err == io.EOF)
	}
	return n, err
}

func (b *upBody) Close() error {
	b.finish(false)
	return nil
}

// finish releases the connection once: for reuse after a complete body,
// closed otherwise.
func (b *upBody) finish(complete bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return
	}
	b.done = true
	if complete && b.reuse {
		b.u.put(b.pc)
		return
	}
	b.pc.close()
}
