package legacyca_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"

	"github.com/acmeproxy/acmeproxy/internal/legacyca"
)

const (
	probMalformed    = "urn:acme:error:malformed"
	probBadNonce     = "urn:acme:error:badNonce"
	probUnauthorized = "urn:acme:error:unauthorized"
	probRateLimited  = "urn:acme:error:rateLimited"
)

// newRegPayload is a valid new-reg payload that agrees to the terms.
var newRegPayload = map[string]any{"resource": "new-reg", "agreement": legacyca.DefaultTermsOfService}

// editJWS decodes a flattened JWS, lets edit change it and re-encodes it.
func editJWS(t *testing.T, body []byte, edit func(map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// b64JSON is b64u(JSON(v)).
func b64JSON(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(raw)
}

func TestJWS(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	newReg := h.url("/acme/new-reg")
	tests := []struct {
		name   string
		body   func(t *testing.T) []byte
		status int
		typ    string
		detail string
	}{
		{"fail/unknown-nonce", func(t *testing.T) []byte {
			return sign(t, newKey(t), newRegPayload, map[string]any{"nonce": "bm90LWEtbm9uY2U"})
		}, 400, probBadNonce, "JWS has invalid anti-replay nonce bm90LWEtbm9uY2U"},
		{"fail/no-nonce", func(t *testing.T) []byte {
			return sign(t, newKey(t), newRegPayload, nil)
		}, 400, probBadNonce, "JWS has no anti-replay nonce"},
		{"fail/nonce-only-unprotected", func(t *testing.T) []byte {
			n := h.nonce()
			body := sign(t, newKey(t), newRegPayload, nil)
			return editJWS(t, body, func(m map[string]any) { m["header"] = map[string]any{"nonce": n} })
		}, 400, probBadNonce, "no anti-replay nonce"},
		{"fail/resource-mismatch", func(t *testing.T) []byte {
			return sign(t, newKey(t), map[string]any{"resource": "new-authz"}, map[string]any{"nonce": h.nonce()})
		}, 400, probMalformed, "JWS resource payload does not match the HTTP resource"},
		{"fail/no-resource", func(t *testing.T) []byte {
			return sign(t, newKey(t), map[string]any{"agreement": legacyca.DefaultTermsOfService}, map[string]any{"nonce": h.nonce()})
		}, 400, probMalformed, "does not specify a resource"},
		{"fail/payload-not-json", func(t *testing.T) []byte {
			return sign(t, newKey(t), []byte("resource=new-reg"), map[string]any{"nonce": h.nonce()})
		}, 400, probMalformed, "did not parse as JSON"},
		{"fail/kid", func(t *testing.T) []byte {
			return sign(t, newKey(t), newRegPayload, map[string]any{"nonce": h.nonce(), "kid": h.url("/acme/reg/1")})
		}, 400, probMalformed, `"kid" header is not supported`},
		{"fail/bad-signature", func(t *testing.T) []byte {
			body := sign(t, newKey(t), newRegPayload, map[string]any{"nonce": h.nonce()})
			return editJWS(t, body, func(m map[string]any) {
				m["payload"] = b64JSON(t, map[string]any{"resource": "new-reg", "contact": []string{"mailto:x@example.test"}})
			})
		}, 400, probMalformed, "JWS verification error"},
		{"fail/hs256", func(t *testing.T) []byte {
			body := sign(t, newKey(t), newRegPayload, map[string]any{"nonce": h.nonce()})
			return editJWS(t, body, func(m map[string]any) {
				raw, _ := base64.RawURLEncoding.DecodeString(m["protected"].(string))
				var p map[string]any
				_ = json.Unmarshal(raw, &p)
				p["alg"] = "HS256"
				m["protected"] = b64JSON(t, p)
			})
		}, 400, "urn:acme:error:badSignatureAlgorithm", "not supported"},
		{"fail/general-serialization", func(t *testing.T) []byte {
			body := sign(t, newKey(t), newRegPayload, map[string]any{"nonce": h.nonce()})
			return editJWS(t, body, func(m map[string]any) {
				m["signatures"] = []any{map[string]any{"protected": m["protected"], "signature": m["signature"]}}
				delete(m, "protected")
				delete(m, "signature")
			})
		}, 400, probMalformed, "flattened"},
		{"fail/not-json", func(*testing.T) []byte { return []byte("eyJhbGciOiJFUzI1NiJ9.e30.c2ln") }, 400, probMalformed, "Parse error reading JWS"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h.postBody(newReg, tc.body(t)).wantProblem(t, tc.status, tc.typ, tc.detail)
		})
	}
}

func TestJWSAccepted(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		body func(t *testing.T) []byte
	}{
		{"ok/es256", func(t *testing.T) []byte {
			return sign(t, newKey(t), newRegPayload, map[string]any{"nonce": h.nonce()})
		}},
		{"ok/rs256", func(t *testing.T) []byte {
			return sign(t, rsaKey, newRegPayload, map[string]any{"nonce": h.nonce()})
		}},
		// golang.org/x/crypto/acme sent "url" on v1 too; Boulder v1 never
		// checked it.
		{"ok/url-ignored", func(t *testing.T) []byte {
			return sign(t, newKey(t), newRegPayload, map[string]any{"nonce": h.nonce(), "url": "https://elsewhere.example.test/x"})
		}},
		// acme-tiny repeated alg and jwk in an unprotected header.
		{"ok/unprotected-header-tolerated", func(t *testing.T) []byte {
			body := sign(t, newKey(t), newRegPayload, map[string]any{"nonce": h.nonce()})
			return editJWS(t, body, func(m map[string]any) {
				raw, _ := base64.RawURLEncoding.DecodeString(m["protected"].(string))
				var p map[string]any
				_ = json.Unmarshal(raw, &p)
				m["header"] = map[string]any{"alg": p["alg"], "jwk": p["jwk"]}
			})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := h.postBody(h.url("/acme/new-reg"), tc.body(t))
			if resp.status != http.StatusCreated {
				t.Fatalf("status %d, want 201: %s", resp.status, resp.body)
			}
		})
	}
}

