package legacyca

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Defaults applied by New to zero Config fields. They are the values Let's
// Encrypt's Boulder ran on its v1 endpoint in its final years
// (acme-reference.md §9).
const (
	// DefaultTermsOfService is the subscriber agreement URL advertised in
	// the directory's meta.terms-of-service (LE's last v1 agreement).
	DefaultTermsOfService = "https://letsencrypt.org/documents/LE-SA-v1.2-November-15-2017.pdf"
	// DefaultWebsite is the directory's meta.website.
	DefaultWebsite = "https://letsencrypt.org"
	// DefaultCAAIdentity is the only entry of the directory's meta.caaIdentities.
	DefaultCAAIdentity = "letsencrypt.org"
	// DefaultPendingAuthzLifetime is how long a pending authorization lives.
	DefaultPendingAuthzLifetime = 7 * 24 * time.Hour
	// DefaultValidAuthzLifetime is how long a valid authorization stays
	// usable for issuance and reuse after its validation.
	DefaultValidAuthzLifetime = 30 * 24 * time.Hour
	// DefaultPendingAuthzLimit is Boulder's cap on pending authorizations
	// per account (2015 – January 2025).
	DefaultPendingAuthzLimit = 300
	// DefaultCertLifetime is the validity period of issued certificates.
	DefaultCertLifetime = 90 * 24 * time.Hour
	// DefaultValidationTimeout bounds one validation attempt.
	DefaultValidationTimeout = 10 * time.Second

	// forumURL is where Boulder's random directory entry points.
	forumURL = "https://community.letsencrypt.org/t/adding-random-entries-to-the-directory/33417"
	// pendingReuseMinRemaining is how much lifetime a pending authorization
	// must have left to be recycled (Boulder ReusePendingAuthz: 1 h).
	pendingReuseMinRemaining = time.Hour
	// validReuseMinRemaining is how much lifetime a valid authorization
	// must have left to be reused by new-authz (Boulder v1: 24 h).
	validReuseMinRemaining = 24 * time.Hour
)

// Config configures a CA. The zero value is usable: every zero field takes
// the default documented on it. New never reads the environment.
type Config struct {
	// BaseURL, when set, is the scheme://host[:port] prefix of every URL the
	// CA hands out (directory entries, Location and Link headers, challenge
	// uri). When empty, each request's own scheme and Host are used, which
	// is what a test behind httptest or behind the recording proxy wants.
	BaseURL string

	// TermsOfService is the agreement URL; default DefaultTermsOfService.
	TermsOfService string
	// Website is the directory's meta.website; default DefaultWebsite.
	Website string
	// CAAIdentities is meta.caaIdentities; default [DefaultCAAIdentity].
	CAAIdentities []string

	// PendingAuthzLifetime is the life of a pending authorization; default
	// DefaultPendingAuthzLifetime (7 days). Expired authorizations answer 404.
	PendingAuthzLifetime time.Duration
	// ValidAuthzLifetime is the life of an authorization after successful
	// validation, which is also its reuse window; default
	// DefaultValidAuthzLifetime (30 days).
	ValidAuthzLifetime time.Duration
	// PendingAuthzLimit caps unexpired pending authorizations per account;
	// new-authz beyond it answers 429 rateLimited. Zero means
	// DefaultPendingAuthzLimit (300); a negative value disables the cap.
	PendingAuthzLimit int
	// CertLifetime is the validity of issued certificates; default
	// DefaultCertLifetime (90 days).
	CertLifetime time.Duration

	// NonceRejectPercent is the share (0–100) of otherwise good nonces the
	// CA rejects with badNonce, to exercise client retries. Default 0.
	NonceRejectPercent int

	// HTTPPort is the port http-01 validation connects to; default 80.
	HTTPPort int
	// DialContext dials validation connections. Tests set it to map every
	// name to a loopback challenge server. Default: a net.Dialer.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// LookupTXT resolves TXT records for dns-01 validation. Default:
	// net.DefaultResolver.LookupTXT.
	LookupTXT func(ctx context.Context, name string) ([]string, error)
	// ValidationTimeout bounds one validation attempt; default
	// DefaultValidationTimeout.
	ValidationTimeout time.Duration

	// Now is the CA's clock, used for expiry, reuse and certificate
	// validity; default time.Now. It must be safe for concurrent use.
	Now func() time.Time
}

