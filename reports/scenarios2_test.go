package reports_test

import (
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/reports"
	"github.com/acmeproxy/acmeproxy/rules"
)

// csrAccountKey is a two-name order whose finalize CSR carries the account
// key; the CA refuses it with badCSR. One rule also failed to evaluate
// (an engine error), so the lint is incomplete: exit 3.
func csrAccountKey(t testing.TB) *reports.Report {
	b := newBuilder(t, rules.Error)
	b.withRules(true)
	h := pebble
	start := v2Start.Add(24 * time.Hour)
	rec := b.input("recordings/csr-account-key.jsonl", "v2", "pebble", h+"/dir", start)
	acct := pebbleStart(rec, thumbV2, h)
	order := h + "/my-order/o7"
	authzs := []string{h + "/authZ/n1", h + "/authZ/n2"}
	names := []string{"example.net", "www.example.net"}
	orderBody := func(status, extra string) string {
		return `{"status":"` + status + `","identifiers":[{"type":"dns","value":"example.net"},{"type":"dns","value":"www.example.net"}],"authorizations":["` +
			authzs[0] + `","` + authzs[1] + `"],"finalize":"` + h + `/finalize-order/o7"` + extra + `}`
	}
	mk := rec.add(xch{method: "POST", url: h + "/order-plz", op: "order.create", status: 201, account: thumbV2,
		protected: kid(h, h+"/order-plz", "b2"), payload: `{"identifiers":[{"type":"dns","value":"example.net"},{"type":"dns","value":"www.example.net"}]}`,
		respType: "application/json", resp: orderBody("pending", ""), headers: []reports.Header{{Name: "Location", Value: order}}, after: 150 * time.Millisecond})
	var lanes []reports.Lane
	for i, z := range authzs {
		chal := h + "/chalZ/m" + itoa(i+1)
		body := func(status string) string {
			return `{"status":"` + status + `","identifier":{"type":"dns","value":"` + names[i] + `"},"challenges":[{"type":"http-01","url":"` + chal + `","status":"` + status + `"}]}`
		}
		f := rec.add(xch{method: "POST", url: z, op: "authz.fetch", status: 200, account: thumbV2, protected: kid(h, z, "c"+itoa(i)),
			respType: "application/json", resp: body("pending"), after: 80 * time.Millisecond})
		tr := rec.add(xch{method: "POST", url: chal, op: "challenge.trigger", status: 200, account: thumbV2, protected: kid(h, chal, "d"+itoa(i)), payload: `{}`,
			respType: "application/json", resp: `{"type":"http-01","url":"` + chal + `","status":"processing"}`, after: 80 * time.Millisecond})
		v := rec.add(xch{method: "POST", url: z, op: "authz.fetch", status: 200, account: thumbV2, protected: kid(h, z, "e"+itoa(i)),
			respType: "application/json", resp: body("valid"), after: 1200 * time.Millisecond})
		lanes = append(lanes, reports.Lane{Kind: rules.KindAuthorization, Key: z, Label: names[i], Status: "valid", Orders: []string{order},
			Events: []reports.Event{b.ev(reports.EventListed, mk, "pending"), b.ev(reports.EventPolled, f, "pending"),
				b.ev(reports.EventTriggered, tr, "processing"), b.ev(reports.EventValidated, v, "valid")}})
	}
	ready := rec.add(xch{method: "POST", url: order, op: "order.poll", status: 200, account: thumbV2, protected: kid(h, order, "f1"),
		respType: "application/json", resp: orderBody("ready", ""), after: 100 * time.Millisecond})
	bad := &reports.Problem{Type: "urn:ietf:params:acme:error:badCSR", Detail: "CSR contains a public key for a known account", Status: 400}
	fin := rec.add(xch{method: "POST", url: h + "/finalize-order/o7", op: "order.finalize", status: 400, account: thumbV2,
		protected: kid(h, h+"/finalize-order/o7", "f2"), payload: `{"csr":"MIIBBjCBrQIBADAWMRQwEgYDVQQDEwtleGFtcGxlLm5ldDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABH_zzic"}`,
		respType: "application/problem+json", resp: `{"type":"urn:ietf:params:acme:error:badCSR","detail":"CSR contains a public key for a known account","status":400}`,
		problem: bad, after: 100 * time.Millisecond})
	orderLane := reports.Lane{Kind: rules.KindOrder, Key: order, Label: "example.net, www.example.net", Status: "ready",
		Flags: []reports.Flag{reports.FlagFailed},
		Events: []reports.Event{b.ev(reports.EventCreated, mk, "pending"), b.ev(reports.EventReady, ready, "ready"),
			b.ev(reports.EventFinalized, fin, ""), b.ev(reports.EventErrored, fin, "")}}
	b.r.Flow.Accounts = []reports.Account{{
		Key: thumbV2, URL: h + "/my-account/1", Dialect: "v2", Status: "valid", Recording: rec.path, Requests: 10, Errors: 1,
		FirstSeen: b.r.Exchange(acct.File, acct.Seq).Time, LastSeen: b.r.Exchange(fin.File, fin.Seq).Time,
		Events: []reports.Event{b.ev(reports.EventCreated, acct, "valid")},
		Lanes:  append([]reports.Lane{orderLane}, lanes...),
	}}
	b.r.EngineErrors = []reports.EngineError{{Rule: "csr_names_not_authorized", Kind: rules.KindOrder, Subject: order,
		Pos: "builtin/finalize.yaml:47:16", Message: "condition: runtime error: invalid memory address or nil pointer dereference (1:18)"}}
	fin.Note, acct.Note = "finalize refused: badCSR", "newAccount registered this key"
	return b.done(finding("csr_key_is_account_key", rules.Error, rules.KindOrder, order, thumbV2,
		"The CSR sent to finalize order example.net, www.example.net carries the account key ("+thumbV2[:8]+"…); the CA answered badCSR.",
		fin, acct))
}

