package legacyca_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/internal/legacyca"
)

func TestNewAuthz(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	a := h.register(true)
	resp := a.newAuthz("WWW.Example.Test")
	if resp.status != http.StatusCreated {
		t.Fatalf("new-authz: %d %s", resp.status, resp.body)
	}
	loc := resp.header.Get("Location")
	if !regexp.MustCompile(`^` + regexp.QuoteMeta(h.url("/acme/authz/")) + `[A-Za-z0-9_-]{43}$`).MatchString(loc) {
		t.Errorf("Location = %q", loc)
	}
	if got, want := resp.header.Get("Link"), "<"+h.url("/acme/new-cert")+`>;rel="next"`; got != want {
		t.Errorf("Link = %q, want %q", got, want)
	}
	var z authzBody
	resp.json(t, &z)
	if z.Identifier.Type != "dns" || z.Identifier.Value != "www.example.test" || z.Status != "pending" {
		t.Errorf("authorization = %+v", z)
	}
	if want := start.Add(legacyca.DefaultPendingAuthzLifetime); !z.Expires.Equal(want) {
		t.Errorf("expires = %v, want %v", z.Expires, want)
	}
	if len(z.Challenges) != 2 || len(z.Combos) != 2 {
		t.Fatalf("challenges = %+v, combinations = %v", z.Challenges, z.Combos)
	}
	chURI := regexp.MustCompile(`^` + regexp.QuoteMeta(h.url("/acme/challenge/"+loc[strings.LastIndex(loc, "/")+1:]+"/")) + `[0-9]+$`)
	for _, typ := range []string{"http-01", "dns-01"} {
		c := z.challenge(t, typ)
		if c.Status != "pending" || len(c.Token) != 43 || !chURI.MatchString(c.URI) {
			t.Errorf("%s challenge = %+v", typ, c)
		}
	}
	if z.Challenges[0].Token == z.Challenges[1].Token {
		t.Error("challenges share a token; v1 before 2019 gave each its own")
	}

	// Unauthenticated poll.
	get := h.get(loc)
	var polled authzBody
	get.json(t, &polled)
	if get.status != http.StatusOK || polled.Status != "pending" || polled.Challenges[0].URI != z.Challenges[0].URI {
		t.Errorf("GET authz: %d %+v", get.status, polled)
	}
}

func TestNewAuthzRejects(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	a := h.register(true)
	for _, tc := range []struct{ name, typ, value, detail string }{
		{"fail/wildcard", "dns", "*.example.test", "Wildcard"},
		{"fail/ip-type", "ip", "192.0.2.1", "Invalid identifier type"},
		{"fail/ip-as-dns", "dns", "192.0.2.1", "IP addresses"},
		{"fail/single-label", "dns", "localhost", "too few labels"},
		{"fail/underscore", "dns", "bad_name.example.test", "invalid label"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a.post(h.url("/acme/new-authz"), map[string]any{
				"resource":   "new-authz",
				"identifier": map[string]string{"type": tc.typ, "value": tc.value},
			}).wantProblem(t, http.StatusBadRequest, probMalformed, tc.detail)
		})
	}
}

// TestPendingRecycling: the same account asking again for a name gets its
// pending authorization back, same URL, still 201 (B8).
func TestPendingRecycling(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	a := h.register(true)
	b := h.register(true)
	first := a.newAuthz("recycle.example.test").header.Get("Location")

	again := a.newAuthz("recycle.example.test")
	if again.status != http.StatusCreated || again.header.Get("Location") != first {
		t.Errorf("same account, same name: %d %q, want 201 %q", again.status, again.header.Get("Location"), first)
	}
	if other := b.newAuthz("recycle.example.test").header.Get("Location"); other == first {
		t.Error("another account got the first account's authorization")
	}
	if other := a.newAuthz("other.example.test").header.Get("Location"); other == first {
		t.Error("another name got the same authorization")
	}

	// Less than an hour left: not recycled any more.
	h.clock.Advance(legacyca.DefaultPendingAuthzLifetime - 30*time.Minute)
	if late := a.newAuthz("recycle.example.test").header.Get("Location"); late == first {
		t.Error("authorization with 30 minutes left was recycled; Boulder required an hour")
	}
}

func TestPendingAuthzLimit(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *legacyca.Config) { c.PendingAuthzLimit = 2 })
	a := h.register(true)
	first := a.newAuthz("one.example.test")
	if first.status != http.StatusCreated || a.newAuthz("two.example.test").status != http.StatusCreated {
		t.Fatal("authorizations under the limit refused")
	}
	limited := a.newAuthz("three.example.test")
	limited.wantProblem(t, http.StatusTooManyRequests, probRateLimited,
		"Error creating new authz :: too many currently pending authorizations")

	// Recycling is not creation: still allowed at the limit.
	if again := a.newAuthz("one.example.test"); again.status != http.StatusCreated {
		t.Errorf("recycling at the limit: %d %s", again.status, again.body)
	}
	// The limit is per account.
	if other := h.register(true).newAuthz("three.example.test"); other.status != http.StatusCreated {
		t.Errorf("another account: %d %s", other.status, other.body)
	}
	// Deactivating one frees a slot.
	deact := a.post(first.header.Get("Location"), map[string]any{"resource": "authz", "status": "deactivated"})
	if deact.status != http.StatusOK {
		t.Fatalf("deactivation: %d %s", deact.status, deact.body)
	}
	if ok := a.newAuthz("three.example.test"); ok.status != http.StatusCreated {
		t.Errorf("after deactivation: %d %s", ok.status, ok.body)
	}
}

