package proxy

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// route dispatches the proxy's requests: a CONNECT to an intercepted host
// is served by serveMITM, everything else (tunnels, plain HTTP, requests
// that are not proxy requests) by goproxy.
func (p *Proxy) route(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodConnect && r.ProtoMajor == 1 && p.scope.intercepts(r.URL.Host) {
		if hj, ok := w.(http.Hijacker); ok {
			p.serveMITM(hj, r)
			return
		}
	}
	p.gp.ServeHTTP(w, r)
}

// serveMITM intercepts one CONNECT: it answers 200, completes the TLS
// handshake with a leaf for the target and then serves the requests of
// the connection one after the other on this goroutine, each forwarded,
// recorded and answered before the next is read (HTTP/1.1 answers in
// order; a pipelining client's next requests wait in the read buffer).
//
// It is the loop goproxy runs for ConnectMitm, without goproxy's
// per-request context, filters and response re-framing hooks, and it
// frames responses the same way: the upstream's status line, headers and
// Content-Length as http.Response.Write renders them, chunked only when
// the length is unknown, "Connection: close" when either side asked for
// it. The head and a small body leave in one TLS record and one write.
func (p *Proxy) serveMITM(hj http.Hijacker, r *http.Request) {
	target := r.URL.Host
	t := &tunnel{conn: connID(r.Context()), target: target}
	conn, rw, err := hj.Hijack()
	if err != nil {
		p.log.Printf("intercepting %s: %v", target, err)
		return
	}
	defer conn.Close()
	p.stats.intercepted.Add(1)
	if _, err := io.WriteString(conn, connectResponseLine(r)); err != nil {
		return
	}
	// rw.Reader may already hold the client's first bytes (a ClientHello
	// sent in the same write as the CONNECT).
	var src io.Reader = conn
	if n := rw.Reader.Buffered(); n > 0 {
		early, _ := rw.Reader.Peek(n)
		src = io.MultiReader(bytes.NewReader(bytes.Clone(early)), conn)
	}
	raw := bufio.NewReader(src)
	peek, err := raw.Peek(1)
	if err != nil {
		return
	}
	var client net.Conn = &readBufferedConn{Conn: conn, r: raw}
	scheme := "http"
	if peek[0] == tlsHandshakeRecord {
		cfg, err := p.mitmTLS(target, nil)
		if err != nil {
			return
		}
		cfg.NextProtos = []string{"http/1.1"}
		tc := tls.Server(client, cfg)
		if err := tc.Handshake(); err != nil {
			p.log.Printf("TLS handshake with client for %s: %v", target, err)
			return
		}
		defer tc.Close() // sends close_notify first, as goproxy's loop does
		client, scheme = tc, "https"
	}
	m := &mitmConn{p: p, t: t, connect: r, scheme: scheme, conn: client,
		br: bufio.NewReaderSize(client, 4<<10)}
	m.serve()
}

// tlsHandshakeRecord is the first byte of a TLS ClientHello record.
const tlsHandshakeRecord = 0x16

// connectResponseLine is goproxy's answer to an accepted CONNECT, in the
// client's HTTP version.
func connectResponseLine(r *http.Request) string {
	return fmt.Sprintf("HTTP/%d.%d 200 OK\r\n\r\n", r.ProtoMajor, r.ProtoMinor)
}

// readBufferedConn reads through a buffer that may hold bytes already
// received.
type readBufferedConn struct {
	net.Conn
	r io.Reader
}

