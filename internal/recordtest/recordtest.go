// Package recordtest runs the acmeproxy proxy in-process for tests: a real
// proxy with its own MITM CA, recording into a real journal, and an HTTP
// client that goes through it the way an ACME client configured with
// HTTPS_PROXY and the proxy's CA would.
package recordtest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/internal/mitmca"
	"github.com/acmeproxy/acmeproxy/journal"
	"github.com/acmeproxy/acmeproxy/proxy"
)

// Options configures a Recorder.
type Options struct {
	// Upstream is the CA's directory URL.
	Upstream string
	// UpstreamRoots verifies the CA's TLS certificate.
	UpstreamRoots *x509.CertPool
	// DialContext, when set, dials every upstream connection (tests map
	// invented names to loopback servers with it).
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// Journal is the journal's path; a file in t.TempDir() when empty.
	Journal string
	// Now stamps the journal header; time.Now when nil.
	Now func() time.Time
}

// Recorder is a running proxy. Stop it (or let the test end) before
// reading its journal.
type Recorder struct {
	Journal string
	CA      *mitmca.CA
	URL     *url.URL // the proxy's address as an http:// URL

	t       testing.TB
	p       *proxy.Proxy
	w       *journal.Writer
	served  chan error
	stopped sync.Once
}

// Start starts a proxy recording into a journal and stops it when the
// test ends.
func Start(t testing.TB, o Options) *Recorder {
	t.Helper()
	ca, err := mitmca.Generate(mitmca.Options{})
	if err != nil {
		t.Fatalf("recordtest: %v", err)
	}
	path := o.Journal
	if path == "" {
		path = filepath.Join(t.TempDir(), "journal.jsonl")
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	w, err := journal.Create(path, journal.Header{Tool: "acmeproxy (test)", Started: now().UTC(), Upstream: o.Upstream, CAFingerprint: ca.Fingerprint()}, journal.SyncBatch)
	if err != nil {
		t.Fatalf("recordtest: %v", err)
	}
	p, err := proxy.New(proxy.Config{Upstream: o.Upstream, CA: ca, Sink: w.Append, UpstreamRoots: o.UpstreamRoots, DialContext: o.DialContext})
	if err != nil {
		t.Fatalf("recordtest: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("recordtest: %v", err)
	}
	r := &Recorder{Journal: path, CA: ca, URL: &url.URL{Scheme: "http", Host: ln.Addr().String()}, t: t, p: p, w: w, served: make(chan error, 1)}
	go func() { r.served <- p.Serve(ln) }()
	t.Cleanup(r.Stop)
	return r
}

// Client returns an HTTP client that sends every request through the
// proxy and trusts the proxy's CA (and nothing else).
func (r *Recorder) Client() *http.Client {
	pool := r.CA.Pool()
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			Proxy:           http.ProxyURL(r.URL),
			TLSClientConfig: &tls.Config{RootCAs: pool},
		},
	}
}

// Stop shuts the proxy down and closes the journal. It is safe to call
// more than once.
func (r *Recorder) Stop() {
	r.stopped.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := r.p.Shutdown(ctx); err != nil {
			r.t.Errorf("recordtest: shutting down: %v", err)
		}
		if err := <-r.served; err != nil {
			r.t.Errorf("recordtest: serving: %v", err)
		}
		if err := r.w.Close(); err != nil {
			r.t.Errorf("recordtest: closing journal: %v", err)
		}
	})
}
