package reports_test

import (
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/reports"
	"github.com/acmeproxy/acmeproxy/rules"
)

const (
	v1Host  = "https://acme-v01.example"
	pebble  = "https://localhost:14000"
	leStage = "https://acme-staging-v02.api.letsencrypt.org"
	thumbV1 = "Xv3kP0uZ2bQn8VYcR1tLwq9EoH4sJm7aDf6gKiN5yT0"
	thumbV2 = "q7WnB2cL0xR5tYv8Jk3Hm9Pd4Fs6Ga1Ze0Ui2Oo7Kw8"
	thumbRL = "Lm4Rt8Yq2Wx6Zc0Vb3Nd7Fh1Jk5Gp9Ts2Ae6Ui0Oy4"
	jwkV1   = `{"e":"AQAB","kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}`
	jwkV2   = `{"crv":"P-256","kty":"EC","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}`
)

var (
	v1Start = time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	v2Start = time.Date(2025, 6, 2, 9, 30, 0, 0, time.UTC)
)

// orphanV1 is a legacy v1 client that creates two authorizations, fails
// its own check of the first, silently drops it, and gets a certificate
// for the second: an orphaned authorization (warning; fail-on warning).
func orphanV1(t testing.TB) *reports.Report {
	b := newBuilder(t, rules.Warning)
	b.withRules(false)
	rec := b.input("recordings/orphan-v1.jsonl", "v1", "boulder-v1-test", v1Host+"/directory", v1Start)
	nonce := func(n string) string { return `{"alg":"RS256","jwk":` + jwkV1 + `,"nonce":"` + n + `"}` }
	rec.add(xch{method: "GET", url: v1Host + "/directory", op: "directory", status: 200, respType: "application/json",
		resp: `{"new-authz":"` + v1Host + `/acme/new-authz","new-cert":"` + v1Host + `/acme/new-cert","new-reg":"` + v1Host + `/acme/new-reg","revoke-cert":"` + v1Host + `/acme/revoke-cert"}`})
	reg := rec.add(xch{method: "POST", url: v1Host + "/acme/new-reg", op: "account.create", status: 201, account: thumbV1,
		protected: nonce("n1"), payload: `{"resource":"new-reg","contact":["mailto:ops@example.com"],"agreement":"` + v1Host + `/terms/v1"}`,
		respType: "application/json", resp: `{"id":7,"key":` + jwkV1 + `,"contact":["mailto:ops@example.com"],"agreement":"` + v1Host + `/terms/v1","createdAt":"2024-03-01T10:00:01Z"}`,
		headers: []reports.Header{{Name: "Location", Value: v1Host + "/acme/reg/7"}}, after: time.Second})
	authzA := v1Host + "/acme/authz/AbC1"
	authzB := v1Host + "/acme/authz/DeF2"
	newA := rec.add(xch{method: "POST", url: v1Host + "/acme/new-authz", op: "authz.create", status: 201, account: thumbV1,
		protected: nonce("n2"), payload: `{"resource":"new-authz","identifier":{"type":"dns","value":"example.com"}}`,
		respType: "application/json", resp: `{"identifier":{"type":"dns","value":"example.com"},"status":"pending","expires":"2024-03-08T10:00:02Z","challenges":[{"type":"http-01","status":"pending","uri":"` + v1Host + `/acme/challenge/AbC1/11","token":"tokA-9f8e"}]}`,
		headers: []reports.Header{{Name: "Location", Value: authzA}}, after: time.Second})
	selfA := rec.add(xch{method: "GET", url: "http://example.com/.well-known/acme-challenge/tokA-9f8e", op: "self_check", status: 404,
		respType: "text/html", resp: "<html><body><h1>404 Not Found</h1></body></html>", after: 2 * time.Second})
	newB := rec.add(xch{method: "POST", url: v1Host + "/acme/new-authz", op: "authz.create", status: 201, account: thumbV1,
		protected: nonce("n3"), payload: `{"resource":"new-authz","identifier":{"type":"dns","value":"www.example.com"}}`,
		respType: "application/json", resp: `{"identifier":{"type":"dns","value":"www.example.com"},"status":"pending","expires":"2024-03-08T10:00:05Z","challenges":[{"type":"http-01","status":"pending","uri":"` + v1Host + `/acme/challenge/DeF2/31","token":"tokB-1a2b"}]}`,
		headers: []reports.Header{{Name: "Location", Value: authzB}}, after: time.Second})
	selfB := rec.add(xch{method: "GET", url: "http://www.example.com/.well-known/acme-challenge/tokB-1a2b", op: "self_check", status: 200,
		respType: "text/plain", resp: "tokB-1a2b.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI", after: time.Second})
	trig := rec.add(xch{method: "POST", url: v1Host + "/acme/challenge/DeF2/31", op: "challenge.trigger", status: 202, account: thumbV1,
		protected: nonce("n4"), payload: `{"resource":"challenge","type":"http-01","keyAuthorization":"tokB-1a2b.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI"}`,
		respType: "application/json", resp: `{"type":"http-01","status":"pending","uri":"` + v1Host + `/acme/challenge/DeF2/31","token":"tokB-1a2b"}`, after: time.Second})
	poll1 := rec.add(xch{method: "GET", url: authzB, op: "authz.fetch", status: 200, respType: "application/json",
		resp: `{"identifier":{"type":"dns","value":"www.example.com"},"status":"pending"}`, after: 2 * time.Second})
	poll2 := rec.add(xch{method: "GET", url: authzB, op: "authz.fetch", status: 200, respType: "application/json",
		resp: `{"identifier":{"type":"dns","value":"www.example.com"},"status":"valid","expires":"2024-03-31T10:00:12Z"}`, after: 2 * time.Second})
	cert := rec.add(xch{method: "POST", url: v1Host + "/acme/new-cert", op: "cert.issue", status: 201, account: thumbV1,
		protected: nonce("n5"), payload: `{"resource":"new-cert","csr":"MIICljCCAX4CAQAwGjEYMBYGA1UEAwwPd3d3LmV4YW1wbGUuY29t"}`,
		respType: "application/pkix-cert", resp: "0\x82\x05\x1c0\x82\x04\x04\xa0\x03\x02\x01\x02\x02\x12\x03\x00\x00binary-der",
		headers: []reports.Header{{Name: "Location", Value: v1Host + "/acme/cert/fa1c0ffee"}, {Name: "Link", Value: `<` + v1Host + `/acme/issuer-cert>;rel="up"`}}, after: time.Second})
	issuer := rec.add(xch{method: "GET", url: v1Host + "/acme/issuer-cert", op: "cert.issuer", status: 200,
		respType: "application/pkix-cert", resp: "0\x82\x04\x920\x82\x03z\xa0\x03\x02\x01\x02\x02\x10issuer-der", after: time.Second})
	x := b.r.Exchange(issuer.File, issuer.Seq)
	x.Request.Headers = nil // this client's plain GETs carry no User-Agent
	b.r.Flow.Accounts = []reports.Account{{
		Key: thumbV1, URL: v1Host + "/acme/reg/7", Dialect: "v1", Status: "valid", Recording: rec.path,
		FirstSeen: v1Start.Add(time.Second), LastSeen: x.Time, Requests: 5,
		Events: []reports.Event{b.ev(reports.EventCreated, reg, "valid")},
		Lanes: []reports.Lane{
			{Kind: rules.KindAuthorization, Key: authzA, Label: "example.com", Status: "pending", Flags: []reports.Flag{reports.FlagOrphaned},
				Expires: time.Date(2024, 3, 8, 10, 0, 2, 0, time.UTC),
				Events:  []reports.Event{b.ev(reports.EventCreated, newA, "pending"), b.ev(reports.EventSelfChecked, selfA, "")}},
			{Kind: rules.KindAuthorization, Key: authzB, Label: "www.example.com", Status: "valid",
				Events: []reports.Event{b.ev(reports.EventCreated, newB, "pending"), b.ev(reports.EventSelfChecked, selfB, ""),
					b.ev(reports.EventTriggered, trig, "pending"), b.ev(reports.EventPolled, poll1, "pending"),
					b.ev(reports.EventValidated, poll2, "valid")}},
			{Kind: rules.KindCertificate, Key: v1Host + "/acme/cert/fa1c0ffee", Label: "www.example.com",
				Events: []reports.Event{b.ev(reports.EventIssued, cert, ""), b.ev(reports.EventDownloaded, cert, "")}},
		},
	}}
	newA.Note, selfA.Note = "created", "self-check got 404"
	ua := finding("user_agent_missing", rules.Info, rules.KindExchange, issuer.File+":"+itoa(issuer.Line), thumbV1,
		"GET "+v1Host+"/acme/issuer-cert was sent without a User-Agent header.", issuer)
	ua.Suppression = &rules.Suppression{Source: rules.SuppressedByConfig, Reason: "the appliance's HTTP stack cannot set one",
		Pos: rules.Pos{File: "acmeproxy.yaml", Line: 14}}
	return b.done(
		finding("orphaned_authorization", rules.Warning, rules.KindAuthorization, authzA, thumbV1,
			"Authorization for example.com stayed pending for 9s until the recording ended and no challenge was triggered; "+
				"the client's own check of http://example.com/.well-known/acme-challenge/tokA-9f8e got 404.", newA, selfA),
		ua,
	)
}

