package legacyca_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/acmeproxy/acmeproxy/internal/legacyca"
)

func TestHTTP01Valid(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	a := h.register(true)
	resp := a.newAuthz("valid.example.test")
	loc := resp.header.Get("Location")
	var z authzBody
	resp.json(t, &z)
	ch := z.challenge(t, "http-01")
	h.chal.publish("valid.example.test", ch.Token, a.keyAuth(ch.Token)+"\r\n")

	trig := a.post(ch.URI, map[string]any{"resource": "challenge", "type": "http-01", "keyAuthorization": a.keyAuth(ch.Token)})
	if trig.status != http.StatusAccepted {
		t.Fatalf("challenge POST: %d %s", trig.status, trig.body)
	}
	if trig.header.Get("Location") != ch.URI || trig.header.Get("Link") != "<"+loc+`>;rel="up"` {
		t.Errorf("challenge POST headers: Location %q Link %q", trig.header.Get("Location"), trig.header.Get("Link"))
	}
	var triggered challengeBody
	trig.json(t, &triggered)
	if triggered.Status != "pending" || triggered.KeyAuthorization != a.keyAuth(ch.Token) {
		t.Errorf("triggered challenge = %+v", triggered)
	}

	if final := h.waitAuthz(loc); final.Status != "valid" {
		t.Fatalf("authorization = %+v", final)
	}
	poll := h.get(ch.URI)
	var c challengeBody
	poll.json(t, &c)
	if poll.status != http.StatusAccepted || c.Status != "valid" || c.Validated == nil || !c.Validated.Equal(start) {
		t.Fatalf("GET challenge: %d %+v", poll.status, c)
	}
	wantURL := "http://valid.example.test:" + strconv.Itoa(h.chal.port()) + "/.well-known/acme-challenge/" + ch.Token
	if len(c.ValidationRecord) != 1 || c.ValidationRecord[0].URL != wantURL || c.ValidationRecord[0].AddressUsed != "127.0.0.1" {
		t.Errorf("validationRecord = %+v, want url %s", c.ValidationRecord, wantURL)
	}

	// Triggering again on a valid authorization changes nothing (B3).
	again := a.post(ch.URI, map[string]any{"resource": "challenge"})
	if again.status != http.StatusAccepted {
		t.Errorf("trigger on valid authorization: %d %s", again.status, again.body)
	}
}

// TestHTTP01Invalid covers validation failures and the trigger's own checks.
func TestHTTP01Invalid(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	a := h.register(true)
	tests := []struct {
		name    string
		host    string
		publish func(token string) // what the challenge server serves
		typ     string
		detail  string
	}{
		{"fail/not-published", "fail-not-published.example.test", func(string) {}, probUnauthorized, "Invalid response from http://"},
		{"fail/wrong-content", "fail-wrong-content.example.test", func(token string) {
			h.chal.publish("fail-wrong-content.example.test", token, token+".not-the-thumbprint")
		}, probUnauthorized, "The key authorization file from the server did not match this challenge"},
		{"fail/other-host", "fail-other-host.example.test", func(token string) {
			h.chal.publish("somewhere-else.example.test", token, a.keyAuth(token))
		}, probUnauthorized, ": 404"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := a.newAuthz(tc.host)
			var z authzBody
			resp.json(t, &z)
			ch := z.challenge(t, "http-01")
			tc.publish(ch.Token)
			// acme-tiny after March 2018: no keyAuthorization member.
			if trig := a.post(ch.URI, map[string]any{"resource": "challenge"}); trig.status != http.StatusAccepted {
				t.Fatalf("trigger: %d %s", trig.status, trig.body)
			}
			final := h.waitAuthz(resp.header.Get("Location"))
			c := final.challenge(t, "http-01")
			if final.Status != "invalid" || c.Status != "invalid" || c.Error == nil {
				t.Fatalf("after failed validation: %+v", final)
			}
			if c.Error.Type != tc.typ || !strings.Contains(c.Error.Detail, tc.detail) {
				t.Errorf("challenge error = %+v, want %s containing %q", c.Error, tc.typ, tc.detail)
			}
			a.post(ch.URI, map[string]any{"resource": "challenge"}).wantProblem(t,
				http.StatusBadRequest, probMalformed, "authorization must be pending")
		})
	}
}

func TestChallengeTriggerRejects(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	a := h.register(true)
	b := h.register(true)
	resp := a.newAuthz("trigger.example.test")
	var z authzBody
	resp.json(t, &z)
	ch := z.challenge(t, "http-01")

	b.post(ch.URI, map[string]any{"resource": "challenge"}).wantProblem(t, http.StatusForbidden,
		probUnauthorized, "doesn't match registration ID")
	a.post(ch.URI, map[string]any{"resource": "challenge", "keyAuthorization": ch.Token + ".wrong"}).wantProblem(t,
		http.StatusBadRequest, probMalformed, "provided key authorization was incorrect")
	a.post(ch.URI, map[string]any{"resource": "new-authz"}).wantProblem(t, http.StatusBadRequest,
		probMalformed, "JWS resource payload does not match the HTTP resource")
	a.post(ch.URI+"9", map[string]any{"resource": "challenge"}).wantProblem(t, http.StatusNotFound,
		probMalformed, "Unable to find challenge")
	// None of these started a validation.
	if got := h.authzNow(resp.header.Get("Location")); got.Status != "pending" {
		t.Errorf("authorization = %q after refused triggers", got.Status)
	}
}

// authzNow fetches an authorization once, without waiting.
func (h *harness) authzNow(url string) authzBody {
	h.t.Helper()
	var z authzBody
	h.get(url).json(h.t, &z)
	return z
}

func TestHTTP01ConnectionRefused(t *testing.T) {
	t.Parallel()
	// A port that was just free: nothing listens there any more.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	h := newHarness(t, func(c *legacyca.Config) {
		c.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		}
	})
	a := h.register(true)
	_, z := a.authorize("refused.example.test", false)
	c := z.challenge(t, "http-01")
	if z.Status != "invalid" || c.Error == nil || c.Error.Type != "urn:acme:error:connection" {
		t.Fatalf("authorization = %+v, challenge error %+v", z, c.Error)
	}
}

func TestDNS01(t *testing.T) {
	t.Parallel()
	records := make(chan []string, 2)
	h := newHarness(t, func(c *legacyca.Config) {
		c.LookupTXT = func(_ context.Context, name string) ([]string, error) {
			if !strings.HasPrefix(name, "_acme-challenge.") {
				return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
			}
			return <-records, nil
		}
	})
	a := h.register(true)
	for _, tc := range []struct {
		name, host string
		good       bool
		status     string
	}{
		{"ok/record-present", "dns-ok.example.test", true, "valid"},
		{"fail/wrong-record", "dns-bad.example.test", false, "invalid"},
	} {
		resp := a.newAuthz(tc.host)
		var z authzBody
		resp.json(t, &z)
		ch := z.challenge(t, "dns-01")
		sum := sha256.Sum256([]byte(a.keyAuth(ch.Token)))
		value := base64.RawURLEncoding.EncodeToString(sum[:])
		if !tc.good {
			value = "c29tZXRoaW5nIGVsc2U"
		}
		records <- []string{value}
		if trig := a.post(ch.URI, map[string]any{"resource": "challenge", "type": "dns-01"}); trig.status != http.StatusAccepted {
			t.Fatalf("%s: trigger %d %s", tc.name, trig.status, trig.body)
		}
		if final := h.waitAuthz(resp.header.Get("Location")); final.Status != tc.status {
			t.Errorf("%s: authorization %+v, want %s", tc.name, final, tc.status)
		}
	}
}
