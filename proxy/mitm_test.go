package proxy_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/proxy"
)

// TestKeepAliveReused: a keep-alive client sends many requests over one
// intercepted connection (one CONNECT, one handshake), and every one is
// recorded on that connection.
func TestKeepAliveReused(t *testing.T) {
	t.Parallel()
	up, upConns := shapes(t)
	h := startProxy(t, proxy.Config{Upstream: up.URL + "/dir", UpstreamRoots: poolOf(up)})
	c, obs := h.client()
	const n = 20
	for i := range n {
		if i%2 == 0 {
			get(t, c, up.URL+"/der", nil)
		} else {
			resp, err := c.Post(up.URL+"/echo", "application/jose+json", strings.NewReader(fmt.Sprintf(`{"n":%d}`, i)))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
	}
	if st := h.p.Stats(); st.Intercepted != 1 {
		t.Errorf("%d CONNECTs for %d keep-alive requests, want 1", st.Intercepted, n)
	}
	if k := upConns.Load(); k != 1 {
		t.Errorf("upstream accepted %d connections, want 1", k)
	}
	got := obs.all()
	recs := h.exchanges()
	if len(recs) != n || len(got) != n {
		t.Fatalf("journal has %d exchanges, client got %d responses, want %d", len(recs), len(got), n)
	}
	for i, e := range recs {
		if e.Conn != recs[0].Conn || e.Mode != proxy.ModeMITM {
			t.Errorf("exchange %d: conn %d mode %s, want conn %d mitm", i, e.Conn, e.Mode, recs[0].Conn)
		}
		checkExchange(t, got[i], e.Response.Body.SHA256, e.Response.Body.Size)
	}
}

// mitmConn opens a CONNECT tunnel to target and a TLS session over it
// that trusts the proxy's CA.
func (h *harness) mitmConn(t *testing.T, target string) *tls.Conn {
	t.Helper()
	conn := connect(t, h.addr, target)
	host, _, _ := net.SplitHostPort(target)
	tc := tls.Client(conn, &tls.Config{RootCAs: h.ca.Pool(), ServerName: host})
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	_ = tc.SetDeadline(time.Now().Add(20 * time.Second))
	return tc
}

// TestPipelinedRequests: requests sent back to back before any response
// are answered in order, each with its own upstream response, and all
// are recorded in that order.
func TestPipelinedRequests(t *testing.T) {
	t.Parallel()
	up, _ := shapes(t)
	h := startProxy(t, proxy.Config{Upstream: up.URL + "/dir", UpstreamRoots: poolOf(up)})
	host := strings.TrimPrefix(up.URL, "https://")
	tc := h.mitmConn(t, host)
	bodies := []string{"one", "two-two", "three-three-three"}
	var wire bytes.Buffer
	for _, b := range bodies {
		fmt.Fprintf(&wire, "POST /echo HTTP/1.1\r\nHost: %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s", host, len(b), b)
	}
	fmt.Fprintf(&wire, "GET /der HTTP/1.1\r\nHost: %s\r\n\r\n", host)
	if _, err := tc.Write(wire.Bytes()); err != nil { // one write: all four requests at once
		t.Fatal(err)
	}
	br := bufio.NewReader(tc)
	for i, b := range bodies {
		resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodPost})
		if err != nil {
			t.Fatalf("response %d: %v", i, err)
		}
		got, _ := io.ReadAll(resp.Body)
		sum := sha256.Sum256([]byte(b))
		if resp.StatusCode != http.StatusOK || string(got) != hex.EncodeToString(sum[:]) {
			t.Errorf("response %d: %d %q, want the digest of %q", i, resp.StatusCode, got, b)
		}
	}
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodGet})
	if err != nil {
		t.Fatal(err)
	}
	der, _ := io.ReadAll(resp.Body)
	if resp.Header.Get("Content-Type") != "application/pkix-cert" || len(der) != 256 || resp.ContentLength != 256 {
		t.Errorf("GET /der: %s, %d bytes, Content-Length %d", resp.Header.Get("Content-Type"), len(der), resp.ContentLength)
	}
	tc.Close()
	recs := h.exchanges()
	if len(recs) != 4 {
		t.Fatalf("journal has %d exchanges, want 4", len(recs))
	}
	for i, b := range bodies {
		if got := string(recs[i].Request.Body.Data); got != b {
			t.Errorf("exchange %d recorded request body %q, want %q", i, got, b)
		}
	}
}

