package legacyca_test

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"net/http"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/internal/legacyca"
)

// oidMustStaple is id-pe-tlsfeature; its value SEQUENCE { INTEGER 5 } asks
// for status_request (acme-reference.md §7.6).
var oidMustStaple = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 24}

// makeCSR returns a b64u DER CSR for names signed by key; the first name
// is also the CN.
func makeCSR(t *testing.T, key crypto.Signer, names []string, exts ...pkix.Extension) string {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject:         pkix.Name{CommonName: names[0]},
		DNSNames:        names,
		ExtraExtensions: exts,
	}, key)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(der)
}

func (a *account) newCert(csr string) *response {
	a.h.t.Helper()
	return a.post(a.h.url("/acme/new-cert"), map[string]any{
		"resource":  "new-cert",
		"csr":       csr,
		"notBefore": time.Now().Format(time.RFC3339), // x/crypto sent it; ignored
	})
}

func TestNewCert(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	a := h.register(true)
	names := []string{"a.example.test", "b.example.test"}
	for _, n := range names {
		if _, z := a.authorize(n, true); z.Status != "valid" {
			t.Fatalf("%s: %+v", n, z)
		}
	}
	mustStaple := pkix.Extension{Id: oidMustStaple, Value: []byte{0x30, 0x03, 0x02, 0x01, 0x05}}
	resp := a.newCert(makeCSR(t, newKey(t), []string{"B.example.test", "a.example.test"}, mustStaple))
	if resp.status != http.StatusCreated {
		t.Fatalf("new-cert: %d %s", resp.status, resp.body)
	}
	if ct := resp.header.Get("Content-Type"); ct != "application/pkix-cert" {
		t.Errorf("Content-Type = %q", ct)
	}
	loc := resp.header.Get("Location")
	if !regexp.MustCompile(`^` + regexp.QuoteMeta(h.url("/acme/cert/")) + `[0-9a-f]{36}$`).MatchString(loc) {
		t.Errorf("Location = %q", loc)
	}
	if got, want := resp.header.Get("Link"), "<"+h.url("/acme/issuer-cert")+`>;rel="up"`; got != want {
		t.Errorf("Link = %q, want %q", got, want)
	}
	leaf, err := x509.ParseCertificate(resp.body)
	if err != nil {
		t.Fatalf("body is not a DER certificate: %v", err)
	}
	if !slices.Equal(leaf.DNSNames, names) || leaf.Subject.CommonName != "b.example.test" {
		t.Errorf("leaf names %v CN %q", leaf.DNSNames, leaf.Subject.CommonName)
	}
	if !slices.ContainsFunc(leaf.Extensions, func(e pkix.Extension) bool { return e.Id.Equal(oidMustStaple) }) {
		t.Error("Must-Staple requested in the CSR is missing from the leaf")
	}
	verifyChain(t, h, leaf)

	if got := h.get(loc); got.status != http.StatusOK || !bytes.Equal(got.body, resp.body) {
		t.Errorf("GET %s: %d, same DER %v", loc, got.status, bytes.Equal(got.body, resp.body))
	}
	if got := h.get(h.url("/acme/issuer-cert")); got.status != http.StatusOK || !bytes.Equal(got.body, h.ca.Issuer().Raw) {
		t.Errorf("GET issuer-cert: %d", got.status)
	}
	h.get(h.url("/acme/cert/00")).wantProblem(t, http.StatusNotFound, probMalformed, "Certificate not found")
}

// verifyChain checks leaf against the CA's root through its intermediate,
// at the CA's clock.
func verifyChain(t *testing.T, h *harness, leaf *x509.Certificate) {
	t.Helper()
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(h.ca.Root())
	inter.AddCert(h.ca.Issuer())
	if _, err := leaf.Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: inter, CurrentTime: h.clock.Now(), DNSName: leaf.DNSNames[0],
	}); err != nil {
		t.Errorf("leaf does not chain to the CA root: %v", err)
	}
}

// TestNewCertUnauthorized is B7: names without a valid, unexpired
// authorization of the same account are listed in a 403.
func TestNewCertUnauthorized(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	a := h.register(true)
	b := h.register(true)
	a.authorize("a.example.test", true)
	b.authorize("b.example.test", true) // another account's: does not count
	a.newAuthz("c.example.test")        // pending: does not count

	csr := makeCSR(t, newKey(t), []string{"c.example.test", "a.example.test", "b.example.test"})
	a.newCert(csr).wantProblem(t, http.StatusForbidden, probUnauthorized,
		"Error creating new cert :: authorizations for these names not found or expired: b.example.test, c.example.test")

	// An account with no authorizations at all.
	h.register(true).newCert(csr).wantProblem(t, http.StatusForbidden, probUnauthorized,
		"authorizations for these names not found or expired: a.example.test, b.example.test, c.example.test")

	// The valid authorization expires after 30 days.
	h.clock.Advance(legacyca.DefaultValidAuthzLifetime)
	a.newCert(makeCSR(t, newKey(t), []string{"a.example.test"})).wantProblem(t, http.StatusForbidden,
		probUnauthorized, "not found or expired: a.example.test")
}

// TestNewCertAccountKey is B6.
func TestNewCertAccountKey(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	a := h.register(true)
	a.authorize("samekey.example.test", true)
	a.newCert(makeCSR(t, a.key, []string{"samekey.example.test"})).wantProblem(t, http.StatusBadRequest,
		probMalformed, "certificate public key must be different than account key")
}

func TestNewCertBadCSR(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	a := h.register(true)
	good := makeCSR(t, newKey(t), []string{"x.example.test"})
	raw, _ := base64.RawURLEncoding.DecodeString(good)
	raw[len(raw)-1] ^= 0xff // break the signature
	for _, tc := range []struct{ name, csr, detail string }{
		{"fail/not-base64url", "MII+/==", "not base64url DER"},
		{"fail/not-der", base64.RawURLEncoding.EncodeToString([]byte("hello")), "Error parsing certificate request"},
		{"fail/bad-signature", base64.RawURLEncoding.EncodeToString(raw), "Invalid signature on CSR"},
		{"fail/wildcard", makeCSR(t, newKey(t), []string{"*.example.test"}), "Wildcard"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a.newCert(tc.csr).wantProblem(t, http.StatusBadRequest, probMalformed, tc.detail)
		})
	}
}
