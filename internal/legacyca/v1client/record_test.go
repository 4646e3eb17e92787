package v1client_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"golang.org/x/crypto/acme"

	"github.com/acmeproxy/acmeproxy/decode"
	"github.com/acmeproxy/acmeproxy/internal/legacyca"
	"github.com/acmeproxy/acmeproxy/internal/legacyca/v1client"
	"github.com/acmeproxy/acmeproxy/internal/recordtest"
	"github.com/acmeproxy/acmeproxy/journal"
)

var record = flag.Bool("record", false, "rewrite examples/recordings/v1-xcrypto-*.jsonl from the scenarios")

// recordingsDir is the root module's examples/recordings, which the
// decoder's golden test (go test ./decode) reads.
const recordingsDir = "../../../examples/recordings"

// recorded are the scenarios recorded as examples/recordings/v1-xcrypto-
// <name>.jsonl, and the operations each recording must contain: together
// they cover every v1 operation the pinned client sends.
var recorded = []struct {
	name string
	ops  []string
}{
	{"one-name", []string{"directory", "account.create", "account.update", "authz.create", "self_check",
		"challenge.trigger", "authz.fetch", "cert.issue", "cert.issuer"}},
	{"second-name-invalid", []string{"challenge.trigger", "authz.fetch"}},
	{"terms-not-agreed", []string{"account.create", "authz.create"}},
	{"deactivate-pending", []string{"self_check", "authz.deactivate", "authz.fetch"}},
	{"revoke-by-cert-key", []string{"cert.issue", "cert.revoke"}},
	// Not a v1client.Scenario: the pinned client's account and certificate
	// calls that no scenario makes (runAccount below).
	{"account", []string{"account.fetch", "account.update", "cert.issue", "cert.download", "cert.issuer", "cert.revoke"}},
}

// TestRecordScenarios runs scenarios through the real recording proxy:
// every ACME request of the pinned client, and its self-checks, go through
// internal/recordtest's proxy in front of the v1 test CA. With -record the
// journals are written to examples/recordings/v1-xcrypto-<name>.jsonl;
// otherwise to a temporary directory. Each journal must hold the
// operations listed in recorded.
func TestRecordScenarios(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if *record {
		dir = recordingsDir
	}
	for _, rc := range recorded {
		t.Run(rc.name, func(t *testing.T) {
			t.Parallel()
			run := runAccount
			limit := 0
			s, isScenario := v1client.Lookup(rc.name)
			if isScenario {
				run, limit = s.Run, s.PendingAuthzLimit
			}
			c := startRecordingCA(t, limit)
			path := filepath.Join(dir, "v1-xcrypto-"+rc.name+".jsonl")
			if *record {
				os.Remove(path)
			}
			rec := recordThrough(t, c, path)
			env := c.env()
			env.HTTPClient, env.SelfCheckClient = rec.Client(), rec.Client()
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			out, err := run(ctx, env)
			if err != nil {
				t.Fatalf("%v\noutcome: %+v", err, out)
			}
			if isScenario {
				checks[rc.name](t, c, out)
			}
			rec.Stop()
			got := recordedOps(t, path)
			for _, op := range rc.ops {
				if !slices.Contains(got, op) {
					t.Errorf("recording has no %s; it has %q", op, got)
				}
			}
		})
	}
}

// testCAWebsite is the directory's meta.website for recordings, the one
// internal/scenarios gives the v1 test CA: with legacyca's default (Let's
// Encrypt's) the linter would take a recording for Let's Encrypt's v1 API.
const testCAWebsite = "https://github.com/acmeproxy/acmeproxy (v1 test CA)"

// startRecordingCA is startCA for recordings: the same CA and challenge
// server, with testCAWebsite.
func startRecordingCA(t *testing.T, pendingLimit int) *testCA {
	t.Helper()
	chal, err := v1client.NewChallengeServer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = chal.Close() })
	ca, err := legacyca.New(legacyca.Config{
		PendingAuthzLimit: pendingLimit,
		HTTPPort:          chal.Port(),
		DialContext:       chal.DialContext,
		Website:           testCAWebsite,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(ca.Handler())
	t.Cleanup(func() {
		srv.Close()
		_ = ca.Close()
	})
	return &testCA{ca: ca, srv: srv, chal: chal}
}

// recordThrough starts a recording proxy in front of c's CA. The proxy
// dials the CA at 127.0.0.1 and every other name (a self-check of an
// invented name) at the challenge server, as the CA's validation does.
func recordThrough(t *testing.T, c *testCA, path string) *recordtest.Recorder {
	t.Helper()
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if host, _, _ := net.SplitHostPort(addr); host == "127.0.0.1" {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		}
		return c.chal.DialContext(ctx, network, addr)
	}
	roots := c.srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	return recordtest.Start(t, recordtest.Options{Upstream: c.srv.URL + "/directory", UpstreamRoots: roots, DialContext: dial, Journal: path})
}

