package legacyca_test

import (
	"crypto/ecdsa"
	"encoding/base64"
	"net/http"
	"testing"
)

// issue validates names for a and returns a certificate for them and the
// certificate's key.
func (a *account) issue(names ...string) ([]byte, *ecdsa.PrivateKey) {
	a.h.t.Helper()
	for _, n := range names {
		a.authorize(n, true)
	}
	key := newKey(a.h.t)
	resp := a.newCert(makeCSR(a.h.t, key, names))
	if resp.status != http.StatusCreated {
		a.h.t.Fatalf("new-cert: %d %s", resp.status, resp.body)
	}
	return resp.body, key
}

func revokePayload(der []byte, reason int) map[string]any {
	return map[string]any{
		"resource":    "revoke-cert",
		"certificate": base64.RawURLEncoding.EncodeToString(der),
		"reason":      reason,
	}
}

func TestRevokeCert(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	a := h.register(true)
	stranger := h.register(true)
	der, _ := a.issue("revoke.example.test")
	url := h.url("/acme/revoke-cert")

	stranger.post(url, revokePayload(der, 0)).wantProblem(t, http.StatusForbidden, probUnauthorized,
		"Revocation request must be signed by")
	a.post(url, revokePayload(der, 2)).wantProblem(t, http.StatusBadRequest,
		"urn:acme:error:badRevocationReason", "unsupported revocation reason")
	a.post(url, revokePayload([]byte("junk"), 0)).wantProblem(t, http.StatusBadRequest, probMalformed,
		"Unable to parse certificate")

	ok := a.post(url, revokePayload(der, 4))
	if ok.status != http.StatusOK || len(ok.body) != 0 {
		t.Fatalf("revocation by the issuing account: %d %s", ok.status, ok.body)
	}
	a.post(url, revokePayload(der, 0)).wantProblem(t, http.StatusConflict, probMalformed,
		"Certificate already revoked")

	// The certificate's own key may revoke, registered or not.
	der2, certKey2 := a.issue("revoke.example.test")
	if resp := h.post(certKey2, url, revokePayload(der2, 1)); resp.status != http.StatusOK {
		t.Fatalf("revocation by the certificate key: %d %s", resp.status, resp.body)
	}

	// An account holding valid authorizations for every name may revoke.
	der3, _ := a.issue("revoke.example.test")
	holder := h.register(true)
	holder.authorize("revoke.example.test", true)
	if resp := holder.post(url, revokePayload(der3, 0)); resp.status != http.StatusOK {
		t.Fatalf("revocation by an authorized account: %d %s", resp.status, resp.body)
	}
}
