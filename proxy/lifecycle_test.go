package proxy_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/internal/mitmca"
	"github.com/acmeproxy/acmeproxy/journal"
	"github.com/acmeproxy/acmeproxy/proxy"
)

// TestShutdownDrainsInFlight: an exchange in flight when Shutdown starts
// completes and is recorded; the proxy then accepts nothing more.
func TestShutdownDrainsInFlight(t *testing.T) {
	t.Parallel()
	entered := make(chan struct{})
	up := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		close(entered)
		time.Sleep(300 * time.Millisecond)
		_, _ = io.WriteString(w, "late but whole")
	}))
	t.Cleanup(up.Close)
	h := startProxy(t, proxy.Config{Upstream: up.URL + "/dir", UpstreamRoots: poolOf(up)})
	c, _ := h.client()
	type result struct {
		body string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := c.Get(up.URL + "/slow")
		if err != nil {
			done <- result{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- result{string(b), err}
	}()
	select {
	case <-entered:
	case r := <-done: // never reached the upstream: fail rather than wait forever
		t.Fatalf("request ended before reaching the upstream: %q, %v", r.body, r.err)
	}
	recs := h.exchanges() // Shutdown while the upstream is still answering
	r := <-done
	if r.err != nil || r.body != "late but whole" {
		t.Fatalf("in-flight request: %q, %v", r.body, r.err)
	}
	if len(recs) != 1 || recs[0].Response == nil || string(recs[0].Response.Body.Data) != "late but whole" {
		t.Fatalf("journal after shutdown: %+v", recs)
	}
	if conn, err := net.Dial("tcp", h.addr); err == nil {
		conn.Close()
		t.Fatal("the proxy still accepts connections after Shutdown")
	}
}

// TestSinkFailureWithholdsResponse: when the exchange cannot be recorded
// the client gets a 502 problem, not the unrecorded upstream response.
func TestSinkFailureWithholdsResponse(t *testing.T) {
	t.Parallel()
	up := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "secret")
	}))
	t.Cleanup(up.Close)
	ca, err := mitmca.Generate(mitmca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := proxy.New(proxy.Config{
		Upstream: up.URL + "/dir", UpstreamRoots: poolOf(up), CA: ca,
		Sink: func(*journal.Exchange) error { return errors.New("disk full") },
	})
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, p)
	c := clientVia(addr, ca)
	resp, err := c.Get(up.URL + "/x")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var prob struct{ Type, Detail string }
	_ = json.Unmarshal(body, &prob)
	if resp.StatusCode != http.StatusBadGateway || prob.Type != proxy.ProblemRecording || !strings.Contains(prob.Detail, "disk full") {
		t.Fatalf("got %d %q", resp.StatusCode, body)
	}
	if st := p.Stats(); st.RecordErrors != 1 || st.Exchanges != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestLeafNameFromSNIWhenConnectByIP: a client that CONNECTs to an IP but
// sends a host name in SNI gets a leaf for that name.
func TestLeafNameFromSNIWhenConnectByIP(t *testing.T) {
	t.Parallel()
	h := startProxy(t, proxy.Config{Intercept: []string{"127.0.0.1"}})
	for _, tc := range []struct{ sni, want string }{{"acme.example", "acme.example"}, {"", "127.0.0.1"}} {
		conn := connect(t, h.addr, "127.0.0.1:443")
		tc2 := tls.Client(conn, &tls.Config{ServerName: tc.sni, InsecureSkipVerify: true}) //nolint:gosec // inspecting the leaf
		if err := tc2.Handshake(); err != nil {
			t.Fatal(err)
		}
		leaf := tc2.ConnectionState().PeerCertificates[0]
		if err := leaf.VerifyHostname(tc.want); err != nil {
			t.Errorf("SNI %q: leaf %v", tc.sni, err)
		}
		tc2.Close()
	}
}

// TestIdleTunnelClosed: an intercepted connection idle for longer than
// ClientIdleTimeout is closed.
func TestIdleTunnelClosed(t *testing.T) {
	t.Parallel()
	h := startProxy(t, proxy.Config{Intercept: []string{"127.0.0.1"}, ClientIdleTimeout: 200 * time.Millisecond})
	conn := connect(t, h.addr, "127.0.0.1:443")
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Read(make([]byte, 1)); err == nil || errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
		t.Fatalf("idle connection: read returned %v, want the proxy to close it", err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// connect opens a CONNECT tunnel through the proxy at addr.
func connect(t *testing.T, addr, target string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", target, target)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil || resp.StatusCode != http.StatusOK || br.Buffered() != 0 {
		t.Fatalf("CONNECT: %v %v", resp, err)
	}
	return conn
}

func serve(t *testing.T, p *proxy.Proxy) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := contextWithTimeout(10 * time.Second)
		defer cancel()
		if err := p.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return ln.Addr().String()
}

