package reports_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/reports"
	"github.com/acmeproxy/acmeproxy/rules"
)

// largeReport is a fleet of n accounts spread over three recordings of a
// CA: most issue cleanly, every 7th leaves an authorization orphaned,
// every 11th has its finalize refused and every 13th is rate limited.
func largeReport(t testing.TB, n int) *reports.Report {
	b := newBuilder(t, rules.Warning)
	b.withRules(true)
	h := "https://ca.fleet.example"
	start := v2Start.Add(72 * time.Hour)
	var recs []*recording
	for i := range 3 {
		recs = append(recs, b.input(fmt.Sprintf("recordings/fleet-%d.jsonl", i+1), "v2", "pebble", h+"/dir", start))
	}
	var fs []rules.Finding
	for i := range n {
		rec := recs[i%3]
		fs = append(fs, fleetAccount(b, rec, h, i)...)
	}
	return b.done(fs...)
}

// fleetAccount adds one account's traffic, flow and findings.
func fleetAccount(b *builder, rec *recording, h string, i int) []rules.Finding {
	thumb := fmt.Sprintf("fleet%04dAbCdEfGhIjKlMnOpQrStUvWxYz0123456789", i)[:43]
	acctURL := fmt.Sprintf("%s/acct/%d", h, i+1)
	sign := func(url string) string {
		return `{"alg":"ES256","kid":"` + acctURL + `","nonce":"n","url":"` + url + `"}`
	}
	mk := rec.add(xch{method: "POST", url: h + "/new-acct", op: "account.create", status: 201, account: thumb,
		protected: `{"alg":"ES256","jwk":` + jwkV2 + `,"nonce":"n","url":"` + h + `/new-acct"}`, payload: `{"termsOfServiceAgreed":true}`,
		respType: "application/json", resp: `{"status":"valid"}`, headers: []reports.Header{{Name: "Location", Value: acctURL}}, after: 700 * time.Millisecond})
	a := reports.Account{Key: thumb, URL: acctURL, Dialect: "v2", Status: "valid", Recording: rec.path,
		FirstSeen: rec.now, Events: []reports.Event{b.ev(reports.EventCreated, mk, "valid")}}
	var fs []rules.Finding
	orders := 1 + i%3
	for o := range orders {
		name := fmt.Sprintf("host%d-%d.fleet.example", i, o)
		orderURL := fmt.Sprintf("%s/order/%d-%d", h, i, o)
		authzURL := fmt.Sprintf("%s/authz/%d-%d", h, i, o)
		ord := rec.add(xch{method: "POST", url: h + "/new-order", op: "order.create", status: 201, account: thumb, protected: sign(h + "/new-order"),
			payload: `{"identifiers":[{"type":"dns","value":"` + name + `"}]}`, respType: "application/json",
			resp:    `{"status":"pending","identifiers":[{"type":"dns","value":"` + name + `"}],"authorizations":["` + authzURL + `"],"finalize":"` + orderURL + `/finalize"}`,
			headers: []reports.Header{{Name: "Location", Value: orderURL}}, after: 300 * time.Millisecond})
		fetch := rec.add(xch{method: "POST", url: authzURL, op: "authz.fetch", status: 200, account: thumb, protected: sign(authzURL),
			respType: "application/json", resp: `{"status":"pending","identifier":{"type":"dns","value":"` + name + `"}}`, after: 200 * time.Millisecond})
		ol := reports.Lane{Kind: rules.KindOrder, Key: orderURL, Label: name, Status: "pending",
			Events: []reports.Event{b.ev(reports.EventCreated, ord, "pending")}}
		zl := reports.Lane{Kind: rules.KindAuthorization, Key: authzURL, Label: name, Status: "pending", Orders: []string{orderURL},
			Events: []reports.Event{b.ev(reports.EventListed, ord, "pending"), b.ev(reports.EventPolled, fetch, "pending")}}
		switch {
		case i%7 == 0 && o == 0:
			zl.Flags, ol.Flags = []reports.Flag{reports.FlagOrphaned}, []reports.Flag{reports.FlagAbandoned}
			fs = append(fs, finding("orphaned_authorization", rules.Warning, rules.KindAuthorization, authzURL, thumb,
				"Authorization for "+name+" stayed pending and no challenge was triggered.", ord, fetch))
		default:
			fs = append(fs, fleetIssue(b, rec, h, i, thumb, sign, &ol, &zl)...)
		}
		a.Lanes = append(a.Lanes, ol, zl)
	}
	if i%13 == 0 {
		limited := &reports.Problem{Type: "urn:ietf:params:acme:error:rateLimited", Detail: "too many new orders", Status: 429}
		var refs []rules.Ref
		for range 3 {
			ref := rec.add(xch{method: "POST", url: h + "/new-order", op: "order.create", status: 429, account: thumb, protected: sign(h + "/new-order"),
				payload: `{"identifiers":[{"type":"dns","value":"extra.fleet.example"}]}`, respType: "application/problem+json",
				resp:    `{"type":"urn:ietf:params:acme:error:rateLimited","detail":"too many new orders","status":429}`,
				headers: []reports.Header{{Name: "Retry-After", Value: "600"}}, problem: limited, after: time.Second})
			refs = append(refs, ref)
			a.Events = append(a.Events, b.ev(reports.EventErrored, ref, ""))
		}
		fs = append(fs, finding("retry_after_ignored", rules.Warning, rules.KindAccount, thumb, thumb,
			"newOrder was refused with rateLimited (Retry-After 10m0s) and sent again 2 times within 2s.", refs...))
	}
	a.LastSeen = rec.now
	a.Requests = len(a.Events) + 4*orders
	b.r.Flow.Accounts = append(b.r.Flow.Accounts, a)
	return fs
}

