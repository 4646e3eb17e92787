package proxy_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/internal/journaltest"
	"github.com/acmeproxy/acmeproxy/internal/mitmca"
	"github.com/acmeproxy/acmeproxy/journal"
	"github.com/acmeproxy/acmeproxy/proxy"
)

// harness is a running proxy recording into a journal in t.TempDir().
type harness struct {
	t       *testing.T
	ca      *mitmca.CA
	p       *proxy.Proxy
	addr    string
	journal string
	w       *journal.Writer
	stopped bool
}

// startProxy starts a proxy for cfg (CA and Sink are filled in) and stops
// it when the test ends.
func startProxy(t *testing.T, cfg proxy.Config) *harness {
	t.Helper()
	ca, err := mitmca.Generate(mitmca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, ca: ca, journal: filepath.Join(t.TempDir(), "rec.jsonl")}
	h.w, err = journal.Create(h.journal, journal.Header{Tool: "acmeproxy test", Started: time.Now(), Upstream: cfg.Upstream, CAFingerprint: ca.Fingerprint()}, journal.SyncBatch)
	if err != nil {
		t.Fatal(err)
	}
	cfg.CA, cfg.Sink = ca, h.w.Append
	h.p, err = proxy.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.addr = ln.Addr().String()
	served := make(chan error, 1)
	go func() { served <- h.p.Serve(ln) }()
	t.Cleanup(func() {
		h.stop()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return h
}

// stop shuts the proxy down and closes the journal.
func (h *harness) stop() {
	if h.stopped {
		return
	}
	h.stopped = true
	ctx, cancel := contextWithTimeout(10 * time.Second)
	defer cancel()
	if err := h.p.Shutdown(ctx); err != nil {
		h.t.Errorf("Shutdown: %v", err)
	}
	if err := h.w.Close(); err != nil {
		h.t.Errorf("closing journal: %v", err)
	}
}

// exchanges stops the proxy and reads back the journal.
func (h *harness) exchanges() []*journal.Exchange {
	h.t.Helper()
	h.stop()
	return journaltest.ReadAll(h.t, h.journal)
}

// client returns an HTTP client that goes through the proxy, trusts the
// proxy's CA plus extra, and records what it receives.
func (h *harness) client(extra ...*x509.Certificate) (*http.Client, *observer) {
	pool := h.ca.Pool()
	for _, c := range extra {
		pool.AddCert(c)
	}
	proxyURL := &url.URL{Scheme: "http", Host: h.addr}
	tr := &http.Transport{
		Proxy:             http.ProxyURL(proxyURL),
		TLSClientConfig:   &tls.Config{RootCAs: pool},
		DisableKeepAlives: false,
	}
	h.t.Cleanup(tr.CloseIdleConnections)
	obs := &observer{next: tr}
	return &http.Client{Transport: obs, Timeout: 30 * time.Second}, obs
}

// seen is one response as the client received it.
type seen struct {
	Method, URL string
	Status      int
	Header      http.Header
	Body        []byte
	TLS         *tls.ConnectionState
}

func (s seen) sha() string {
	if len(s.Body) == 0 {
		return ""
	}
	sum := sha256.Sum256(s.Body)
	return hex.EncodeToString(sum[:])
}

// observer is a client-side RoundTripper that keeps a copy of every
// response, body included, in the order received.
type observer struct {
	next http.RoundTripper
	mu   sync.Mutex
	seen []seen
}

func (o *observer) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := o.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	o.mu.Lock()
	o.seen = append(o.seen, seen{req.Method, req.URL.String(), resp.StatusCode, resp.Header.Clone(), body, resp.TLS})
	o.mu.Unlock()
	return resp, nil
}

func (o *observer) all() []seen {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]seen(nil), o.seen...)
}

func contextWithTimeout(d time.Duration) (ctx context.Context, cancel context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}

// issuanceTimeout bounds an ACME issuance in a test. x/crypto/acme retries
// 5xx answers and polls pending resources until its context ends, so with
// t.Context() alone a proxy that keeps failing (a sink refusing every
// record, say) would hang the test until go test's timeout.
const issuanceTimeout = 3 * time.Minute

// issuanceContext is t.Context() bounded by issuanceTimeout.
func issuanceContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), issuanceTimeout)
	t.Cleanup(cancel)
	return ctx
}