func clientVia(addr string, ca *mitmca.CA) *http.Client {
	return benchTarget{proxy: addr, roots: ca.Pool()}.client(true)
}

// TestDialContextMapsNames: Config.DialContext carries intercepted
// requests (and the upstream's TLS name) for a host that does not resolve.
func TestDialContextMapsNames(t *testing.T) {
	t.Parallel()
	up := startBenchUpstream(t, "acme.test")
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr == "acme.test:443" {
			addr = up.addr
		}
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	h := startProxy(t, proxy.Config{Upstream: "https://acme.test/dir", UpstreamRoots: up.roots, DialContext: dial})
	c, _ := h.client()
	get(t, c, "https://acme.test/dir", nil)
	recs := h.exchanges()
	if len(recs) != 1 || recs[0].Response == nil || recs[0].Response.Status != http.StatusOK {
		t.Fatalf("journal: %+v", recs)
	}
}

// TestShutdownTimeoutAbortsStalledUpstream: when Shutdown's context ends
// while an exchange waits on an upstream that stopped sending in the
// middle of a body, Shutdown closes that upstream connection too, so the
// exchange ends (recorded as failed) instead of holding its goroutine and
// the connection until the CA closes it. Both upstream paths are covered:
// the proxy's own pool and net/http's Transport (a request body over the
// cap).
func TestShutdownTimeoutAbortsStalledUpstream(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		body string
	}{{"pool", ""}, {"transport", strings.Repeat("b", 100)}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			up := startStalledUpstream(t)
			h := startProxy(t, proxy.Config{Upstream: up.url + "/dir", UpstreamRoots: up.roots, BodyCap: 64})
			c, _ := h.client()
			go func() {
				req, _ := http.NewRequest(http.MethodPost, up.url+"/stall", strings.NewReader(tc.body))
				if resp, err := c.Do(req); err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}()
			select {
			case <-up.sent:
			case <-time.After(30 * time.Second):
				t.Fatal("the request never reached the upstream")
			}
			ctx, cancel := contextWithTimeout(200 * time.Millisecond)
			defer cancel()
			if err := h.p.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Shutdown with an exchange stuck upstream: %v, want the context's deadline", err)
			}
			select {
			case <-up.closed:
			case <-time.After(5 * time.Second):
				t.Fatal("the stalled upstream connection is still open 5s after Shutdown gave up")
			}
			// The exchange has ended: a second Shutdown finds nothing in flight.
			ctx2, cancel2 := contextWithTimeout(5 * time.Second)
			defer cancel2()
			if err := h.p.Shutdown(ctx2); err != nil {
				t.Fatalf("second Shutdown: %v (the stalled exchange is still in flight)", err)
			}
		})
	}
}

// stalledUpstream is a TLS server that answers the first request on a
// connection with a response head and part of its body, then sends
// nothing more until the connection is closed.
type stalledUpstream struct {
	url    string
	roots  *x509.CertPool
	sent   chan struct{} // closed once the partial response is out
	closed chan struct{} // closed once the proxy closed that connection
}

func startStalledUpstream(t *testing.T) *stalledUpstream {
	t.Helper()
	ca, err := mitmca.Generate(mitmca.Options{CommonName: "stalled upstream CA"})
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.SignLeaf("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{*leaf}})
	if err != nil {
		t.Fatal(err)
	}
	s := &stalledUpstream{url: "https://" + ln.Addr().String(), roots: ca.Pool(),
		sent: make(chan struct{}), closed: make(chan struct{})}
	done := make(chan struct{})
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	go func() {
		defer close(done)
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		go func() { <-t.Context().Done(); conn.Close() }() // never outlive the test
		br := bufio.NewReader(conn)
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, req.Body)
		if _, err := io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789"); err != nil {
			return
		}
		close(s.sent)
		_, _ = io.Copy(io.Discard, br) // until the proxy closes the connection
		close(s.closed)
	}()
	return s
}
