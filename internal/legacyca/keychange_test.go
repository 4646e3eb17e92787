package legacyca_test

import (
	"crypto/ecdsa"
	"encoding/json"
	"net/http"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// keyChangeBody builds Boulder's v1 rollover: an inner JWS signed by
// newKey over {"account","newKey"}, with "resource":"key-change" spliced
// into it, as the payload of an outer JWS signed by oldKey
// (acme-reference.md §4.2, boulder wfe_test.go TestKeyRollover).
func keyChangeBody(t *testing.T, h *harness, oldKey, newKey *ecdsa.PrivateKey, accountURL string) []byte {
	t.Helper()
	inner := sign(t, newKey, map[string]any{
		"account": accountURL,
		"newKey":  jose.JSONWebKey{Key: newKey.Public()},
	}, nil)
	var outer map[string]any
	if err := json.Unmarshal(inner, &outer); err != nil {
		t.Fatal(err)
	}
	outer["resource"] = "key-change"
	return sign(t, oldKey, outer, map[string]any{"nonce": h.nonce()})
}

func TestKeyChange(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	a := h.register(true)
	other := h.register(true)
	url := h.url("/acme/key-change")

	h.postBody(url, keyChangeBody(t, h, a.key, newKey(t), other.url)).wantProblem(t,
		http.StatusBadRequest, probMalformed, "Incorrect account URL")
	h.postBody(url, keyChangeBody(t, h, a.key, other.key, a.url)).wantProblem(t,
		http.StatusConflict, probMalformed, "New key is already in use for a different account")
	h.postBody(url, keyChangeBody(t, h, a.key, a.key, a.url)).wantProblem(t,
		http.StatusBadRequest, probMalformed, "same as the old key")

	next := newKey(t)
	resp := h.postBody(url, keyChangeBody(t, h, a.key, next, a.url))
	if resp.status != http.StatusOK {
		t.Fatalf("key-change: %d %s", resp.status, resp.body)
	}
	// The old key no longer names an account; the new one does.
	h.post(a.key, a.url, map[string]any{"resource": "reg"}).wantProblem(t, http.StatusForbidden,
		probUnauthorized, "No registration exists matching provided key")
	again := h.post(next, h.url("/acme/new-reg"), newRegPayload)
	if again.status != http.StatusConflict || again.header.Get("Location") != a.url {
		t.Errorf("new-reg with the new key: %d %q, want 409 %q", again.status, again.header.Get("Location"), a.url)
	}
}
