package reports_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/reports"
	"github.com/acmeproxy/acmeproxy/rules"
)

// The reports in these tests are built by hand to look like what lint
// produces from real recordings: the v1 flow of a Boulder-era client that
// leaves an authorization orphaned, a clean RFC 8555 flow against Pebble,
// a finalize whose CSR is signed with the account key, and a client that
// ignores Retry-After on 429. Their URLs, headers and bodies follow the
// shapes of acme-reference.md and Pebble's answers.

var generated = time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC)

// builder assembles one report.
type builder struct {
	t   testing.TB
	r   *reports.Report
	cur *recording
}

// recording appends exchanges to one input.
type recording struct {
	b    *builder
	path string
	seq  uint64
	now  time.Time
}

func newBuilder(t testing.TB, failOn rules.Severity) *builder {
	return &builder{t: t, r: &reports.Report{
		Tool:      reports.Tool{Name: "acmeproxy", Version: "0.1.0-test", URI: "https://github.com/acmeproxy/acmeproxy"},
		Generated: generated,
		FailOn:    failOn,
	}}
}

// input starts a recording.
func (b *builder) input(path, dialect, ca, upstream string, start time.Time) *recording {
	b.r.Inputs = append(b.r.Inputs, reports.Input{Path: path, Format: reports.InputJournal, Dialect: dialect,
		CA: ca, Upstream: upstream, Start: start})
	rec := &recording{b: b, path: path, now: start}
	b.cur = rec
	return rec
}

// xch describes one exchange to add.
type xch struct {
	method, url, op string
	status          int
	account         string
	protected       string // JWS protected header JSON; "" for an unsigned request
	payload         string // JWS payload JSON, or "" for POST-as-GET
	respType        string
	resp            string
	headers         []reports.Header // response headers besides Content-Type
	problem         *reports.Problem
	after           time.Duration // since the previous exchange
	took            time.Duration
}

// add records an exchange and returns its ref.
func (rec *recording) add(x xch) rules.Ref {
	rec.seq++
	rec.now = rec.now.Add(x.after)
	if x.took == 0 {
		x.took = 40 * time.Millisecond
	}
	dialect := "v2"
	if rec.b.r.Input(rec.path).Dialect == "v1" {
		dialect = "v1"
	}
	e := reports.Exchange{
		File: rec.path, Line: int(rec.seq) + 1, Seq: rec.seq, Time: rec.now, Duration: x.took,
		Method: x.method, URL: x.url, Operation: x.op, Dialect: dialect, Account: x.account,
		Status: x.status, Problem: x.problem,
	}
	e.Request.Headers = []reports.Header{{Name: "User-Agent", Value: "example-client/1.2"}}
	if x.protected != "" {
		e.Request.Headers = append(e.Request.Headers, reports.Header{Name: "Content-Type", Value: "application/jose+json"})
		size := int64(len(x.protected) + len(x.payload) + 90)
		e.Request.Body = reports.JWSBody("application/jose+json", []byte(x.protected), []byte(x.payload), size, 0)
	}
	resp := &reports.Message{}
	if x.respType != "" {
		resp.Headers = append(resp.Headers, reports.Header{Name: "Content-Type", Value: x.respType})
	}
	resp.Headers = append(resp.Headers, x.headers...)
	resp.Headers = append(resp.Headers, reports.Header{Name: "Replay-Nonce", Value: fmt.Sprintf("nonce-%s-%d", rec.path[len(rec.path)-8:], rec.seq)})
	resp.Body = reports.BodyOf(x.respType, []byte(x.resp), int64(len(x.resp)), 0)
	e.Response = resp
	in := rec.b.r.Input(rec.path)
	in.Exchanges++
	in.End = rec.now.Add(x.took)
	if !rec.b.r.AddExchange(e) {
		rec.b.t.Fatalf("exchange %s seq %d added twice", rec.path, rec.seq)
	}
	return rules.Ref{File: rec.path, Line: e.Line, Seq: e.Seq}
}

