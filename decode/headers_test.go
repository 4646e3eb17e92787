package decode_test

import (
	"slices"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/decode"
	"github.com/acmeproxy/acmeproxy/decode/internal/acmetest"
)

func respond(status int, headers ...string) *decode.Message {
	x := acmetest.Exchange{Method: "GET", URL: "https://ca.test/acme/chall/1/2/x", ReqHeaders: acmetest.Headers("User-Agent", "u"),
		Status: status, RespHeader: acmetest.Headers(headers...)}
	return decode.Decode(x.Build(1, acmetest.NewFlow().Base), nil)
}

func TestLinks(t *testing.T) {
	cases := []struct {
		name    string
		headers []string
		want    []decode.Link
		issue   bool
	}{
		{"ok/one-per-header", []string{"Link", `<https://ca.test/acme/authz/1>;rel="up"`, "Link", `<https://ca.test/dir>;rel="index"`},
			[]decode.Link{{URL: "https://ca.test/acme/authz/1", Rel: "up"}, {URL: "https://ca.test/dir", Rel: "index"}}, false},
		{"ok/comma-joined-and-relative", []string{"Link", `</acme/issuer-cert>; rel=up, <https://ca.test/cert/1/1>; rel="alternate"`},
			[]decode.Link{{URL: "https://ca.test/acme/issuer-cert", Rel: "up"}, {URL: "https://ca.test/cert/1/1", Rel: "alternate"}}, false},
		{"ok/quoted-comma-and-several-rels", []string{"Link", `<https://ca.test/tos>; title="a, b"; rel="Terms-Of-Service next", <https://x.test/h>;rel=help`},
			[]decode.Link{{URL: "https://ca.test/tos", Rel: "terms-of-service"}, {URL: "https://ca.test/tos", Rel: "next"}, {URL: "https://x.test/h", Rel: "help"}}, false},
		{"fail/no-angle-brackets", []string{"Link", `https://ca.test/x; rel=up`}, nil, true},
		{"fail/unterminated-quote", []string{"Link", `<https://ca.test/x>; rel="up`}, nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := respond(200, tc.headers...)
			if !slices.Equal(m.Response.Links, tc.want) {
				t.Errorf("links %v, want %v", m.Response.Links, tc.want)
			}
			if m.HasIssue(decode.IssueHTTPBadLink) != tc.issue {
				t.Errorf("issues %v", m.Issues)
			}
		})
	}
	if got := respond(200, "Link", `<https://ca.test/acme/authz/1>;rel="up"`).Response.Link("up"); got != "https://ca.test/acme/authz/1" {
		t.Errorf("Link(up) = %q", got)
	}
}

func TestRetryAfter(t *testing.T) {
	cases := []struct {
		name    string
		headers []string
		seconds int64
		date    bool
		issue   bool
	}{
		{"ok/seconds", []string{"Retry-After", "3"}, 3, false, false},
		{"ok/http-date-against-date-header", []string{"Date", "Tue, 01 Sep 2026 12:00:00 GMT", "Retry-After", "Tue, 01 Sep 2026 12:01:00 GMT"}, 60, true, false},
		{"ok/http-date-against-exchange-end", []string{"Retry-After", "Tue, 01 Sep 2026 12:10:01 GMT"}, 600, true, false},
		{"ok/date-in-the-past", []string{"Retry-After", "Mon, 31 Aug 2026 12:00:00 GMT"}, 0, true, false},
		{"ok/obsolete-rfc850-date", []string{"Date", "Tue, 01 Sep 2026 12:00:00 GMT", "Retry-After", "Tuesday, 01-Sep-26 12:00:30 GMT"}, 30, true, false},
		{"fail/garbage", []string{"Retry-After", "soon"}, 0, false, true},
		{"fail/negative", []string{"Retry-After", "-5"}, 0, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := respond(429, tc.headers...)
			ra := m.Response.RetryAfter
			if m.HasIssue(decode.IssueHTTPBadRetryAfter) != tc.issue {
				t.Fatalf("issues %v", m.Issues)
			}
			if tc.issue {
				if ra != nil {
					t.Errorf("retry-after %+v on a bad value", ra)
				}
				return
			}
			if ra.Seconds != tc.seconds || !ra.Date.IsZero() != tc.date || ra.Delay() != time.Duration(tc.seconds)*time.Second {
				t.Errorf("retry-after %+v, want %d s (date %v)", ra, tc.seconds, tc.date)
			}
		})
	}
}

func TestLocationResolvedAndNonce(t *testing.T) {
	m := respond(201, "Location", "/acme/authz/9", "Replay-Nonce", "abc")
	if m.Response.Location != "https://ca.test/acme/authz/9" || m.Response.ReplayNonce != "abc" {
		t.Errorf("response %+v", m.Response)
	}
}
