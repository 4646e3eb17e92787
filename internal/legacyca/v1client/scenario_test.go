package v1client_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/acme"

	"github.com/acmeproxy/acmeproxy/internal/legacyca"
	"github.com/acmeproxy/acmeproxy/internal/legacyca/v1client"
)

// testCA is a legacyca served over TLS by httptest, validating http-01
// against a ChallengeServer.
type testCA struct {
	ca   *legacyca.CA
	srv  *httptest.Server
	chal *v1client.ChallengeServer
}

func startCA(t *testing.T, pendingLimit int) *testCA {
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
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(ca.Handler())
	srv.StartTLS()
	t.Cleanup(func() {
		srv.Close()
		_ = ca.Close()
	})
	return &testCA{ca: ca, srv: srv, chal: chal}
}

func (c *testCA) env() v1client.Env {
	return v1client.Env{
		HTTPClient:   c.srv.Client(),
		DirectoryURL: c.srv.URL + "/directory",
		Challenges:   c.chal,
	}
}

// authzStatus polls an authorization outside the scenario's client.
func (c *testCA) authzStatus(t *testing.T, url string) string {
	t.Helper()
	resp, err := c.srv.Client().Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var z struct{ Status string }
	if err := json.NewDecoder(resp.Body).Decode(&z); err != nil {
		t.Fatal(err)
	}
	return z.Status
}

// validations counts the CA's fetches (not self-checks) for name.
func (c *testCA) validations(name string) int {
	n := 0
	for _, r := range c.chal.Requests() {
		if r.Host == name && strings.Contains(r.UserAgent, "validation server") {
			n++
		}
	}
	return n
}

// selfChecks counts the client's own fetches for name.
func (c *testCA) selfChecks(name string) int {
	n := 0
	for _, r := range c.chal.Requests() {
		if r.Host == name && strings.HasPrefix(r.UserAgent, "Go-http-client") {
			n++
		}
	}
	return n
}

// checks holds, per scenario, what the test verifies beyond Run's own
// checks, looking at the CA and the challenge server directly.
var checks = map[string]func(t *testing.T, c *testCA, out *v1client.Outcome){
	"one-name": func(t *testing.T, c *testCA, out *v1client.Outcome) {
		wantIssued(t, c, out, 1)
		if c.validations(out.Names[0]) != 1 || c.selfChecks(out.Names[0]) != 1 {
			t.Errorf("fetches of %s: %d by the CA, %d self-checks; want 1 and 1", out.Names[0],
				c.validations(out.Names[0]), c.selfChecks(out.Names[0]))
		}
	},
	"two-names": func(t *testing.T, c *testCA, out *v1client.Outcome) {
		wantIssued(t, c, out, 2)
	},
	"self-check-fails": func(t *testing.T, c *testCA, out *v1client.Outcome) {
		wantAuthzs(t, out, 1)
		if st := c.authzStatus(t, out.AuthzURLs[0]); st != "pending" {
			t.Errorf("orphaned authorization is %s, want pending", st)
		}
		if c.validations(out.Names[0]) != 0 || c.selfChecks(out.Names[0]) != 1 {
			t.Error("want one self-check and no CA fetch: the challenge must not have been triggered")
		}
	},
	"second-name-invalid": func(t *testing.T, c *testCA, out *v1client.Outcome) {
		wantAuthzs(t, out, 2)
		if a, b := c.authzStatus(t, out.AuthzURLs[0]), c.authzStatus(t, out.AuthzURLs[1]); a != "valid" || b != "invalid" {
			t.Errorf("authorizations %s, %s; want valid, invalid", a, b)
		}
		if _, ok := out.Rejection.(*acme.AuthorizationError); !ok || out.CertURL != "" {
			t.Errorf("rejection %T, cert %q", out.Rejection, out.CertURL)
		}
		if c.validations(out.Names[1]) != 1 {
			t.Error("the CA did not fetch the second name")
		}
	},
	"recycled-pending": func(t *testing.T, c *testCA, out *v1client.Outcome) {
		wantAuthzs(t, out, 2)
		if out.AuthzURLs[0] != out.AuthzURLs[1] {
			t.Errorf("authorization URLs %q, want the same twice", out.AuthzURLs)
		}
		wantIssued(t, c, out, 1)
	},
	"reused-valid": func(t *testing.T, c *testCA, out *v1client.Outcome) {
		wantAuthzs(t, out, 2)
		if out.AuthzURLs[0] != out.AuthzURLs[1] || c.validations(out.Names[0]) != 1 {
			t.Errorf("authorization URLs %q, %d CA fetches; want the same URL and one fetch",
				out.AuthzURLs, c.validations(out.Names[0]))
		}
		wantIssued(t, c, out, 1)
	},
	"rate-limited": func(t *testing.T, c *testCA, out *v1client.Outcome) {
		wantAuthzs(t, out, 2)
		wantRejection(t, out, http.StatusTooManyRequests)
	},
	"account-key-csr": func(t *testing.T, c *testCA, out *v1client.Outcome) {
		wantRejection(t, out, http.StatusBadRequest)
		if c.authzStatus(t, out.AuthzURLs[0]) != "valid" {
			t.Error("the authorization should be valid: only the CSR was wrong")
		}
	},
	"no-authz": func(t *testing.T, c *testCA, out *v1client.Outcome) {
		wantAuthzs(t, out, 0)
		wantRejection(t, out, http.StatusForbidden)
	},
	"terms-not-agreed": func(t *testing.T, c *testCA, out *v1client.Outcome) {
		wantAuthzs(t, out, 0)
		wantRejection(t, out, http.StatusForbidden)
	},
	"deactivate-pending": func(t *testing.T, c *testCA, out *v1client.Outcome) {
		if st := c.authzStatus(t, out.AuthzURLs[0]); st != "deactivated" {
			t.Errorf("authorization is %s, want deactivated", st)
		}
	},
	"revoke-by-cert-key": func(t *testing.T, c *testCA, out *v1client.Outcome) {
		wantRejection(t, out, http.StatusConflict)
		if len(out.Certificate) != 2 {
			t.Errorf("chain of %d", len(out.Certificate))
		}
	},
}