// CA is an in-memory ACME v1 certificate authority. Its methods are safe for
// concurrent use. Serve it with Handler; stop background validations with
// Close.
type CA struct {
	cfg      Config
	base     *url.URL // parsed cfg.BaseURL, nil when taken from requests
	randKey  string   // this instance's random directory key
	handler  http.Handler
	nonces   *nonceStore
	issuer   *issuer
	validate *http.Client // http-01 fetcher

	ctx    context.Context // cancelled by Close; parent of validations
	cancel context.CancelFunc
	wg     sync.WaitGroup // running validations

	mu     sync.Mutex
	state  state
	closed bool // set by Close; no validation starts afterwards
}

// New returns a CA configured by cfg, with a fresh root and intermediate.
func New(cfg Config) (*CA, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	ca := &CA{cfg: cfg, nonces: newNonceStore(cfg.NonceRejectPercent)}
	if cfg.BaseURL != "" {
		u, err := url.Parse(strings.TrimSuffix(cfg.BaseURL, "/"))
		if err != nil || u.Scheme == "" || u.Host == "" {
			return nil, fmt.Errorf("legacyca: invalid BaseURL %q", cfg.BaseURL)
		}
		ca.base = u
	}
	var err error
	if ca.randKey, err = randomString(8); err != nil {
		return nil, fmt.Errorf("legacyca: generating directory key: %w", err)
	}
	if ca.issuer, err = newIssuer(cfg.Now()); err != nil {
		return nil, fmt.Errorf("legacyca: creating issuer: %w", err)
	}
	ca.validate = newValidationClient(cfg.DialContext)
	ca.ctx, ca.cancel = context.WithCancel(context.Background())
	ca.state = newState()
	ca.handler = ca.routes()
	return ca, nil
}