// pebbleStart adds the directory, nonce and newAccount exchanges of an
// RFC 8555 client and returns the newAccount ref.
func pebbleStart(rec *recording, thumb, host string) rules.Ref {
	rec.add(xch{method: "GET", url: host + "/dir", op: "directory", status: 200, respType: "application/json",
		resp: `{"keyChange":"` + host + `/rollover-account-key","meta":{"externalAccountRequired":false,"termsOfService":"data:text/plain,Do%20what%20thou%20wilt"},"newAccount":"` + host + `/sign-me-up","newNonce":"` + host + `/nonce-plz","newOrder":"` + host + `/order-plz","revokeCert":"` + host + `/revoke-cert"}`})
	rec.add(xch{method: "HEAD", url: host + "/nonce-plz", op: "nonce", status: 200, after: 300 * time.Millisecond})
	return rec.add(xch{method: "POST", url: host + "/sign-me-up", op: "account.create", status: 201, account: thumb,
		protected: `{"alg":"ES256","jwk":` + jwkV2 + `,"nonce":"a1","url":"` + host + `/sign-me-up"}`,
		payload:   `{"termsOfServiceAgreed":true,"contact":["mailto:admin@example.org"]}`,
		respType:  "application/json", resp: `{"status":"valid","contact":["mailto:admin@example.org"],"orders":"` + host + `/list-orderz/1","key":` + jwkV2 + `}`,
		headers: []reports.Header{{Name: "Location", Value: host + "/my-account/1"}}, after: 200 * time.Millisecond})
}

