package decode_test

import (
	"testing"

	"github.com/acmeproxy/acmeproxy/decode"
	"github.com/acmeproxy/acmeproxy/decode/internal/acmetest"
)

// Two v2 operations cannot appear in a real recording against Pebble
// (notInDialect in recordings_golden_test.go says why); these tests decode
// them from constructed exchanges instead.

// v2DirectoryWith is a Pebble-like directory that also offers newAuthz and
// an https terms URL, as RFC 8555 §7.1.1 allows.
func v2DirectoryWith(fl *acmetest.Flow, terms string) {
	fl.Get(pb+"/dir", 200, "application/json", acmetest.JSON(map[string]any{
		"newNonce": pb + "/nonce-plz", "newAccount": newAcct, "newOrder": newOrder,
		"newAuthz": pb + "/pre-authz", "revokeCert": pb + "/revoke-cert", "keyChange": pb + "/rollover-account-key",
		"meta": map[string]any{"termsOfService": terms}}))
}

// TestV2PreAuthorization: a POST to the directory's newAuthz with a kid is
// a v2 authz.create (RFC 8555 §7.4.1), and the authorization URL it
// returns is learned.
func TestV2PreAuthorization(t *testing.T) {
	s := acmetest.NewSigner("ES256")
	fl := acmetest.NewFlow()
	v2DirectoryWith(fl, "https://ca.test/legal/sa-v3.pdf")
	fl.Post(newAcct, s.V2(newAcct, "", nonce, []byte(`{"termsOfServiceAgreed":true}`)), 201, []byte(`{"status":"valid"}`), "Location", kid)
	preAuthz := pb + "/pre-authz"
	fl.Post(preAuthz, s.V2(preAuthz, kid, nonce, []byte(`{"identifier":{"type":"dns","value":"example.com"}}`)), 201,
		acmetest.JSON(map[string]any{"status": "pending", "identifier": map[string]string{"type": "dns", "value": "example.com"},
			"challenges": []map[string]string{{"type": "http-01", "url": pb + "/chal/p1", "token": token, "status": "pending"}}}),
		"Location", pb+"/authz/p1")
	fl.Post(pb+"/authz/p1", s.V2(pb+"/authz/p1", kid, nonce, nil), 200,
		acmetest.JSON(map[string]any{"status": "pending", "identifier": map[string]string{"type": "dns", "value": "example.com"},
			"challenges": []map[string]string{{"type": "http-01", "url": pb + "/chal/p1", "token": token, "status": "pending"}}}))
	ms := decodeAll(fl.Exchanges())
	assertOps(t, ms, []string{
		"directory v2/directory response", "account.create v2/directory directory",
		"authz.create v2/directory directory", "authz.fetch v2/learned learned",
	})
	if m := ms[2]; len(m.Issues) > 0 || m.AccountURL != kid || m.JWS.Verification != decode.VerifyValid {
		t.Errorf("newAuthz: issues %v, account %q, verification %s", m.Issues, m.AccountURL, m.JWS.Verification)
	}
}

// TestV2TermsFetch: a GET of the terms URL a v2 directory names is terms,
// v2, though the URL is on another host and has no /terms path.
func TestV2TermsFetch(t *testing.T) {
	const terms = "https://legal.ca.test/documents/subscriber-agreement-v3.pdf"
	fl := acmetest.NewFlow()
	v2DirectoryWith(fl, terms)
	fl.Get(terms, 200, "application/pdf", []byte("%PDF-1.7\n"))
	ms := decodeAll(fl.Exchanges())
	assertOps(t, ms, []string{"directory v2/directory response", "terms v2/directory directory"})
}