// ev returns the event of kind at the exchange ref.
func (b *builder) ev(kind reports.EventKind, ref rules.Ref, status string) reports.Event {
	x := b.r.Exchange(ref.File, ref.Seq)
	if x == nil {
		b.t.Fatalf("no exchange %v", ref)
	}
	e := reports.Event{Kind: kind, Time: x.Time, Ref: rules.Ref{File: ref.File, Line: ref.Line, Seq: ref.Seq}, Status: status}
	if x.Problem != nil && (kind == reports.EventErrored || kind == reports.EventInvalidated) {
		e.Problem = x.Problem
	}
	return e
}

// finding makes an engine finding with its fingerprint.
func finding(rule string, sev rules.Severity, kind rules.Kind, subject, account, msg string, ev ...rules.Ref) rules.Finding {
	return rules.Finding{Rule: rule, Severity: sev, Kind: kind, Subject: subject, Account: account, Message: msg,
		Evidence: ev, Fingerprint: rules.Fingerprint(rule, subject, account)}
}

// done adds the findings, finishes and validates the report.
func (b *builder) done(fs ...rules.Finding) *reports.Report {
	b.t.Helper()
	for i := range fs {
		if ru := b.r.Rule(fs[i].Rule); ru != nil {
			fs[i].Remediation = ru.Remediation
			fs[i].Citations = ru.Citations
		}
	}
	b.subjects()
	b.r.AddFindings(fs)
	b.r.Finish()
	if err := b.r.Validate(); err != nil {
		b.t.Fatalf("fixture report is invalid:\n%v", err)
	}
	return b.r
}

// subjects lists what the rules were evaluated over, as lint does from
// the subjects it passes to rules.Set.Evaluate.
func (b *builder) subjects() {
	for _, in := range b.r.Inputs {
		b.r.Subjects = append(b.r.Subjects, reports.Subject{Kind: rules.KindSession, Key: in.Path, Label: "recording", Recording: in.Path})
	}
	for _, a := range b.r.Flow.Accounts {
		b.r.Subjects = append(b.r.Subjects, reports.Subject{Kind: rules.KindAccount, Key: a.Key, Label: "account " + a.Name(),
			Account: a.Key, Recording: a.Recording})
		for _, l := range a.Lanes {
			b.r.Subjects = append(b.r.Subjects, reports.Subject{Kind: l.Kind, Key: l.Key, Label: l.Label, Account: a.Key, Recording: a.Recording})
		}
	}
	for _, x := range b.r.Exchanges {
		b.r.Subjects = append(b.r.Subjects, reports.Subject{Kind: rules.KindExchange, Key: x.Where(),
			Label: x.Method + " " + x.Operation, Account: x.Account, Recording: x.File})
	}
}