func (c *readBufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// mitmConn is one intercepted client connection.
type mitmConn struct {
	p       *Proxy
	t       *tunnel
	connect *http.Request // the CONNECT
	scheme  string
	conn    net.Conn // TLS (or plain, when the client sent no ClientHello)
	br      *bufio.Reader
	out     []byte // the response being written, reused across responses
}

// serve reads and answers requests until the client closes the
// connection, a request cannot be read or a response asks for close.
func (m *mitmConn) serve() {
	for {
		req, err := http.ReadRequest(m.br)
		if err != nil {
			return
		}
		if !m.serveOne(req) {
			return
		}
	}
}

// serveOne forwards, records and answers one request. It reports whether
// the connection may carry another one.
func (m *mitmConn) serveOne(req *http.Request) bool {
	p := m.p
	req.RemoteAddr = m.connect.RemoteAddr
	if !req.URL.IsAbs() {
		host := req.Host
		if host == "" {
			host = m.connect.Host
		}
		u, err := url.Parse(m.scheme + "://" + host + req.URL.String())
		if err != nil {
			return false
		}
		req.URL = u
	} else {
		req.URL.Scheme = m.scheme
	}
	body := req.Body // net/http's; closing it drains what was not read
	var cont *continueOnRead
	if req.ProtoAtLeast(1, 1) && body != http.NoBody && headerHas(req.Header, "Expect", "100-continue") {
		cont = &continueOnRead{ReadCloser: body, m: m}
		req.Body = cont
	}

	x, resp := p.newExchange(req, m.t)
	if resp == nil {
		removeProxyHeaders(req)
		resp = x.roundTrip(req)
	}
	if cont != nil {
		cont.stop()
	}
	if bodyAllowed(req, resp) && resp.Body != http.NoBody && resp.ContentLength <= 0 && resp.Header.Get("Content-Length") == "" {
		// Unknown length: chunked, as goproxy frames it.
		resp.ContentLength = -1
		resp.TransferEncoding = []string{"chunked"}
	}
	resp.Proto, resp.ProtoMajor, resp.ProtoMinor = "HTTP/1.1", 1, 1
	if req.Close || headerHas(resp.Header, "Connection", "close") || (cont != nil && !cont.sent) {
		// The request's unread body (when no 100 Continue was sent) makes
		// the connection unusable too (RFC 9110 §10.1.1).
		resp.Close = true
	}
	err := m.writeResponse(resp)
	_ = resp.Body.Close() // ends the exchange's flight
	if cont == nil || cont.sent {
		_ = body.Close()
	}
	return err == nil && !resp.Close
}

// writeResponse writes resp. A response of known length up to
// maxOneWrite (every recorded one under the default cap) is rendered
// whole into one buffer and sent with one Write: one TLS record and one
// system call for head and body, as a net/http server sends them. Others
// go through a buffer as they are read.
//
// The body is closed by the caller once the bytes are on the connection,
// not by http.Response.Write when it has copied them: closing it ends the
// exchange's flight, and Shutdown closes connections once no exchange is
// in flight.
func (m *mitmConn) writeResponse(resp *http.Response) error {
	if body := resp.Body; body != nil && body != http.NoBody {
		resp.Body = keepOpen{body}
		defer func() { resp.Body = body }()
	}
	if resp.ContentLength >= 0 && resp.ContentLength <= maxOneWrite {
		w := &sliceWriter{b: m.out[:0]}
		err := resp.Write(w)
		if err == nil {
			_, err = m.conn.Write(w.b)
		}
		if cap(w.b) <= maxOneWrite+4<<10 {
			m.out = w.b[:0]
		}
		return err
	}
	bw := bufio.NewWriterSize(m.conn, 16<<10)
	if err := resp.Write(bw); err != nil {
		return err
	}
	return bw.Flush()
}

// keepOpen hides a body's Close from http.Response.Write.
type keepOpen struct{ io.Reader }

func (keepOpen) Close() error { return nil }

// maxOneWrite is the largest body sent in the same Write as its head.
const maxOneWrite = 64 << 10

// sliceWriter appends to a byte slice; ReadFrom spares io.Copy its
// intermediate buffer.
type sliceWriter struct{ b []byte }

func (w *sliceWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

func (w *sliceWriter) ReadFrom(r io.Reader) (int64, error) {
	var n int64
	for {
		if len(w.b) == cap(w.b) {
			w.b = append(w.b, 0)[:len(w.b)]
		}
		k, err := r.Read(w.b[len(w.b):cap(w.b)])
		w.b = w.b[:len(w.b)+k]
		n += int64(k)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// continueOnRead sends "100 Continue" to a client that asked for it when
// the request body is first read, as net/http's server does, and not once
// the response is on its way.
type continueOnRead struct {
	io.ReadCloser
	m       *mitmConn
	mu      sync.Mutex
	stopped bool
	sent    bool
}

func (c *continueOnRead) Read(p []byte) (int, error) {
	c.mu.Lock()
	if !c.stopped && !c.sent {
		c.sent = true
		if _, err := io.WriteString(c.m.conn, "HTTP/1.1 100 Continue\r\n\r\n"); err != nil {
			c.mu.Unlock()
			return 0, err
		}
	}
	c.mu.Unlock()
	return c.ReadCloser.Read(p)
}

func (c *continueOnRead) stop() {
	c.mu.Lock()
	c.stopped = true
	c.mu.Unlock()
}

// removeProxyHeaders removes what goproxy removes before forwarding: the
// request's hop-by-hop Connection header (but not an Upgrade's) and the
// Proxy-* headers meant for this hop.
func removeProxyHeaders(r *http.Request) {
	r.RequestURI = ""
	for _, h := range []string{"Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization"} {
		if _, ok := r.Header[h]; ok {
			delete(r.Header, h)
		}
	}
	if _, ok := r.Header["Connection"]; ok && !isUpgrade(r.Header) {
		delete(r.Header, "Connection")
	}
}

// isUpgrade reports a WebSocket handshake, whose Connection header goproxy
// keeps.
func isUpgrade(h http.Header) bool {
	return headerHas(h, "Connection", "upgrade") && headerHas(h, "Upgrade", "websocket")
}

// headerHas reports whether a comma-separated header lists token,
// case-insensitively.
func headerHas(h http.Header, name, token string) bool {
	for _, v := range h[name] {
		for part := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(part), token) {
				return true
			}
		}
	}
	return false
}

// bodyAllowed reports whether resp may carry a body for req (RFC 9112
// §6.3): not for HEAD, 1xx, 204 or 304.
func bodyAllowed(req *http.Request, resp *http.Response) bool {
	if req.Method == http.MethodHead {
		return false
	}
	s := resp.StatusCode
	return !(s >= 100 && s < 200) && s != http.StatusNoContent && s != http.StatusNotModified
}
