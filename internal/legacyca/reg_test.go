package legacyca_test

import (
	"net/http"
	"regexp"
	"slices"
	"testing"

	"github.com/acmeproxy/acmeproxy/internal/legacyca"
)

func TestNewReg(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	key := newKey(t)
	resp := h.post(key, h.url("/acme/new-reg"), map[string]any{
		"resource": "new-reg", "contact": []string{"mailto:admin@example.test"},
	})
	if resp.status != http.StatusCreated {
		t.Fatalf("new-reg: %d %s", resp.status, resp.body)
	}
	loc := resp.header.Get("Location")
	if !regexp.MustCompile(`^` + regexp.QuoteMeta(h.url("/acme/reg/")) + `[0-9]+$`).MatchString(loc) {
		t.Errorf("Location = %q", loc)
	}
	wantLinks := []string{
		"<" + h.url("/acme/new-authz") + `>;rel="next"`,
		"<" + legacyca.DefaultTermsOfService + `>;rel="terms-of-service"`,
	}
	if got := resp.header.Values("Link"); !slices.Equal(got, wantLinks) {
		t.Errorf("Link = %q, want %q", got, wantLinks)
	}
	var reg struct {
		ID        int64             `json:"id"`
		Key       map[string]string `json:"key"`
		Contact   []string          `json:"contact"`
		Agreement string            `json:"agreement"`
		InitialIP string            `json:"initialIp"`
		Status    string            `json:"status"`
	}
	resp.json(t, &reg)
	if reg.ID != 1 || reg.Key["kty"] != "EC" || reg.Status != "valid" || reg.Agreement != "" ||
		reg.InitialIP != "127.0.0.1" || !slices.Equal(reg.Contact, []string{"mailto:admin@example.test"}) {
		t.Errorf("registration = %+v", reg)
	}

	// The same key again: 409 with the existing registration's URL.
	again := h.post(key, h.url("/acme/new-reg"), newRegPayload)
	again.wantProblem(t, http.StatusConflict, probMalformed, "Registration key is already in use")
	if got := again.header.Get("Location"); got != loc {
		t.Errorf("409 Location = %q, want %q", got, loc)
	}
}

func TestNewRegRejects(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	tests := []struct {
		name    string
		payload map[string]any
		typ     string
		detail  string
	}{
		{"fail/stale-agreement", map[string]any{"resource": "new-reg", "agreement": "https://letsencrypt.org/documents/LE-SA-v1.0.1-July-27-2015.pdf"},
			probMalformed, "Provided agreement URL [https://letsencrypt.org/documents/LE-SA-v1.0.1-July-27-2015.pdf] does not match current agreement URL"},
		{"fail/tel-contact", map[string]any{"resource": "new-reg", "contact": []string{"tel:+15551234"}},
			"urn:acme:error:invalidEmail", "not supported"},
		{"fail/bad-email", map[string]any{"resource": "new-reg", "contact": []string{"mailto:not an address"}},
			"urn:acme:error:invalidEmail", "not a valid e-mail address"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h.post(newKey(t), h.url("/acme/new-reg"), tc.payload).wantProblem(t, http.StatusBadRequest, tc.typ, tc.detail)
		})
	}
}

// TestAgreementRequired is B20: without agreement, new-authz is refused
// until the account agrees through a reg update.
func TestAgreementRequired(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	a := h.register(false)
	a.newAuthz("tos.example.test").wantProblem(t, http.StatusForbidden, probUnauthorized,
		"Must agree to subscriber agreement before any further actions")

	stale := a.post(a.url, map[string]any{"resource": "reg", "agreement": "https://example.test/old-terms.pdf"})
	stale.wantProblem(t, http.StatusBadRequest, probMalformed, "does not match current agreement URL")

	upd := a.post(a.url, map[string]any{"resource": "reg", "agreement": legacyca.DefaultTermsOfService})
	if upd.status != http.StatusAccepted {
		t.Fatalf("reg update: %d %s", upd.status, upd.body)
	}
	var reg struct {
		Agreement string   `json:"agreement"`
		Contact   []string `json:"contact"`
	}
	upd.json(t, &reg)
	if reg.Agreement != legacyca.DefaultTermsOfService || len(reg.Contact) != 1 {
		t.Errorf("updated registration = %+v (contact must survive an update without contact)", reg)
	}
	if resp := a.newAuthz("tos.example.test"); resp.status != http.StatusCreated {
		t.Fatalf("new-authz after agreeing: %d %s", resp.status, resp.body)
	}
}

func TestRegUpdate(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	a := h.register(true)
	b := h.register(true)

	fetch := a.post(a.url, map[string]any{"resource": "reg"})
	if fetch.status != http.StatusAccepted || len(fetch.header.Values("Link")) != 2 {
		t.Fatalf("reg fetch: %d %v %s", fetch.status, fetch.header.Values("Link"), fetch.body)
	}
	b.post(a.url, map[string]any{"resource": "reg"}).wantProblem(t, http.StatusForbidden, probUnauthorized,
		"did not match registration key")
	a.post(h.url("/acme/reg/999"), map[string]any{"resource": "reg"}).wantProblem(t, http.StatusNotFound,
		probMalformed, "Unable to find registration")
	a.post(a.url, map[string]any{"resource": "reg", "status": "revoked"}).wantProblem(t, http.StatusBadRequest,
		probMalformed, "Invalid value provided for status field")
	h.post(newKey(t), a.url, map[string]any{"resource": "reg"}).wantProblem(t, http.StatusForbidden,
		probUnauthorized, "No registration exists matching provided key")

	deact := a.post(a.url, map[string]any{"resource": "reg", "status": "deactivated"})
	if deact.status != http.StatusOK {
		t.Fatalf("deactivation: %d %s", deact.status, deact.body)
	}
	var reg struct{ Status string }
	deact.json(t, &reg)
	if reg.Status != "deactivated" {
		t.Errorf("status after deactivation = %q", reg.Status)
	}
	a.newAuthz("gone.example.test").wantProblem(t, http.StatusForbidden, probUnauthorized,
		"Registration is not valid, has status 'deactivated'")
}
