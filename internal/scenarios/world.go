package scenarios

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/internal/legacyca"
	"github.com/acmeproxy/acmeproxy/internal/pebbletest"
	"github.com/acmeproxy/acmeproxy/internal/recordtest"
)

// World is a CA, an HTTP-01 responder every invented name resolves to, and
// a recording proxy in front of the CA.
type World struct {
	// Directory is the CA's directory URL.
	Directory string
	// Challenges serves HTTP-01 key authorizations.
	Challenges *pebbletest.ChallengeServer
	// Recorder is the proxy; Recorder.Client() goes through it.
	Recorder *recordtest.Recorder
	// Pebble is set for v2 worlds.
	Pebble *pebbletest.Server
}

// Client returns an HTTP client through the recording proxy.
func (w *World) Client() *http.Client { return w.Recorder.Client() }

// StartV1 starts the v1 test CA configured by cfg behind a recorder that
// writes journal (a temporary file when empty).
func StartV1(t testing.TB, cfg legacyca.Config, journal string) *World {
	t.Helper()
	w := &World{Challenges: pebbletest.StartChallengeServer(t)}
	responder := strings.TrimPrefix(w.Challenges.URL(), "http://")
	toResponder := func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, responder)
	}
	cfg.DialContext = toResponder
	if cfg.Website == "" {
		cfg.Website = "https://github.com/acmeproxy/acmeproxy (v1 test CA)"
	}
	ca, err := legacyca.New(cfg)
	if err != nil {
		t.Fatalf("scenarios: %v", err)
	}
	t.Cleanup(func() { ca.Close() })
	srv := httptest.NewTLSServer(ca.Handler())
	t.Cleanup(srv.Close)
	w.Directory = srv.URL + "/directory"
	roots := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if host, _, _ := net.SplitHostPort(addr); host == "127.0.0.1" {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		}
		return toResponder(ctx, network, addr) // a client's self-check of an invented name
	}
	w.Recorder = recordtest.Start(t, recordtest.Options{Upstream: w.Directory, UpstreamRoots: roots, DialContext: dial, Journal: journal})
	return w
}

// StartV2 starts in-process Pebble configured by opts behind a recorder
// that writes journal (a temporary file when empty).
func StartV2(t testing.TB, opts pebbletest.Options, journal string) *World {
	t.Helper()
	p := pebbletest.Start(t, opts)
	w := &World{Directory: p.DirectoryURL, Challenges: p.Challenges, Pebble: p}
	responder := strings.TrimPrefix(p.Challenges.URL(), "http://")
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		if host, _, _ := net.SplitHostPort(addr); host != "127.0.0.1" {
			addr = responder
		}
		return d.DialContext(ctx, network, addr)
	}
	w.Recorder = recordtest.Start(t, recordtest.Options{Upstream: p.DirectoryURL, UpstreamRoots: p.Roots, DialContext: dial, Journal: journal})
	return w
}

// Timeout bounds one scenario.
const Timeout = 60 * time.Second
