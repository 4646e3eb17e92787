package pebbletest

import (
	"crypto/x509"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/letsencrypt/pebble/v2/ca"
	"github.com/letsencrypt/pebble/v2/db"
	"github.com/letsencrypt/pebble/v2/va"
	"github.com/letsencrypt/pebble/v2/wfe"
)

// DirectoryPath is the path of Pebble's directory resource.
const DirectoryPath = "/dir"

// Options configures Start. The zero value gives a deterministic server:
// no nonce rejection, no VA sleeps, no authorization reuse, real HTTP-01
// validation against the Server's ChallengeServer.
type Options struct {
	// NonceRejectPercent is the share of valid nonces Pebble rejects with
	// badNonce (PEBBLE_WFE_NONCEREJECT), 0 to 100.
	NonceRejectPercent int
	// AuthzReusePercent is how often Pebble reuses a valid authorization
	// for a new order (PEBBLE_AUTHZREUSE), 0 to 100.
	AuthzReusePercent int
	// VASleep lets the VA sleep up to VASleepSeconds before validating, as
	// Pebble does by default (PEBBLE_VA_NOSLEEP unset).
	VASleep        bool
	VASleepSeconds int
	// AlwaysValid skips challenge validation (PEBBLE_VA_ALWAYS_VALID).
	AlwaysValid bool
	// Strict enables Pebble's strict mode.
	Strict bool
	// KeyAlgorithm is the issuing hierarchy's key type: "rsa" (Pebble's
	// default, used when empty) or "ecdsa".
	KeyAlgorithm string
	// RetryAfterAuthz and RetryAfterOrder are the Retry-After seconds
	// Pebble sends on pending authorizations and processing orders.
	RetryAfterAuthz, RetryAfterOrder int
	// Log receives Pebble's log; discarded when nil.
	Log io.Writer
}

// Server is a running in-process Pebble.
type Server struct {
	// DirectoryURL is the ACME directory, https://127.0.0.1:PORT/dir.
	DirectoryURL string
	// Addr is the host:port the server listens on.
	Addr string
	// CertPEM is the PEM of the server's TLS certificate: the file to pass
	// as --upstream-ca. Roots is a pool holding it.
	CertPEM []byte
	Roots   *x509.CertPool
	// IssuerRoot is the root of the chain Pebble issues certificates under.
	IssuerRoot *x509.Certificate
	// Challenges answers the VA's HTTP-01 requests.
	Challenges *ChallengeServer
	// DNSAddr is the loopback DNS server the VA resolves names with.
	DNSAddr string

	srv *httptest.Server
}

// envMu serialises the window in which Pebble's constructors read PEBBLE_*
// environment variables.
var envMu sync.Mutex

// Start runs Pebble until the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	logOut := opts.Log
	if logOut == nil {
		logOut = io.Discard
	}
	logger := log.New(logOut, "pebble ", log.Lmicroseconds)
	s := &Server{Challenges: StartChallengeServer(t), DNSAddr: startDNS(t)}
	keyAlg := opts.KeyAlgorithm
	if keyAlg == "" {
		keyAlg = "rsa"
	}
	store := db.NewMemoryStore()
	profiles := map[string]ca.Profile{"default": {Description: "The default profile"}}

	var handler http.Handler
	withPebbleEnv(opts, func() {
		authority := ca.New(logger, store, "", keyAlg, 0, 1, profiles)
		vaImpl := va.New(logger, s.Challenges.Port(), 0, opts.Strict, s.DNSAddr, store)
		front := wfe.New(logger, store, vaImpl, authority, []string{"pebble.letsencrypt.org"},
			opts.Strict, false, opts.RetryAfterAuthz, opts.RetryAfterOrder)
		handler = front.Handler()
		s.IssuerRoot = authority.GetRootCert(0).Cert
	})

	s.srv = httptest.NewUnstartedServer(serialized(handler))
	s.srv.Config.ErrorLog = logger
	s.srv.StartTLS()
	t.Cleanup(func() { closeWithin(t, s.srv, closeWait) })
	s.Addr = s.srv.Listener.Addr().String()
	s.DirectoryURL = s.srv.URL + DirectoryPath
	cert := s.srv.Certificate()
	s.CertPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
	s.Roots = x509.NewCertPool()
	s.Roots.AddCert(cert)
	return s
}

// serialized runs the requests to h one at a time. Pebble's front end
// takes its store's lock and an authorization's lock in both orders (a
// POST to an authorization holds the authorization, then reads the store
// to look its account up; a new order holds the store's read lock while
// it locks every authorization in turn to look for one to reuse), and
// once a writer (a new account, order or authorization) queues on the
// store's RWMutex, two such requests at once stop every request for good:
// TestSixteenClients in ./proxy hung that way. Pebble's handlers only
// touch memory and answer in about a millisecond, so one request at a
// time costs the tests little; the proxy in front still sees every
// client at once.
func serialized(h http.Handler) http.Handler {
	var mu sync.Mutex
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

// closeWait bounds how long a test's end waits for the requests still
// running on a server.
const closeWait = 15 * time.Second

// closeWithin closes srv, waiting at most d for the requests it is still
// serving. httptest.Server.Close waits for them without a limit, so a
// request stuck inside Pebble (its in-memory store's locks have been seen
// wedged under many concurrent issuances) would hang the test until go
// test's timeout with nothing said; closeWithin fails the test instead,
// with every goroutine's stack, and leaves the stuck ones behind.
func closeWithin(t testing.TB, srv *httptest.Server, d time.Duration) {
	closed := make(chan struct{})
	go func() {
		srv.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(d):
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Errorf("pebbletest: %s still serving requests %v after Close; goroutines:\n%s", srv.URL, d, buf)
	}
}

// Client returns an HTTP client that talks to the server directly,
// trusting its TLS certificate and ignoring proxy settings.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Close stops the server before the test ends (to simulate an upstream
// that went away). It is safe to call more than once.
func (s *Server) Close() { s.srv.Close() }

// withPebbleEnv runs f with the PEBBLE_* variables set from opts and
// restores the previous environment afterwards.
func withPebbleEnv(opts Options, f func()) {
	vars := map[string]string{
		"PEBBLE_WFE_NONCEREJECT": strconv.Itoa(opts.NonceRejectPercent),
		"PEBBLE_AUTHZREUSE":      strconv.Itoa(opts.AuthzReusePercent),
		"PEBBLE_VA_NOSLEEP":      "1",
		"PEBBLE_VA_SLEEPTIME":    "",
		"PEBBLE_VA_ALWAYS_VALID": "0",
	}
	if opts.VASleep {
		vars["PEBBLE_VA_NOSLEEP"] = "0"
		if opts.VASleepSeconds > 0 {
			vars["PEBBLE_VA_SLEEPTIME"] = strconv.Itoa(opts.VASleepSeconds)
		}
	}
	if opts.AlwaysValid {
		vars["PEBBLE_VA_ALWAYS_VALID"] = "1"
	}
	envMu.Lock()
	defer envMu.Unlock()
	for k, v := range vars {
		old, had := os.LookupEnv(k)
		_ = os.Setenv(k, v)
		defer func() {
			if had {
				_ = os.Setenv(k, old)
			} else {
				_ = os.Unsetenv(k)
			}
		}()
	}
	f()
}