func TestNonceSingleUse(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	key := newKey(t)
	nonce := h.nonce()
	first := h.postBody(h.url("/acme/new-reg"), sign(t, key, newRegPayload, map[string]any{"nonce": nonce}))
	if first.status != http.StatusCreated {
		t.Fatalf("first use: %d %s", first.status, first.body)
	}
	again := h.postBody(h.url("/acme/new-reg"), sign(t, key, newRegPayload, map[string]any{"nonce": nonce}))
	again.wantProblem(t, http.StatusBadRequest, probBadNonce, "invalid anti-replay nonce")
	// The error carries a fresh nonce that works.
	retry := h.postBody(h.url("/acme/new-reg"), sign(t, newKey(t), newRegPayload,
		map[string]any{"nonce": again.header.Get("Replay-Nonce")}))
	if retry.status != http.StatusCreated {
		t.Fatalf("retry with the error's nonce: %d %s", retry.status, retry.body)
	}
}

func TestNonceRejectPercent(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *legacyca.Config) { c.NonceRejectPercent = 100 })
	for i := range 3 {
		resp := h.post(newKey(t), h.url("/acme/new-reg"), newRegPayload)
		resp.wantProblem(t, http.StatusBadRequest, probBadNonce, "invalid anti-replay nonce")
		if resp.header.Get("Boulder-Requester") != "" {
			t.Errorf("attempt %d: Boulder-Requester on an unauthenticated failure", i)
		}
	}
}

func TestBoulderRequester(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	a := h.register(true)
	b := h.register(true)
	for i, acct := range []*account{a, b} {
		resp := acct.newAuthz("requester.example.test")
		if got, want := resp.header.Get("Boulder-Requester"), strconv.Itoa(i+1); got != want {
			t.Errorf("account %d: Boulder-Requester %q, want %q", i+1, got, want)
		}
	}
}