func wantAuthzs(t *testing.T, out *v1client.Outcome, n int) {
	t.Helper()
	if len(out.AuthzURLs) != n {
		t.Fatalf("authorization URLs %q, want %d", out.AuthzURLs, n)
	}
}

func wantRejection(t *testing.T, out *v1client.Outcome, status int) {
	t.Helper()
	ae, ok := out.Rejection.(*acme.Error)
	if !ok || ae.StatusCode != status {
		t.Errorf("rejection = %v, want an ACME problem with status %d", out.Rejection, status)
	}
}

// wantIssued checks the chain against the CA and the certificate URL.
func wantIssued(t *testing.T, c *testCA, out *v1client.Outcome, names int) {
	t.Helper()
	if len(out.Certificate) != 2 || out.CertURL == "" {
		t.Fatalf("certificate chain of %d, URL %q", len(out.Certificate), out.CertURL)
	}
	leaf, err := x509.ParseCertificate(out.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(c.ca.Root())
	inter.AddCert(c.ca.Issuer())
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter}); err != nil {
		t.Errorf("leaf does not chain to the CA: %v", err)
	}
	if len(leaf.DNSNames) != names || !strings.HasSuffix(out.CertURL, "/acme/cert/"+leaf.SerialNumber.Text(16)) {
		t.Errorf("leaf names %v, serial %s, URL %s", leaf.DNSNames, leaf.SerialNumber.Text(16), out.CertURL)
	}
}

func TestScenarios(t *testing.T) {
	t.Parallel()
	for _, s := range v1client.Scenarios() {
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			c := startCA(t, s.PendingAuthzLimit)
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			out, err := s.Run(ctx, c.env())
			if err != nil {
				t.Fatalf("%v\noutcome: %+v", err, out)
			}
			checks[s.Name](t, c, out)
		})
	}
}

// TestScenariosShareOneCA runs every scenario that works with the default
// limit against one CA at once: accounts and names must not interfere.
func TestScenariosShareOneCA(t *testing.T) {
	t.Parallel()
	c := startCA(t, 0)
	for _, s := range v1client.Scenarios() {
		if s.PendingAuthzLimit != 0 {
			continue
		}
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			if _, err := s.Run(t.Context(), c.env()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestScenarioDetectsWrongCA: a scenario fails when the CA does not behave
// as it expects; here rate-limited runs against a CA with the default cap.
func TestScenarioDetectsWrongCA(t *testing.T) {
	t.Parallel()
	s, ok := v1client.Lookup("rate-limited")
	if !ok {
		t.Fatal("rate-limited not found")
	}
	c := startCA(t, 0)
	if _, err := s.Run(t.Context(), c.env()); err == nil || !strings.Contains(err.Error(), "succeeded, want 429") {
		t.Fatalf("rate-limited against a CA without a low cap: err = %v", err)
	}
}

func TestScenarioMeta(t *testing.T) {
	t.Parallel()
	names := v1client.Names()
	if len(names) != len(checks) {
		t.Errorf("%d scenarios, %d checks", len(names), len(checks))
	}
	for _, n := range names {
		if checks[n] == nil {
			t.Errorf("scenario %s has no check in this test", n)
		}
		s, ok := v1client.Lookup(n)
		if !ok || s.Name != n || s.Description == "" {
			t.Errorf("Lookup(%q) = %+v, %v", n, s, ok)
		}
	}
	if sorted := slices.Sorted(slices.Values(names)); len(slices.Compact(sorted)) != len(names) {
		t.Errorf("duplicate scenario names in %q", names)
	}
	if _, ok := v1client.Lookup("no-such-scenario"); ok {
		t.Error("Lookup of an unknown name succeeded")
	}
	if _, err := (v1client.Scenario{Name: "hand-made"}).Run(t.Context(), v1client.Env{}); err == nil {
		t.Error("a Scenario not from Scenarios ran")
	}
	s, _ := v1client.Lookup("one-name")
	if _, err := s.Run(t.Context(), v1client.Env{}); err == nil || !strings.Contains(err.Error(), "HTTPClient is required") {
		t.Errorf("Run with an empty Env: %v", err)
	}
}
