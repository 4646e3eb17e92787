package proxy_test

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/acmeproxy/acmeproxy/proxy"
)

// shapes is an upstream serving the response shapes a proxy tends to
// alter. It counts the TCP connections it accepts.
func shapes(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	der := bytes.Repeat([]byte{0x30, 0x82, 0x00, 0xff}, 64)
	big := bytes.Repeat([]byte("0123456789abcdef"), 320) // 5120 bytes
	mux := http.NewServeMux()
	mux.HandleFunc("/der", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/pkix-cert")
		_, _ = w.Write(der)
	})
	mux.HandleFunc("/gzip", func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			http.Error(w, "client did not ask for gzip", http.StatusNotAcceptable)
			return
		}
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write([]byte(`{"status":"valid"}`))
		_ = zw.Close()
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(buf.Bytes())
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(big)))
		_, _ = w.Write(big)
	})
	mux.HandleFunc("/chunked", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "first,")
		w.(http.Flusher).Flush()
		_, _ = io.WriteString(w, "second")
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		sum := sha256.Sum256(b)
		_, _ = io.WriteString(w, hex.EncodeToString(sum[:]))
	})
	mux.HandleFunc("/close", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Connection", "close")
		_, _ = io.WriteString(w, "last")
	})
	mux.HandleFunc("/ua", func(w http.ResponseWriter, r *http.Request) {
		_, _ = fmt.Fprintf(w, "%q", r.Header.Values("User-Agent"))
	})
	mux.HandleFunc("/slow-down", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"type":"urn:ietf:params:acme:error:rateLimited","detail":"slow down"}`)
	})
	srv := httptest.NewUnstartedServer(mux)
	var conns atomic.Int32
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, &conns
}

// TestTransparency checks that DER, gzip-encoded, chunked, oversized and
// error responses reach the client unchanged, and what the journal keeps
// of each.
func TestTransparency(t *testing.T) {
	t.Parallel()
	up, _ := shapes(t)
	h := startProxy(t, proxy.Config{Upstream: up.URL + "/dir", UpstreamRoots: poolOf(up), BodyCap: 1024})
	c, obs := h.client()
	c.Transport.(*observer).next.(*http.Transport).DisableCompression = true
	for _, path := range []string{"/der", "/big", "/chunked", "/slow-down"} {
		get(t, c, up.URL+path, nil)
	}
	get(t, c, up.URL+"/gzip", http.Header{"Accept-Encoding": {"gzip"}})
	bigReq := bytes.Repeat([]byte("x"), 3000)
	resp, err := c.Post(up.URL+"/echo", "application/jose+json", bytes.NewReader(bigReq))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	got := obs.all()
	recs := h.exchanges()
	if len(recs) != len(got) {
		t.Fatalf("journal has %d exchanges, client received %d", len(recs), len(got))
	}
	for i, s := range got {
		checkExchange(t, s, recs[i].Response.Body.SHA256, recs[i].Response.Body.Size)
		compareHeaders(t, s, recs[i])
		if s.Header.Get("Content-Length") == "" && !strings.HasSuffix(s.URL, "/chunked") {
			t.Errorf("%s: Content-Length lost", s.URL)
		}
	}
	if s := got[1]; !recs[1].Response.Body.Truncated || len(recs[1].Response.Body.Data) != 1024 || len(s.Body) != 5120 {
		t.Errorf("/big: client got %d bytes; journal kept %d, truncated=%v", len(s.Body), len(recs[1].Response.Body.Data), recs[1].Response.Body.Truncated)
	}
	if s := got[3]; s.Status != http.StatusTooManyRequests || s.Header.Get("Retry-After") != "120" {
		t.Errorf("/slow-down: %d, Retry-After %q", s.Status, s.Header.Get("Retry-After"))
	}
	if s := got[4]; s.Header.Get("Content-Encoding") != "gzip" || bytes.Contains(s.Body, []byte("valid")) {
		t.Errorf("/gzip: client got Content-Encoding %q and a decoded body: %q", s.Header.Get("Content-Encoding"), s.Body)
	}
	reqSum := sha256.Sum256(bigReq)
	rb := recs[5].Request.Body
	if rb.Size != 3000 || !rb.Truncated || rb.SHA256 != hex.EncodeToString(reqSum[:]) || string(got[5].Body) != rb.SHA256 {
		t.Errorf("oversized request: recorded size %d truncated %v sha %s; upstream saw sha %s", rb.Size, rb.Truncated, rb.SHA256, got[5].Body)
	}
}

// TestUserAgentUntouched checks that a request without a User-Agent reaches
// the CA without one (net/http would add its own) and that one with a
// User-Agent keeps it.
func TestUserAgentUntouched(t *testing.T) {
	t.Parallel()
	up, _ := shapes(t)
	h := startProxy(t, proxy.Config{Upstream: up.URL + "/dir", UpstreamRoots: poolOf(up)})
	c, obs := h.client()
	get(t, c, up.URL+"/ua", http.Header{"User-Agent": {""}}) // "" makes net/http send none
	get(t, c, up.URL+"/ua", http.Header{"User-Agent": {"acme-tiny/4.1"}})
	got := obs.all()
	if len(got) != 2 || string(got[0].Body) != "[]" || string(got[1].Body) != `["acme-tiny/4.1"]` {
		t.Fatalf("upstream saw User-Agent %q and %q, want none and the client's", got[0].Body, got[1].Body)
	}
	if recs := h.exchanges(); recs[0].Request.Headers.Get("User-Agent") != "" {
		t.Errorf("journal invented a User-Agent: %v", recs[0].Request.Headers)
	}
}

func checkExchange(t *testing.T, s seen, sha string, size int64) {
	t.Helper()
	if sha != s.sha() || size != int64(len(s.Body)) {
		t.Errorf("%s %s: journal sha %s size %d, client sha %s size %d", s.Method, s.URL, sha, size, s.sha(), len(s.Body))
	}
}

func get(t *testing.T, c *http.Client, url string, h http.Header) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	resp.Body.Close()
}

func poolOf(srv *httptest.Server) *x509.CertPool {
	return srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
}

// TestUpstreamConnectionsReused: clients that open one connection per
// request still share the proxy's upstream connections.
func TestUpstreamConnectionsReused(t *testing.T) {
	t.Parallel()
	up, conns := shapes(t)
	h := startProxy(t, proxy.Config{Upstream: up.URL + "/dir", UpstreamRoots: poolOf(up)})
	c, _ := h.client()
	c.Transport.(*observer).next.(*http.Transport).DisableKeepAlives = true
	for range 10 {
		get(t, c, up.URL+"/der", nil)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("upstream accepted %d connections for 10 client connections, want 1", n)
	}
}