// TestExpectContinue: a client that sends "Expect: 100-continue" and
// waits gets a 100 Continue, then the upstream's answer to its body; the
// body is forwarded and recorded whole.
func TestExpectContinue(t *testing.T) {
	t.Parallel()
	up, _ := shapes(t)
	h := startProxy(t, proxy.Config{Upstream: up.URL + "/dir", UpstreamRoots: poolOf(up)})
	host := strings.TrimPrefix(up.URL, "https://")
	tc := h.mitmConn(t, host)
	body := `{"payload":"expect"}`
	fmt.Fprintf(tc, "POST /echo HTTP/1.1\r\nHost: %s\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n", host, len(body))
	br := bufio.NewReader(tc)
	line, err := br.ReadString('\n')
	if err != nil || line != "HTTP/1.1 100 Continue\r\n" {
		t.Fatalf("before the body: %q, %v; want a 100 Continue", line, err)
	}
	if blank, _ := br.ReadString('\n'); blank != "\r\n" {
		t.Fatalf("100 Continue not followed by an empty line: %q", blank)
	}
	if _, err := io.WriteString(tc, body); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodPost})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	sum := sha256.Sum256([]byte(body))
	if resp.StatusCode != http.StatusOK || string(got) != hex.EncodeToString(sum[:]) {
		t.Errorf("got %d %q, want the body's digest", resp.StatusCode, got)
	}
	// The connection is still usable.
	fmt.Fprintf(tc, "GET /der HTTP/1.1\r\nHost: %s\r\n\r\n", host)
	if resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodGet}); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("request after the Expect one: %v", err)
	}
	tc.Close()
	recs := h.exchanges()
	if len(recs) != 2 || string(recs[0].Request.Body.Data) != body || recs[0].Request.Headers.Get("Expect") != "100-continue" {
		t.Fatalf("journal: %d exchanges, first request %+v", len(recs), recs[0].Request)
	}
}

// TestClientDisconnectMidBody: a client that closes its connection in the
// middle of a request body gets nothing forwarded; the proxy records the
// failed read, keeps serving others and shuts down cleanly.
func TestClientDisconnectMidBody(t *testing.T) {
	t.Parallel()
	up, _ := shapes(t)
	h := startProxy(t, proxy.Config{Upstream: up.URL + "/dir", UpstreamRoots: poolOf(up)})
	host := strings.TrimPrefix(up.URL, "https://")
	tc := h.mitmConn(t, host)
	fmt.Fprintf(tc, "POST /echo HTTP/1.1\r\nHost: %s\r\nContent-Length: 1000\r\n\r\n%s", host, strings.Repeat("x", 400))
	tc.Close()

	c, _ := h.client()
	get(t, c, up.URL+"/der", nil) // the proxy still serves
	deadline := time.Now().Add(10 * time.Second)
	for h.p.Stats().Exchanges < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	recs := h.exchanges()
	var cut int
	for _, e := range recs {
		if e.Request.Method != http.MethodPost {
			continue
		}
		cut++
		if e.Response != nil || !strings.Contains(e.Error, "request body") {
			t.Errorf("cut-off POST recorded with response %v, error %q", e.Response, e.Error)
		}
	}
	if cut != 1 || len(recs) != 2 {
		t.Errorf("journal has %d exchanges, %d of them the cut-off POST; want 2 and 1", len(recs), cut)
	}
}

// TestConnectionClose: "Connection: close" from the client or from the
// upstream ends the intercepted connection after that response, and the
// client is told so; the upstream connection of a client's close stays
// open for reuse.
func TestConnectionClose(t *testing.T) {
	t.Parallel()
	up, upConns := shapes(t)
	h := startProxy(t, proxy.Config{Upstream: up.URL + "/dir", UpstreamRoots: poolOf(up)})
	host := strings.TrimPrefix(up.URL, "https://")
	for _, tc := range []struct{ name, path, header string }{
		{"client", "/der", "Connection: close\r\n"},
		{"upstream", "/close", ""},
	} {
		conn := h.mitmConn(t, host)
		fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\n%s\r\n", tc.path, host, tc.header)
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodGet})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || !resp.Close || len(body) == 0 {
			t.Errorf("%s close: %d, Close %v, %d body bytes", tc.name, resp.StatusCode, resp.Close, len(body))
		}
		if _, err := br.ReadByte(); err != io.EOF {
			t.Errorf("%s close: connection still open after the response (%v)", tc.name, err)
		}
		conn.Close()
	}
	c, _ := h.client()
	get(t, c, up.URL+"/der", nil)
	if n := upConns.Load(); n != 2 {
		t.Errorf("upstream accepted %d connections, want 2 (one reused after the client's close, one after the upstream's)", n)
	}
}