func (c *Config) setDefaults() error {
	if c.NonceRejectPercent < 0 || c.NonceRejectPercent > 100 {
		return fmt.Errorf("legacyca: NonceRejectPercent %d out of range 0-100", c.NonceRejectPercent)
	}
	if c.HTTPPort < 0 || c.HTTPPort > 65535 {
		return fmt.Errorf("legacyca: HTTPPort %d out of range", c.HTTPPort)
	}
	setDefault(&c.TermsOfService, DefaultTermsOfService)
	setDefault(&c.Website, DefaultWebsite)
	if c.CAAIdentities == nil {
		c.CAAIdentities = []string{DefaultCAAIdentity}
	}
	setDefault(&c.PendingAuthzLifetime, DefaultPendingAuthzLifetime)
	setDefault(&c.ValidAuthzLifetime, DefaultValidAuthzLifetime)
	setDefault(&c.PendingAuthzLimit, DefaultPendingAuthzLimit)
	setDefault(&c.CertLifetime, DefaultCertLifetime)
	setDefault(&c.HTTPPort, 80)
	setDefault(&c.ValidationTimeout, DefaultValidationTimeout)
	if c.LookupTXT == nil {
		c.LookupTXT = net.DefaultResolver.LookupTXT
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

func setDefault[T comparable](field *T, def T) {
	var zero T
	if *field == zero {
		*field = def
	}
}

// Handler returns the CA's HTTP handler. It serves every path listed in the
// package documentation and answers anything else with a 404 problem.
func (ca *CA) Handler() http.Handler { return ca.handler }

// Root returns the self-signed root certificate at the top of the chain.
func (ca *CA) Root() *x509.Certificate { return ca.issuer.rootCert }

// Issuer returns the intermediate certificate that signs every leaf; it is
// what GET /acme/issuer-cert serves.
func (ca *CA) Issuer() *x509.Certificate { return ca.issuer.cert }

// Close stops validations in flight and waits for them to finish. The
// handler keeps answering afterwards, but challenges triggered after Close
// fail validation at once.
func (ca *CA) Close() error {
	ca.mu.Lock()
	ca.closed = true
	ca.mu.Unlock()
	ca.cancel()
	ca.wg.Wait()
	return nil
}

// routes builds the mux. Patterns carry no method so that a wrong method
// gets Boulder's 405 malformed problem instead of ServeMux's plain text.
func (ca *CA) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/directory", methods{get: ca.handleDirectory})
	mux.Handle("/terms", methods{get: ca.handleTerms})
	mux.Handle("/acme/new-reg", methods{post: ca.handleNewReg})
	mux.Handle("/acme/reg/{id}", methods{post: ca.handleReg})
	mux.Handle("/acme/new-authz", methods{post: ca.handleNewAuthz})
	mux.Handle("/acme/authz/{id}", methods{get: ca.handleGetAuthz, post: ca.handlePostAuthz})
	mux.Handle("/acme/challenge/{authz}/{id}", methods{get: ca.handleGetChallenge, post: ca.handlePostChallenge})
	mux.Handle("/acme/new-cert", methods{post: ca.handleNewCert})
	mux.Handle("/acme/cert/{serial}", methods{get: ca.handleGetCert})
	mux.Handle("/acme/issuer-cert", methods{get: ca.handleIssuerCert})
	mux.Handle("/acme/revoke-cert", methods{post: ca.handleRevokeCert})
	mux.Handle("/acme/key-change", methods{post: ca.handleKeyChange})
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeProblem(w, newProblem(probMalformed, http.StatusNotFound, "Resource not found"))
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Boulder v1 attached a nonce to every response, GET and HEAD
		// included, and marked everything uncacheable (§4).
		h := w.Header()
		h.Set("Cache-Control", "public, max-age=0, no-cache")
		nonce, err := ca.nonces.issue()
		if err != nil {
			writeProblem(w, newProblem(probServerInternal, http.StatusInternalServerError, "unable to make nonce"))
			return
		}
		h.Set("Replay-Nonce", nonce)
		mux.ServeHTTP(w, r)
	})
}

// methods dispatches one resource by HTTP method; HEAD is served wherever
// GET is (net/http drops the body).
type methods struct {
	get  http.HandlerFunc
	post http.HandlerFunc
}

func (m methods) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var h http.HandlerFunc
	var allow []string
	if m.get != nil {
		allow = append(allow, http.MethodGet, http.MethodHead)
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			h = m.get
		}
	}
	if m.post != nil {
		allow = append(allow, http.MethodPost)
		if r.Method == http.MethodPost {
			h = m.post
		}
	}
	if h == nil {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeProblem(w, newProblem(probMalformed, http.StatusMethodNotAllowed, "Method not allowed"))
		return
	}
	h(w, r)
}

// url returns the absolute URL of path as seen by the client of r.
func (ca *CA) url(r *http.Request, path string) string {
	if ca.base != nil {
		return ca.base.String() + path
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + path
}

// Paths of the v1 resources, relative to the base URL.
const (
	pathDirectory  = "/directory"
	pathTerms      = "/terms"
	pathNewReg     = "/acme/new-reg"
	pathReg        = "/acme/reg/"
	pathNewAuthz   = "/acme/new-authz"
	pathAuthz      = "/acme/authz/"
	pathChallenge  = "/acme/challenge/"
	pathNewCert    = "/acme/new-cert"
	pathCert       = "/acme/cert/"
	pathIssuerCert = "/acme/issuer-cert"
	pathRevokeCert = "/acme/revoke-cert"
	pathKeyChange  = "/acme/key-change"
)

// errClosed is reported by validations started after Close.
var errClosed = errors.New("legacyca: CA closed")
