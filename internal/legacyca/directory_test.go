package legacyca_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/acmeproxy/acmeproxy/internal/legacyca"
)

const forumURL = "https://community.letsencrypt.org/t/adding-random-entries-to-the-directory/33417"

func directory(t *testing.T, h *harness) map[string]any {
	t.Helper()
	resp := h.get(h.url("/directory"))
	if resp.status != http.StatusOK {
		t.Fatalf("GET /directory: %d", resp.status)
	}
	if resp.header.Get("Replay-Nonce") == "" {
		t.Error("GET /directory: no Replay-Nonce")
	}
	var dir map[string]any
	resp.json(t, &dir)
	return dir
}

func TestDirectory(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	dir := directory(t, h)
	for key, path := range map[string]string{
		"new-reg":     "/acme/new-reg",
		"new-authz":   "/acme/new-authz",
		"new-cert":    "/acme/new-cert",
		"revoke-cert": "/acme/revoke-cert",
		"key-change":  "/acme/key-change",
	} {
		if got := dir[key]; got != h.url(path) {
			t.Errorf("%s = %v, want %s", key, got, h.url(path))
		}
	}
	meta, _ := dir["meta"].(map[string]any)
	if meta["terms-of-service"] != legacyca.DefaultTermsOfService || meta["website"] != legacyca.DefaultWebsite {
		t.Errorf("meta = %v", meta)
	}
	if caa, _ := meta["caaIdentities"].([]any); len(caa) != 1 || caa[0] != legacyca.DefaultCAAIdentity {
		t.Errorf("meta.caaIdentities = %v", meta["caaIdentities"])
	}
	if len(dir) != 7 {
		t.Errorf("directory has %d keys, want 5 resources + meta + 1 random: %v", len(dir), dir)
	}
	random := randomKey(t, dir)
	for _, banned := range []string{"new-nonce", "newNonce", "newOrder", "newAccount"} {
		if _, ok := dir[banned]; ok {
			t.Errorf("v1 directory has %q", banned)
		}
	}
	// Another instance has another random key.
	if other := randomKey(t, directory(t, newHarness(t, nil))); other == random {
		t.Errorf("two CAs share the random directory key %q", random)
	}
}

// randomKey returns the one key pointing at the forum post.
func randomKey(t *testing.T, dir map[string]any) string {
	t.Helper()
	var keys []string
	for k, v := range dir {
		if v == forumURL {
			keys = append(keys, k)
		}
	}
	if len(keys) != 1 || len(keys[0]) != 11 {
		t.Fatalf("random keys = %q, want one 11-character key", keys)
	}
	return keys[0]
}

func TestDirectoryBaseURL(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *legacyca.Config) { c.BaseURL = "https://acme-v01.example.test/" })
	if got := directory(t, h)["new-reg"]; got != "https://acme-v01.example.test/acme/new-reg" {
		t.Errorf("new-reg = %v", got)
	}
}

func TestNonceOnEveryResponse(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	noRedirect := *h.srv.Client()
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	seen := make(map[string]bool)
	for _, tc := range []struct {
		name, method, path string
		status             int
	}{
		{"ok/get-directory", http.MethodGet, "/directory", http.StatusOK},
		{"ok/head-directory", http.MethodHead, "/directory", http.StatusOK},
		{"ok/terms-redirect", http.MethodGet, "/terms", http.StatusFound},
		{"ok/issuer-cert", http.MethodGet, "/acme/issuer-cert", http.StatusOK},
		{"fail/unknown-path", http.MethodGet, "/acme/nope", http.StatusNotFound},
		{"fail/get-new-reg", http.MethodGet, "/acme/new-reg", http.StatusMethodNotAllowed},
		{"fail/empty-post", http.MethodPost, "/acme/new-reg", http.StatusBadRequest},
		{"fail/unknown-authz", http.MethodGet, "/acme/authz/nope", http.StatusNotFound},
	} {
		req, err := http.NewRequest(tc.method, h.url(tc.path), strings.NewReader(""))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, resp.StatusCode, tc.status)
		}
		n := resp.Header.Get("Replay-Nonce")
		if n == "" || seen[n] {
			t.Errorf("%s: Replay-Nonce %q missing or repeated", tc.name, n)
		}
		seen[n] = true
		if tc.status >= 400 && resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: Content-Type %q", tc.name, resp.Header.Get("Content-Type"))
		}
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]legacyca.Config{
		"fail/nonce-percent": {NonceRejectPercent: 101},
		"fail/port":          {HTTPPort: 70000},
		"fail/base-url":      {BaseURL: "not a url"},
	} {
		if _, err := legacyca.New(cfg); err == nil {
			t.Errorf("%s: New accepted %+v", name, cfg)
		}
	}
}