// rateLimited is a client that retries newOrder after 2 s, 2 s, 4 s and
// 8 s although every 429 asked it to wait an hour (fail-on warning).
func rateLimited(t testing.TB) *reports.Report {
	b := newBuilder(t, rules.Warning)
	b.withRules(true)
	for i := range b.r.Rules {
		if b.r.Rules[i].ID == "pending_authorization_cap" {
			b.r.Rules[i].Skipped = "in force until 2025-01-09; the recording is from 2025-06-03"
		}
	}
	h := leStage
	start := v2Start.Add(48 * time.Hour)
	rec := b.input("recordings/ratelimit.jsonl", "v2", "letsencrypt-staging", h+"/directory", start)
	rec.add(xch{method: "GET", url: h + "/directory", op: "directory", status: 200, respType: "application/json",
		resp: `{"newAccount":"` + h + `/acme/new-acct","newNonce":"` + h + `/acme/new-nonce","newOrder":"` + h + `/acme/new-order","renewalInfo":"` + h + `/acme/renewal-info","meta":{"caaIdentities":["letsencrypt.org"],"profiles":{"classic":"https://letsencrypt.org/docs/profiles#classic"}}}`})
	rec.add(xch{method: "HEAD", url: h + "/acme/new-nonce", op: "nonce", status: 200, after: 200 * time.Millisecond})
	acct := rec.add(xch{method: "POST", url: h + "/acme/new-acct", op: "account.create", status: 200, account: thumbRL,
		protected: `{"alg":"ES256","jwk":` + jwkV2 + `,"nonce":"r1","url":"` + h + `/acme/new-acct"}`, payload: `{"termsOfServiceAgreed":true}`,
		respType: "application/json", resp: `{"key":` + jwkV2 + `,"initialIp":"192.0.2.10","createdAt":"2025-05-30T08:00:00Z","status":"valid"}`,
		headers: []reports.Header{{Name: "Location", Value: h + "/acme/acct/182734"}}, after: 200 * time.Millisecond})
	limited := &reports.Problem{Type: "urn:ietf:params:acme:error:rateLimited", Status: 429,
		Detail: "too many new orders (300) from this account in the last 3h0m0s, retry after 2025-06-04 10:30:03 UTC: see https://letsencrypt.org/docs/rate-limits/#new-orders-per-account"}
	var refs []rules.Ref
	var events []reports.Event
	for i, gap := range []time.Duration{300 * time.Millisecond, 2 * time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second} {
		ref := rec.add(xch{method: "POST", url: h + "/acme/new-order", op: "order.create", status: 429, account: thumbRL,
			protected: `{"alg":"ES256","kid":"` + h + `/acme/acct/182734","nonce":"r` + itoa(i+2) + `","url":"` + h + `/acme/new-order"}`,
			payload:   `{"identifiers":[{"type":"dns","value":"shop.example.com"}]}`,
			respType:  "application/problem+json", resp: `{"type":"urn:ietf:params:acme:error:rateLimited","detail":"` + limited.Detail + `","status":429}`,
			headers: []reports.Header{{Name: "Retry-After", Value: "3600"}, {Name: "Link", Value: `<https://letsencrypt.org/docs/rate-limits/>;rel="help"`}},
			problem: limited, after: gap})
		if i > 0 {
			ref.Note = "repeated after " + gap.String()
		} else {
			ref.Note = "429, Retry-After 3600"
		}
		refs = append(refs, ref)
		events = append(events, b.ev(reports.EventErrored, ref, ""))
	}
	b.r.Flow.Accounts = []reports.Account{{
		Key: thumbRL, URL: h + "/acme/acct/182734", Dialect: "v2", Status: "valid", Recording: rec.path, Requests: 6, Errors: 5,
		FirstSeen: b.r.Exchange(acct.File, acct.Seq).Time, LastSeen: b.r.Exchange(refs[4].File, refs[4].Seq).Time,
		Events: append([]reports.Event{b.ev(reports.EventCreated, acct, "valid")}, events...),
		Lanes:  []reports.Lane{},
	}}
	return b.done(finding("retry_after_ignored", rules.Warning, rules.KindAccount, thumbRL, thumbRL,
		"newOrder was refused with rateLimited (Retry-After 1h0m0s) and sent again 4 times within 16s, the first time after 2s.",
		refs...))
}