// kid is the protected header of a kid-signed request.
func kid(host, url, n string) string {
	return `{"alg":"ES256","kid":"` + host + `/my-account/1","nonce":"` + n + `","url":"` + url + `"}`
}

// cleanV2 is an RFC 8555 issuance against Pebble with nothing wrong.
func cleanV2(t testing.TB) *reports.Report { return cleanV2Client(t, nil) }

// clientFailed is cleanV2 recorded by `acmeproxy run -- CLIENT` with a
// client that then exited with status 1: no finding, yet the lint fails
// and every format says why.
func clientFailed(t testing.TB) *reports.Report {
	return cleanV2Client(t, &reports.Client{Command: []string{"acme-tiny", "--account-key", "account.key",
		"--csr", "domain.csr", "--acme-dir", "/var/www/challenges"}, ExitCode: 1})
}

func cleanV2Client(t testing.TB, client *reports.Client) *reports.Report {
	b := newBuilder(t, rules.Error)
	b.r.Client = client
	b.withRules(true)
	h := pebble
	rec := b.input("recordings/clean-v2.jsonl", "v2", "pebble", h+"/dir", v2Start)
	acct := pebbleStart(rec, thumbV2, h)
	order, authz, chal := h+"/my-order/o1", h+"/authZ/x1", h+"/chalZ/c1"
	orderBody := func(status, extra string) string {
		return `{"status":"` + status + `","expires":"2025-06-09T09:30:01Z","identifiers":[{"type":"dns","value":"example.org"}],"authorizations":["` + authz + `"],"finalize":"` + h + `/finalize-order/o1"` + extra + `}`
	}
	mk := rec.add(xch{method: "POST", url: h + "/order-plz", op: "order.create", status: 201, account: thumbV2,
		protected: kid(h, h+"/order-plz", "a2"), payload: `{"identifiers":[{"type":"dns","value":"example.org"}]}`,
		respType: "application/json", resp: orderBody("pending", ""), headers: []reports.Header{{Name: "Location", Value: order}}, after: 150 * time.Millisecond})
	authzBody := func(status string) string {
		return `{"status":"` + status + `","identifier":{"type":"dns","value":"example.org"},"challenges":[{"type":"http-01","url":"` + chal + `","token":"QbC3_kT6v5wz","status":"` + status + `"}],"expires":"2025-06-09T09:30:01Z"}`
	}
	fetch := rec.add(xch{method: "POST", url: authz, op: "authz.fetch", status: 200, account: thumbV2, protected: kid(h, authz, "a3"),
		respType: "application/json", resp: authzBody("pending"), after: 100 * time.Millisecond})
	trig := rec.add(xch{method: "POST", url: chal, op: "challenge.trigger", status: 200, account: thumbV2, protected: kid(h, chal, "a4"), payload: `{}`,
		respType: "application/json", resp: `{"type":"http-01","url":"` + chal + `","token":"QbC3_kT6v5wz","status":"processing"}`, after: 200 * time.Millisecond})
	valid := rec.add(xch{method: "POST", url: authz, op: "authz.fetch", status: 200, account: thumbV2, protected: kid(h, authz, "a5"),
		respType: "application/json", resp: authzBody("valid"), after: 1500 * time.Millisecond})
	ready := rec.add(xch{method: "POST", url: order, op: "order.poll", status: 200, account: thumbV2, protected: kid(h, order, "a6"),
		respType: "application/json", resp: orderBody("ready", ""), after: 100 * time.Millisecond})
	fin := rec.add(xch{method: "POST", url: h + "/finalize-order/o1", op: "order.finalize", status: 200, account: thumbV2,
		protected: kid(h, h+"/finalize-order/o1", "a7"), payload: `{"csr":"MIHqMIGRAgEAMBYxFDASBgNVBAMTC2V4YW1wbGUub3JnMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE"}`,
		respType: "application/json", resp: orderBody("processing", ""), after: 100 * time.Millisecond})
	done := rec.add(xch{method: "POST", url: order, op: "order.poll", status: 200, account: thumbV2, protected: kid(h, order, "a8"),
		respType: "application/json", resp: orderBody("valid", `,"certificate":"`+h+`/certZ/s1"`), after: time.Second})
	dl := rec.add(xch{method: "POST", url: h + "/certZ/s1", op: "cert.download", status: 200, account: thumbV2, protected: kid(h, h+"/certZ/s1", "a9"),
		respType: "application/pem-certificate-chain", resp: "-----BEGIN CERTIFICATE-----\nMIIBszCCAVqgAwIBAgIIB2i9ydUuhfowCgYIKoZIzj0EAwIw\n-----END CERTIFICATE-----\n", after: 100 * time.Millisecond})
	b.r.Flow.Accounts = []reports.Account{{
		Key: thumbV2, URL: h + "/my-account/1", Dialect: "v2", Status: "valid", Recording: rec.path,
		FirstSeen: b.r.Exchange(acct.File, acct.Seq).Time, LastSeen: b.r.Exchange(dl.File, dl.Seq).Time, Requests: 9,
		Events: []reports.Event{b.ev(reports.EventCreated, acct, "valid")},
		Lanes: []reports.Lane{
			{Kind: rules.KindOrder, Key: order, Label: "example.org", Status: "valid",
				Events: []reports.Event{b.ev(reports.EventCreated, mk, "pending"), b.ev(reports.EventReady, ready, "ready"),
					b.ev(reports.EventFinalized, fin, "processing"), b.ev(reports.EventValidated, done, "valid")}},
			{Kind: rules.KindAuthorization, Key: authz, Label: "example.org", Status: "valid", Orders: []string{order},
				Events: []reports.Event{b.ev(reports.EventListed, mk, "pending"), b.ev(reports.EventPolled, fetch, "pending"),
					b.ev(reports.EventTriggered, trig, "processing"), b.ev(reports.EventValidated, valid, "valid")}},
			{Kind: rules.KindCertificate, Key: h + "/certZ/s1", Label: "example.org",
				Events: []reports.Event{b.ev(reports.EventIssued, done, ""), b.ev(reports.EventDownloaded, dl, "")}},
		},
	}}
	return b.done()
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