// ruleCatalog is the rules the fixtures load: ids, titles and citations
// in the style of the built-in pack.
func ruleCatalog() []reports.Rule {
	rfc := func(sec, anchor string) rules.Citation {
		return rules.Citation{Ref: "RFC 8555 §" + sec, URL: "https://www.rfc-editor.org/rfc/rfc8555#section-" + anchor}
	}
	return []reports.Rule{
		{ID: "orphaned_authorization", Title: "Pending authorization left without a challenge response",
			Description: "The client created an authorization and neither answered a challenge nor deactivated it. " +
				"Abandoned authorizations linger until they expire and count toward the CA's pending-authorization limits.",
			Severity: rules.Warning, Subject: rules.KindAuthorization, Status: "stable",
			Remediation: `Answer a challenge, or POST {"status":"deactivated"} to the authorization URL when you give up.`,
			Citations:   []rules.Citation{rfc("7.5.2", "7.5.2"), {Ref: "Let's Encrypt rate limits", URL: "https://letsencrypt.org/docs/rate-limits/"}},
			Tags:        []string{"authorization", "rate-limits"}, Source: "builtin/authz.yaml:3"},
		{ID: "csr_key_is_account_key", Title: "CSR signed with the account key",
			Description: "The CSR's public key is the account key. RFC 8555 §11.1 requires them to differ; CAs refuse such a CSR with badCSR.",
			Severity:    rules.Error, Subject: rules.KindOrder, Status: "stable",
			Remediation: "Generate a separate key pair for the certificate and sign the CSR with it.",
			Citations:   []rules.Citation{rfc("11.1", "11.1")}, Tags: []string{"finalize", "csr"}, Source: "builtin/finalize.yaml:20"},
		{ID: "csr_names_not_authorized", Title: "CSR asks for names the account holds no valid authorization for",
			Severity: rules.Error, Subject: rules.KindOrder, Status: "stable",
			Remediation: "Request exactly the order's identifiers in the CSR.",
			Citations:   []rules.Citation{rfc("7.4", "7.4")}, Source: "builtin/finalize.yaml:41"},
		{ID: "must_staple_requested", Title: "CSR requests OCSP Must-Staple, which Let's Encrypt refuses",
			Severity: rules.Notice, Subject: rules.KindOrder, Status: "stable",
			Remediation: "Drop the TLS Feature extension from the CSR.",
			Citations:   []rules.Citation{{Ref: "Let's Encrypt: ending OCSP support", URL: "https://letsencrypt.org/2024/12/05/ending-ocsp/"}},
			Source:      "builtin/finalize.yaml:60", Skipped: "in force from 2025-05-01; the recording is from 2024-03-01"},
		{ID: "pending_authorization_cap", Title: "Account close to the CA's cap on pending authorizations",
			Severity: rules.Warning, Subject: rules.KindAccount, Status: "stable",
			Citations: []rules.Citation{{Ref: "Let's Encrypt rate limits (2016-2024)"}},
			Source:    "builtin/authz.yaml:30", Skipped: "applies to CA letsencrypt, letsencrypt-staging; the recording's CA is boulder-v1-test"},
		{ID: "retry_after_ignored", Title: "Request repeated before the Retry-After of a 429 had passed",
			Description: "After a rateLimited error the CA says when to try again. A client that retries earlier keeps hitting the limit and may be blocked for longer.",
			Severity:    rules.Warning, Subject: rules.KindAccount, Status: "stable",
			Remediation: "Honour Retry-After: wait at least that long before sending the same request again.",
			Citations:   []rules.Citation{rfc("6.6", "6.6"), {Ref: "RFC 9110 §10.2.3", URL: "https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3"}},
			Source:      "builtin/retry.yaml:2"},
		{ID: "user_agent_missing", Title: "Request without a User-Agent header",
			Severity: rules.Info, Subject: rules.KindExchange, Status: "stable",
			Remediation: "Send a User-Agent naming the client and its version.",
			Citations:   []rules.Citation{rfc("6.1", "6.1")}, Source: "builtin/http.yaml:5"},
	}
}

// withRules sets the catalog, clearing Skipped for rules that apply to a
// v2 recording of 2025 (only the CA-scoped cap stays skipped).
func (b *builder) withRules(v2 bool) {
	b.r.Rules = ruleCatalog()
	if v2 {
		for i := range b.r.Rules {
			switch b.r.Rules[i].ID {
			case "must_staple_requested":
				b.r.Rules[i].Skipped = ""
			case "pending_authorization_cap":
				b.r.Rules[i].Skipped = "applies to CA letsencrypt, letsencrypt-staging; the recording's CA is pebble"
			}
		}
	}
}

// jsonStr marshals v compactly, for bodies.
func jsonStr(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// scenarios are the hand-built reports, by golden file name.
func scenarios(t testing.TB) map[string]*reports.Report {
	return map[string]*reports.Report{
		"orphan-v1":     orphanV1(t),
		"clean-v2":      cleanV2(t),
		"csr-account":   csrAccountKey(t),
		"ratelimit":     rateLimited(t),
		"client-failed": clientFailed(t),
	}
}