// recordedOps decodes the journal with the root module's decoder and
// returns each exchange's operation; every ACME exchange must decode as
// v1. (go test ./decode in the root module keeps goldens of the
// recordings under examples/recordings.)
func recordedOps(t *testing.T, path string) []string {
	t.Helper()
	r, err := journal.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	d := decode.NewDecoder()
	var ops []string
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		m := d.Decode(e)
		if m.Operation.ACME() && m.Dialect != decode.DialectV1 {
			t.Errorf("%s #%d: %s %s decoded as %s", path, m.Seq, m.Method, m.URL, m.Dialect)
		}
		ops = append(ops, m.Operation.String())
	}
	if r.Torn != nil || len(ops) == 0 {
		t.Fatalf("recording %s: %d exchanges, torn %v", path, len(ops), r.Torn)
	}
	return ops
}

// runAccount is the pinned client's account and certificate calls that no
// v1client.Scenario makes: register (new-reg, then the agreement as a reg
// update), fetch the registration (GetReg: a reg POST with only
// "resource"), change its contact (UpdateReg), validate one name, issue
// without the bundle, download the certificate again with its issuer
// (FetchCert follows Link rel="up"), and revoke it with the account key.
func runAccount(ctx context.Context, env v1client.Env) (*v1client.Outcome, error) {
	out := &v1client.Outcome{}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return out, err
	}
	out.AccountKey = key
	c := &acme.Client{Key: key, HTTPClient: env.HTTPClient, DirectoryURL: env.DirectoryURL, UserAgent: "acmeproxy-v1client"}
	acct, err := c.Register(ctx, &acme.Account{Contact: []string{"mailto:admin@example.test"}}, acme.AcceptTOS)
	if err != nil {
		return out, fmt.Errorf("register: %w", err)
	}
	out.AccountURL = acct.URI
	got, err := c.GetReg(ctx, acct.URI)
	if err != nil {
		return out, fmt.Errorf("reg fetch: %w", err)
	}
	if got.AgreedTerms == "" || !slices.Equal(got.Contact, acct.Contact) {
		return out, fmt.Errorf("reg fetch: agreement %q, contact %q", got.AgreedTerms, got.Contact)
	}
	upd, err := c.UpdateReg(ctx, &acme.Account{URI: acct.URI, Contact: []string{"mailto:ops@example.test"}})
	if err != nil {
		return out, fmt.Errorf("reg update: %w", err)
	}
	if !slices.Equal(upd.Contact, []string{"mailto:ops@example.test"}) {
		return out, fmt.Errorf("reg update: contact %q", upd.Contact)
	}

	name := "www.account.example.test"
	out.Names = []string{name}
	z, err := c.Authorize(ctx, name)
	if err != nil {
		return out, fmt.Errorf("new-authz: %w", err)
	}
	out.AuthzURLs = []string{z.URI}
	var chal *acme.Challenge
	for _, ch := range z.Challenges {
		if ch.Type == "http-01" {
			chal = ch
		}
	}
	if chal == nil {
		return out, errors.New("no http-01 challenge")
	}
	ka, err := c.HTTP01ChallengeResponse(chal.Token)
	if err != nil {
		return out, err
	}
	env.Challenges.Publish(name, chal.Token, ka)
	if _, err := c.Accept(ctx, chal); err != nil {
		return out, fmt.Errorf("challenge POST: %w", err)
	}
	if _, err := c.WaitAuthorization(ctx, z.URI); err != nil {
		return out, fmt.Errorf("waiting for %s: %w", z.URI, err)
	}

	certKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return out, err
	}
	csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: name}, DNSNames: []string{name}}, certKey)
	if err != nil {
		return out, err
	}
	leaf, certURL, err := c.CreateCert(ctx, csr, 0, false)
	if err != nil {
		return out, fmt.Errorf("new-cert: %w", err)
	}
	out.CertURL = certURL
	chain, err := c.FetchCert(ctx, certURL, true)
	if err != nil {
		return out, fmt.Errorf("certificate download: %w", err)
	}
	out.Certificate = chain
	if len(leaf) != 1 || len(chain) != 2 || !slices.Equal(chain[0], leaf[0]) {
		return out, fmt.Errorf("new-cert gave %d certificates, the download %d", len(leaf), len(chain))
	}
	if err := c.RevokeCert(ctx, nil, chain[0], acme.CRLReasonSuperseded); err != nil {
		return out, fmt.Errorf("revoke-cert: %w", err)
	}
	return out, nil
}