// fleetIssue completes an order: trigger, validation, finalize (refused
// for every 11th account), download.
func fleetIssue(b *builder, rec *recording, h string, i int, thumb string, sign func(string) string, ol, zl *reports.Lane) []rules.Finding {
	chal := strings.Replace(zl.Key, "/authz/", "/chal/", 1)
	tr := rec.add(xch{method: "POST", url: chal, op: "challenge.trigger", status: 200, account: thumb, protected: sign(chal), payload: `{}`,
		respType: "application/json", resp: `{"status":"processing"}`, after: 100 * time.Millisecond})
	ok := rec.add(xch{method: "POST", url: zl.Key, op: "authz.fetch", status: 200, account: thumb, protected: sign(zl.Key),
		respType: "application/json", resp: `{"status":"valid"}`, after: time.Second})
	zl.Status = "valid"
	zl.Events = append(zl.Events, b.ev(reports.EventTriggered, tr, "processing"), b.ev(reports.EventValidated, ok, "valid"))
	fin := xch{method: "POST", url: ol.Key + "/finalize", op: "order.finalize", status: 200, account: thumb, protected: sign(ol.Key + "/finalize"),
		payload: `{"csr":"MIHqMIGRAgEAMBYx"}`, respType: "application/json", resp: `{"status":"valid","certificate":"` + ol.Key + `/cert"}`, after: 200 * time.Millisecond}
	if i%11 == 0 {
		fin.status, fin.respType = 400, "application/problem+json"
		fin.problem = &reports.Problem{Type: "urn:ietf:params:acme:error:badCSR", Detail: "CSR contains a public key for a known account", Status: 400}
		fin.resp = `{"type":"urn:ietf:params:acme:error:badCSR","detail":"CSR contains a public key for a known account","status":400}`
		ref := rec.add(fin)
		ol.Status, ol.Flags = "ready", []reports.Flag{reports.FlagFailed}
		ol.Events = append(ol.Events, b.ev(reports.EventFinalized, ref, ""), b.ev(reports.EventErrored, ref, ""))
		return []rules.Finding{finding("csr_key_is_account_key", rules.Error, rules.KindOrder, ol.Key, thumb,
			"The CSR sent to finalize order "+ol.Label+" carries the account key; the CA answered badCSR.", ref)}
	}
	ref := rec.add(fin)
	dl := rec.add(xch{method: "POST", url: ol.Key + "/cert", op: "cert.download", status: 200, account: thumb, protected: sign(ol.Key + "/cert"),
		respType: "application/pem-certificate-chain", resp: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", after: 100 * time.Millisecond})
	ol.Status = "valid"
	ol.Events = append(ol.Events, b.ev(reports.EventFinalized, ref, "valid"), b.ev(reports.EventValidated, ref, "valid"),
		b.ev(reports.EventIssued, ref, ""), b.ev(reports.EventDownloaded, dl, ""))
	return nil
}