// TestAuthzExpiry drives the injected clock past the pending lifetime.
func TestAuthzExpiry(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *legacyca.Config) {
		c.PendingAuthzLimit = 1
		c.PendingAuthzLifetime = 36 * time.Hour // Boulder's 2015 default
	})
	a := h.register(true)
	resp := a.newAuthz("expire.example.test")
	loc := resp.header.Get("Location")
	var z authzBody
	resp.json(t, &z)
	chURI := z.Challenges[0].URI

	h.clock.Advance(36*time.Hour - time.Second)
	if got := h.get(loc); got.status != http.StatusOK {
		t.Fatalf("one second before expiry: %d", got.status)
	}
	h.clock.Advance(time.Second)
	h.get(loc).wantProblem(t, http.StatusNotFound, probMalformed, "Expired authorization")
	h.get(chURI).wantProblem(t, http.StatusNotFound, probMalformed, "Expired authorization")
	a.post(chURI, map[string]any{"resource": "challenge"}).wantProblem(t, http.StatusNotFound, probMalformed,
		"Expired authorization")

	// Expired authorizations neither count against the limit nor recycle.
	fresh := a.newAuthz("expire.example.test")
	if fresh.status != http.StatusCreated || fresh.header.Get("Location") == loc {
		t.Errorf("after expiry: %d %q (old %q)", fresh.status, fresh.header.Get("Location"), loc)
	}
}

func TestAuthzDeactivation(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	a := h.register(true)
	b := h.register(true)
	loc := a.newAuthz("deact.example.test").header.Get("Location")

	b.post(loc, map[string]any{"resource": "authz", "status": "deactivated"}).wantProblem(t,
		http.StatusForbidden, probUnauthorized, "doesn't match")
	a.post(loc, map[string]any{"resource": "authz", "status": "valid"}).wantProblem(t,
		http.StatusBadRequest, probMalformed, "Invalid status value")
	a.post(loc, map[string]any{"resource": "authz-nope", "status": "deactivated"}).wantProblem(t,
		http.StatusBadRequest, probMalformed, "JWS resource payload does not match the HTTP resource")

	// x/crypto also sends the draft-02 "delete" member.
	resp := a.post(loc, map[string]any{"resource": "authz", "status": "deactivated", "delete": true})
	var z authzBody
	resp.json(t, &z)
	if resp.status != http.StatusOK || z.Status != "deactivated" {
		t.Fatalf("deactivation: %d %s", resp.status, resp.body)
	}
	var polled authzBody
	h.get(loc).json(t, &polled)
	if polled.Status != "deactivated" {
		t.Errorf("GET after deactivation: %q", polled.Status)
	}
	a.post(loc, map[string]any{"resource": "authz", "status": "deactivated"}).wantProblem(t,
		http.StatusBadRequest, probMalformed, "only valid and pending")
	if next := a.newAuthz("deact.example.test").header.Get("Location"); next == loc {
		t.Error("a deactivated authorization was recycled")
	}
}

// TestValidAuthzReuse: a valid authorization comes back from new-authz
// while more than a day of its 30 is left.
func TestValidAuthzReuse(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	a := h.register(true)
	loc, z := a.authorize("reuse.example.test", true)
	if z.Status != "valid" {
		t.Fatalf("validation: %+v", z)
	}
	if want := start.Add(legacyca.DefaultValidAuthzLifetime); !z.Expires.Equal(want) {
		t.Errorf("valid expires = %v, want %v", z.Expires, want)
	}

	h.clock.Advance(28 * 24 * time.Hour)
	again := a.newAuthz("reuse.example.test")
	var reused authzBody
	again.json(t, &reused)
	if again.status != http.StatusCreated || again.header.Get("Location") != loc || reused.Status != "valid" {
		t.Errorf("after 28 days: %d %q %q, want 201 %q valid", again.status, again.header.Get("Location"), reused.Status, loc)
	}
	// B3: the unattempted dns-01 challenge is still listed as pending.
	if c := reused.challenge(t, "dns-01"); c.Status != "pending" {
		t.Errorf("unattempted dns-01 = %q, want pending", c.Status)
	}

	h.clock.Advance(36 * time.Hour) // 18 hours left
	late := a.newAuthz("reuse.example.test")
	var fresh authzBody
	late.json(t, &fresh)
	if late.header.Get("Location") == loc || fresh.Status != "pending" {
		t.Errorf("with 18 hours left: %q %q, want a new pending authorization", late.header.Get("Location"), fresh.Status)
	}
}

func TestPendingAuthzLimitDisabled(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *legacyca.Config) { c.PendingAuthzLimit = -1 })
	a := h.register(true)
	for _, n := range []string{"u1.example.test", "u2.example.test", "u3.example.test", "u4.example.test"} {
		if resp := a.newAuthz(n); resp.status != http.StatusCreated {
			t.Fatalf("%s with the cap disabled: %d %s", n, resp.status, resp.body)
		}
	}
}
