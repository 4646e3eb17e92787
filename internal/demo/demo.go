// Package demo reproduces, on one machine and with no network, the bug
// acmeproxy exists to catch: a legacy ACME v1 client (acme-tiny before 4.0)
// whose own check of its second challenge file fails, so it stops and
// leaves that authorization pending. It starts the project's v1 test CA,
// an HTTP-01 responder and the recording proxy, all on loopback, runs the
// client through the proxy and leaves a journal to lint.
package demo

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/acmeproxy/acmeproxy/internal/legacyca"
	"github.com/acmeproxy/acmeproxy/internal/legacyclient"
	"github.com/acmeproxy/acmeproxy/internal/mitmca"
	"github.com/acmeproxy/acmeproxy/journal"
	"github.com/acmeproxy/acmeproxy/proxy"
)

// Names are the two names the client asks for; the second one's challenge
// file is never published.
var Names = []string{"example.test", "www.example.test"}

// Options configures a run.
type Options struct {
	// Dir receives the journal (demo.jsonl).
	Dir string
	// Tool is written into the journal header.
	Tool string
	// Log receives the narration and the client's output.
	Log io.Writer
}

// Run records the demo and returns the journal's path.
func Run(ctx context.Context, o Options) (string, error) {
	responder := newResponder()
	defer responder.Close()
	ca, err := legacyca.New(legacyca.Config{Website: "https://github.com/acmeproxy/acmeproxy (v1 test CA)", DialContext: responder.dial})
	if err != nil {
		return "", err
	}
	defer ca.Close()
	srv := httptest.NewTLSServer(ca.Handler())
	defer srv.Close()
	dir := srv.URL + "/directory"
	fmt.Fprintf(o.Log, "demo: ACME v1 test CA (behaves like Boulder's v1 API) at %s\n", dir)

	path := filepath.Join(o.Dir, "demo.jsonl")
	mitm, err := mitmca.Generate(mitmca.Options{CommonName: "acmeproxy demo CA"})
	if err != nil {
		return "", err
	}
	w, err := journal.Create(path, journal.Header{Tool: o.Tool, Started: time.Now().UTC(), Upstream: dir, CAFingerprint: mitm.Fingerprint()}, journal.SyncBatch)
	if err != nil {
		return "", err
	}
	roots := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	p, err := proxy.New(proxy.Config{Upstream: dir, CA: mitm, Sink: w.Append, UpstreamRoots: roots, DialContext: responder.dialUnlessLoopback})
	if err != nil {
		w.Close()
		return "", err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		w.Close()
		return "", err
	}
	go p.Serve(ln)
	fmt.Fprintf(o.Log, "demo: acmeproxy recording on %s into %s\n", ln.Addr(), path)

	runErr := runClient(ctx, o, dir, ln.Addr().String(), mitm, responder)
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = errors.Join(p.Shutdown(shutdown), w.Close())
	if runErr == nil {
		return path, errors.Join(errors.New("demo: the client was expected to stop at its failed self-check"), err)
	}
	return path, err
}

func runClient(ctx context.Context, o Options, dir, proxyAddr string, mitm *mitmca.CA, r *responder) error {
	acct, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	certKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		Proxy:           http.ProxyURL(&url.URL{Scheme: "http", Host: proxyAddr}),
		TLSClientConfig: &tls.Config{RootCAs: mitm.Pool()}, // as a client given SSL_CERT_FILE would
	}}
	fmt.Fprintf(o.Log, "demo: running an acme-tiny-style v1 client for %s; its challenge file for %s is not served\n\n", strings.Join(Names, " and "), Names[1])
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	_, err = legacyclient.Run(ctx, legacyclient.Options{
		DirectoryURL: dir, HTTPClient: client, AccountKey: acct, CSRKey: certKey, Names: Names,
		Provision: func(name, token, keyAuth string) bool {
			if name == Names[1] {
				return false // the web root of www is elsewhere: the file is written where nobody serves it
			}
			r.set(token, keyAuth)
			return true
		},
		PollInterval: 500 * time.Millisecond, FetchIssuer: true, Log: prefixed{o.Log, "  client: "},
	})
	if err != nil {
		fmt.Fprintf(o.Log, "  client: ValueError: %v\n\n", err)
	}
	return err
}

// responder serves HTTP-01 key authorizations on a loopback port; every
// invented name is dialled to it.
type responder struct {
	srv *httptest.Server
	mu  sync.Mutex
	ka  map[string]string
}

func newResponder() *responder {
	r := &responder{ka: map[string]string{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		token := strings.TrimPrefix(req.URL.Path, "/.well-known/acme-challenge/")
		r.mu.Lock()
		ka, ok := r.ka[token]
		r.mu.Unlock()
		if !ok {
			http.NotFound(w, req)
			return
		}
		io.WriteString(w, ka)
	}))
	return r
}

func (r *responder) set(token, ka string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ka[token] = ka
}

func (r *responder) Close() { r.srv.Close() }

func (r *responder) dial(ctx context.Context, network, _ string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, network, r.srv.Listener.Addr().String())
}

func (r *responder) dialUnlessLoopback(ctx context.Context, network, addr string) (net.Conn, error) {
	if host, _, _ := net.SplitHostPort(addr); host == "127.0.0.1" {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	return r.dial(ctx, network, addr)
}

// prefixed writes each line with a prefix.
type prefixed struct {
	w      io.Writer
	prefix string
}

func (p prefixed) Write(b []byte) (int, error) {
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if line != "" {
			if _, err := io.WriteString(p.w, p.prefix+line); err != nil {
				return 0, err
			}
		}
	}
	return len(b), nil
}
