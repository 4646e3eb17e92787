package proxy_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/elazarl/goproxy"

	"github.com/acmeproxy/acmeproxy/internal/mitmca"
	"github.com/acmeproxy/acmeproxy/journal"
	"github.com/acmeproxy/acmeproxy/proxy"
)

// Benchmark bodies: an ACME-sized JWS in, an ACME-sized JSON object out.
var (
	benchRequest  = []byte(`{"protected":"` + strings.Repeat("e", 300) + `","payload":"` + strings.Repeat("p", 600) + `","signature":"` + strings.Repeat("s", 250) + `"}`)
	benchResponse = []byte(`{"status":"pending","expires":"2030-01-01T00:00:00Z","identifiers":[{"type":"dns","value":"bench.example"}],"authorizations":["https://127.0.0.1/authz/` + strings.Repeat("a", 600) + `"],"finalize":"https://127.0.0.1/finalize/1"}`)
)

// benchUpstream is a local TLS server with an ECDSA P-256 certificate for
// host (as Let's Encrypt and Pebble serve) answering every request with
// benchResponse.
type benchUpstream struct {
	url     string
	addr    string
	roots   *x509.CertPool
	certPEM []byte
}

func startBenchUpstream(b testing.TB, host string) *benchUpstream {
	b.Helper()
	ca, err := mitmca.Generate(mitmca.Options{CommonName: "bench upstream CA"})
	if err != nil {
		b.Fatal(err)
	}
	leaf, err := ca.SignLeaf(host)
	if err != nil {
		b.Fatal(err)
	}
	var nonce atomic.Int64
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Replay-Nonce", fmt.Sprintf("nonce%020d", nonce.Add(1)))
			w.Header().Set("Content-Length", fmt.Sprint(len(benchResponse)))
			_, _ = w.Write(benchResponse)
		}),
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{*leaf}},
		ErrorLog:  log.New(io.Discard, "", 0),
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = srv.ServeTLS(ln, "", "") }()
	b.Cleanup(func() { _ = srv.Close() })
	return &benchUpstream{url: "https://" + ln.Addr().String(), addr: ln.Addr().String(), roots: ca.Pool(), certPEM: ca.CertPEM}
}

// benchTarget is one way to reach the upstream: a proxy address (or none)
// and the roots a client must trust.
type benchTarget struct {
	proxy string
	roots *x509.CertPool
	pid   int // a proxy running as another process, whose CPU time counts too
	// journal is acmeproxy's journal, for counting records per fsync.
	journal *journal.Writer
}

// startAcmeproxy runs this package's proxy with a journal in mode.
func startAcmeproxy(b *testing.B, up *benchUpstream, mode journal.Sync) benchTarget {
	b.Helper()
	ca, err := mitmca.Generate(mitmca.Options{})
	if err != nil {
		b.Fatal(err)
	}
	w, err := journal.Create(filepath.Join(b.TempDir(), "bench.jsonl"), journal.Header{Started: time.Now()}, mode)
	if err != nil {
		b.Fatal(err)
	}
	p, err := proxy.New(proxy.Config{Upstream: up.url + "/dir", UpstreamRoots: up.roots, CA: ca, Sink: w.Append})
	if err != nil {
		b.Fatal(err)
	}
	addr := serveBench(b, func(ln net.Listener) { _ = p.Serve(ln) }, func() {
		_ = p.Shutdown(b.Context())
		_ = w.Close()
	})
	return benchTarget{proxy: addr, roots: ca.Pool(), journal: w}
}

// startBareGoproxy runs goproxy with its default configuration, except
// that it intercepts every CONNECT with our CA (never its public one) and
// trusts the upstream's root.
func startBareGoproxy(b *testing.B, up *benchUpstream) benchTarget {
	b.Helper()
	ca, err := mitmca.Generate(mitmca.Options{})
	if err != nil {
		b.Fatal(err)
	}
	caCert := ca.TLSCertificate()
	gp := goproxy.NewProxyHttpServer()
	gp.Logger = log.New(io.Discard, "", 0)
	gp.Tr = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: up.roots}, Proxy: http.ProxyFromEnvironment}
	mitm := &goproxy.ConnectAction{Action: goproxy.ConnectMitm, TLSConfig: goproxy.TLSConfigFromCA(&caCert)}
	gp.OnRequest().HandleConnectFunc(func(host string, _ *goproxy.ProxyCtx) (*goproxy.ConnectAction, string) {
		return mitm, host
	})
	srv := &http.Server{Handler: gp, ErrorLog: log.New(io.Discard, "", 0)}
	addr := serveBench(b, func(ln net.Listener) { _ = srv.Serve(ln) }, func() { _ = srv.Close() })
	return benchTarget{proxy: addr, roots: ca.Pool()}
}

func serveBench(b *testing.B, serve func(net.Listener), stop func()) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go serve(ln)
	b.Cleanup(stop)
	return ln.Addr().String()
}

// client returns an HTTP client for the target.
func (t benchTarget) client(keepAlive bool) *http.Client {
	tr := &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: t.roots},
		DisableKeepAlives:   !keepAlive,
		MaxIdleConnsPerHost: 32,
		DisableCompression:  true,
	}
	if t.proxy != "" {
		tr.Proxy = http.ProxyURL(&url.URL{Scheme: "http", Host: t.proxy})
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// roundTrip posts benchRequest and reads the whole response.
func roundTrip(c *http.Client, target string) error {
	resp, err := c.Post(target, "application/jose+json", bytes.NewReader(benchRequest))
	if err != nil {
		return err
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err == nil && (resp.StatusCode != http.StatusOK || n != int64(len(benchResponse))) {
		err = fmt.Errorf("got %d with %d bytes", resp.StatusCode, n)
	}
	return err
}
