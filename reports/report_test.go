package reports_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/flow"
	"github.com/acmeproxy/acmeproxy/reports"
	"github.com/acmeproxy/acmeproxy/rules"
	"github.com/acmeproxy/acmeproxy/rules/examplepack"
)

// TestExitCode covers the exit statuses lint derives from a report.
func TestExitCode(t *testing.T) {
	want := map[string]int{"clean-v2": reports.ExitClean, "orphan-v1": reports.ExitFindings,
		"ratelimit": reports.ExitFindings, "csr-account": reports.ExitEngine, "client-failed": reports.ExitFindings}
	for name, r := range scenarios(t) {
		if got := r.ExitCode(); got != want[name] || r.Summary.ExitCode != got {
			t.Errorf("%s: ExitCode %d, Summary.ExitCode %d, want %d", name, got, r.Summary.ExitCode, want[name])
		}
	}
	r := orphanV1(t)
	r.FailOn = rules.Error
	if got := r.ExitCode(); got != reports.ExitClean {
		t.Errorf("ok/warning-below-fail-on: exit %d, want 0", got)
	}
}

// TestJSONRoundTrip reads back what WriteJSON wrote: the same report,
// rendered to the same bytes in every format.
func TestJSONRoundTrip(t *testing.T) {
	for name, r := range scenarios(t) {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := reports.WriteJSON(&buf, r, reports.Options{}); err != nil {
				t.Fatal(err)
			}
			back, err := reports.ReadJSON(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range reports.Formats() {
				if a, b := render(t, f, r, reports.Options{}), render(t, f, back, reports.Options{}); !bytes.Equal(a, b) {
					t.Errorf("%s differs after a JSON round trip", f.Name)
				}
			}
		})
	}
}

// TestReadJSONRejects covers reports ReadJSON refuses.
func TestReadJSONRejects(t *testing.T) {
	var buf bytes.Buffer
	if err := reports.WriteJSON(&buf, orphanV1(t), reports.Options{}); err != nil {
		t.Fatal(err)
	}
	good := buf.String()
	cases := map[string]string{
		"fail/version-2":      strings.Replace(good, `"version": 1`, `"version": 2`, 1),
		"fail/unknown-field":  strings.Replace(good, `"version": 1`, `"version": 1, "colour": "red"`, 1),
		"fail/bad-severity":   strings.Replace(good, `"fail_on": "warning"`, `"fail_on": "high"`, 1),
		"fail/unknown-flag":   strings.Replace(good, `"orphaned"`, `"lost"`, 1),
		"fail/bad-event-kind": strings.Replace(good, `"kind": "self_checked"`, `"kind": "peeked"`, 1),
		"fail/summary-stale":  strings.Replace(good, `"findings": 1,`, `"findings": 7,`, 1),
		"fail/not-json":       "{",
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			if doc == good {
				t.Fatal("the case does not change the report")
			}
			if _, err := reports.ReadJSON(strings.NewReader(doc)); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// TestValidate covers the consistency checks.
func TestValidate(t *testing.T) {
	cases := []struct {
		name   string
		change func(r *reports.Report)
		want   string
	}{
		{"fail/unlisted-rule", func(r *reports.Report) { r.Findings[0].Rule = "no_such_rule" }, "rule is not listed"},
		{"fail/evidence-missing", func(r *reports.Report) { r.Findings[0].Evidence[0].Seq = 999 }, "not among the exchanges"},
		{"fail/event-missing", func(r *reports.Report) { r.Flow.Accounts[0].Lanes[0].Events[0].Ref.Seq = 999 }, "not among the exchanges"},
		{"fail/suppressed-in-findings", func(r *reports.Report) {
			r.Findings = append(r.Findings, r.Suppressed[0])
		}, "suppression state"},
		{"fail/lane-kind", func(r *reports.Report) { r.Flow.Accounts[0].Lanes[0].Kind = rules.KindExchange }, "cannot be of kind"},
		{"fail/no-generated", func(r *reports.Report) { r.Generated = time.Time{} }, "generated time"},
		{"fail/exchange-twice", func(r *reports.Report) { r.Exchanges = append(r.Exchanges, r.Exchanges[0]) }, "listed twice"},
		{"fail/stale-summary", func(r *reports.Report) { r.Findings = r.Findings[:0] }, "summary does not match"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := orphanV1(t)
			tc.change(r)
			err := r.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
	t.Run("ok/every-scenario", func(t *testing.T) {
		for name, r := range scenarios(t) {
			if err := r.Validate(); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	})
}

// TestAddFindings checks evidence resolution, labels, objects and the
// split of suppressed findings.
func TestAddFindings(t *testing.T) {
	r := orphanV1(t)
	f := r.Findings[0]
	if !f.Evidence[0].Found || f.Evidence[0].Method != "POST" || f.Evidence[0].Status != 201 ||
		f.Evidence[0].Operation != "authz.create" || f.Evidence[0].Note != "created" {
		t.Errorf("anchor evidence not resolved: %+v", f.Evidence[0])
	}
	if f.Label != "authorization example.com" || f.Object != v1Host+"/acme/authz/AbC1" || f.Recording != "recordings/orphan-v1.jsonl" {
		t.Errorf("label %q, object %q, recording %q", f.Label, f.Object, f.Recording)
	}
	if len(r.Suppressed) != 1 || r.Suppressed[0].Rule != "user_agent_missing" {
		t.Errorf("suppressed: %+v", r.Suppressed)
	}
	rl := rateLimited(t).Findings[0]
	if rl.Object != leStage+"/acme/acct/182734" || rl.Label != "account "+thumbRL[:8] {
		t.Errorf("account finding: label %q, object %q", rl.Label, rl.Object)
	}
}

// TestRuleFrom describes rules loaded by package rules, with the reason a
// rule outside its dates or CA scope did not apply.
func TestRuleFrom(t *testing.T) {
	rs, err := rules.LoadFS(examplepack.FS(), "example", examplepack.Schema())
	if err != nil {
		t.Fatal(err)
	}
	set, err := rules.NewSet(rs)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		ec   rules.EvalContext
		want string
	}{
		{"skip/before", rules.EvalContext{Now: time.Date(2014, 1, 1, 0, 0, 0, 0, time.UTC), CA: "letsencrypt"}, "in force from 2015-10-01; the recording is from 2014-01-01"},
		{"skip/after", rules.EvalContext{Now: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), CA: "letsencrypt"}, "in force until 2025-01-09; the recording is from 2025-03-01"},
		{"skip/ca", rules.EvalContext{Now: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), CA: "pebble"}, "applies to CA letsencrypt, letsencrypt-staging; the recording's CA is pebble"},
		{"skip/unknown-ca", rules.EvalContext{Now: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)}, "the recording's CA is unknown"},
		{"ok/applies", rules.EvalContext{Now: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), CA: "letsencrypt"}, ""},
	}
	e, ok := set.Lookup("example_pending_authorization_cap")
	if !ok {
		t.Fatal("example pack has no example_pending_authorization_cap")
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ru := reports.RuleFrom(e, tc.ec)
			if !strings.Contains(ru.Skipped, tc.want) || (tc.want == "") != (ru.Skipped == "") {
				t.Errorf("Skipped = %q, want %q", ru.Skipped, tc.want)
			}
			if ru.Severity != rules.Warning || ru.Subject != rules.KindAccount || ru.Source == "" {
				t.Errorf("rule description: %+v", ru)
			}
		})
	}
	orphan, _ := set.Lookup("example_orphaned_pending_authorization")
	if ru := reports.RuleFrom(orphan, cases[4].ec); ru.HelpURI != "https://www.rfc-editor.org/rfc/rfc8555#section-7.5.1" || ru.Skipped != "" {
		t.Errorf("help URI %q, skipped %q", ru.HelpURI, ru.Skipped)
	}
}

// TestEngineErrorFrom keeps the position and message of a rule failure.
func TestEngineErrorFrom(t *testing.T) {
	e := reports.EngineErrorFrom(rules.EngineError{Rule: "r", Kind: rules.KindOrder, Subject: "https://ca/o/1",
		Pos: rules.Pos{File: "x.yaml", Line: 3, Column: 7}, Err: errors.New("boom")})
	want := reports.EngineError{Rule: "r", Kind: rules.KindOrder, Subject: "https://ca/o/1", Pos: "x.yaml:3:7", Message: "boom"}
	if e != want {
		t.Errorf("got %+v, want %+v", e, want)
	}
}

// TestEventKindsMatchFlow keeps the mirrored event kinds spelled as
// package flow spells them.
func TestEventKindsMatchFlow(t *testing.T) {
	fromFlow := []flow.EventKind{flow.EventCreated, flow.EventHandedBack, flow.EventListed, flow.EventPolled,
		flow.EventSelfChecked, flow.EventTriggered, flow.EventValidated, flow.EventInvalidated, flow.EventDeactivated,
		flow.EventReady, flow.EventFinalized, flow.EventIssued, flow.EventDownloaded, flow.EventErrored, flow.EventExpired}
	var got, want []string
	for _, k := range reports.EventKinds() {
		got = append(got, string(k))
	}
	for _, k := range fromFlow {
		want = append(want, string(k))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("reports.EventKinds() = %v\nflow's kinds          = %v", got, want)
	}
}

// TestBodyOf covers the body views lint builds.
func TestBodyOf(t *testing.T) {
	cases := []struct {
		name              string
		ct                string
		raw               string
		size              int64
		max               int
		text, note        string
		truncated, protec bool
	}{
		{name: "ok/json", ct: "application/problem+json", raw: `{"type":"x","status":400}`, text: "{\n  \"type\": \"x\",\n  \"status\": 400\n}"},
		{name: "ok/text", ct: "text/plain", raw: "tok.key", text: "tok.key"},
		{name: "ok/binary", ct: "application/pkix-cert", raw: "0\x82\x01\x00\xff\xfe", note: "binary, 6 bytes"},
		{name: "ok/cut", ct: "text/plain", raw: "ééééé", max: 5, text: "éé", truncated: true},
		{name: "ok/partly-recorded", ct: "text/plain", raw: "abc", size: 10, text: "abc", truncated: true},
		{name: "ok/empty", ct: "", raw: ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := reports.BodyOf(tc.ct, []byte(tc.raw), tc.size, tc.max)
			if b.Text != tc.text || b.Note != tc.note || b.Truncated != tc.truncated {
				t.Errorf("got text %q note %q truncated %v", b.Text, b.Note, b.Truncated)
			}
		})
	}
	j := reports.JWSBody("application/jose+json", []byte(`{"alg":"ES256"}`), nil, 120, 0)
	if j.Protected != "{\n  \"alg\": \"ES256\"\n}" || j.Note != "POST-as-GET: empty payload" || j.Text != "" {
		t.Errorf("POST-as-GET body: %+v", j)
	}
}

// TestHTMLEscapes puts markup in every string a report carries: the page
// shows it as text.
func TestHTMLEscapes(t *testing.T) {
	r := orphanV1(t)
	evil := `<script>alert(1)</script><img src=x onerror=alert(2)>`
	r.Findings[0].Message = evil
	r.Findings[0].Label = evil
	r.Flow.Accounts[0].Lanes[0].Label = evil
	r.Flow.Accounts[0].URL = "javascript:alert(3)"
	r.Exchanges[0].URL = evil
	r.Exchanges[0].Response.Body.Text = evil
	r.Rules[0].Citations = []rules.Citation{{Ref: evil, URL: "javascript:alert(4)"}}
	out := string(render(t, mustFormat(t, "html"), r, reports.Options{}))
	for _, bad := range []string{"<script>alert", "<img src=x", `href="javascript:`} {
		if strings.Contains(out, bad) {
			t.Errorf("the page contains %q unescaped", bad)
		}
	}
	if strings.Count(out, "<script>") != 1 {
		t.Errorf("the page has %d script elements, want 1", strings.Count(out, "<script>"))
	}
}

// TestMarkdownEscapes keeps table cells and emphasis intact whatever a
// message holds.
func TestMarkdownEscapes(t *testing.T) {
	r := orphanV1(t)
	r.Findings[0].Message = "a | b *c* _d_ <e> [f](g)\nnext line"
	out := string(render(t, mustFormat(t, "markdown"), r, reports.Options{}))
	if !strings.Contains(out, `a \| b \*c\* \_d\_ \<e\> \[f\]\(g\) next line`) {
		t.Errorf("message not escaped:\n%s", out)
	}
}

// TestSARIFLocations covers the artifact URI of a recording.
func TestSARIFLocations(t *testing.T) {
	cases := []struct {
		name, path, base, uri, baseID string
	}{
		{"ok/relative", "recordings/a.jsonl", "", "recordings/a.jsonl", "%SRCROOT%"},
		{"ok/inside-base", "/work/repo/rec/a b.jsonl", "/work/repo", "rec/a%20b.jsonl", "%SRCROOT%"},
		{"ok/relative-to-working-directory", "rec/a.jsonl", ".", "rec/a.jsonl", "%SRCROOT%"},
		{"ok/climbing-out-of-base", "../a.jsonl", ".", "file://" + filepath.ToSlash(filepath.Dir(mustAbs(t, "."))) + "/a.jsonl", ""},
		{"ok/outside-base", "/tmp/a.jsonl", "/work/repo", "file:///tmp/a.jsonl", ""},
		{"ok/absolute-no-base", "/tmp/a.jsonl", "", "file:///tmp/a.jsonl", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := orphanV1(t)
			old := r.Inputs[0].Path
			r.Inputs[0].Path = tc.path
			for i := range r.Exchanges {
				r.Exchanges[i].File = tc.path
			}
			for i := range r.Findings {
				for j := range r.Findings[i].Evidence {
					r.Findings[i].Evidence[j].File = tc.path
				}
			}
			_ = old
			var buf bytes.Buffer
			if err := reports.WriteSARIF(&buf, r, reports.Options{BaseDir: tc.base}); err != nil {
				t.Fatal(err)
			}
			var log struct {
				Runs []struct {
					Results []struct {
						Locations []struct {
							Physical struct {
								Artifact struct {
									URI       string `json:"uri"`
									URIBaseID string `json:"uriBaseId"`
								} `json:"artifactLocation"`
								Region struct {
									StartLine int `json:"startLine"`
								} `json:"region"`
							} `json:"physicalLocation"`
						} `json:"locations"`
						Fingerprints map[string]string `json:"partialFingerprints"`
					} `json:"results"`
				} `json:"runs"`
			}
			if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
				t.Fatal(err)
			}
			res := log.Runs[0].Results[0]
			loc := res.Locations[0].Physical
			if loc.Artifact.URI != tc.uri || loc.Artifact.URIBaseID != tc.baseID || loc.Region.StartLine != 4 {
				t.Errorf("location %+v, want uri %q base %q line 4", loc, tc.uri, tc.baseID)
			}
			if res.Fingerprints["acmeproxyFingerprint/v1"] != r.Findings[0].Fingerprint {
				t.Errorf("fingerprints %v", res.Fingerprints)
			}
		})
	}
}

// TestLookup names every format.
func TestLookup(t *testing.T) {
	for _, name := range []string{"text", "json", "sarif", "junit", "markdown", "md", "html"} {
		if f, ok := reports.Lookup(name); !ok || f.Write == nil {
			t.Errorf("Lookup(%q) failed", name)
		}
	}
	if _, ok := reports.Lookup("pdf"); ok {
		t.Error("Lookup(pdf) succeeded")
	}
}

// TestWriteErrors reports a failing writer as an error from every format.
func TestWriteErrors(t *testing.T) {
	r := orphanV1(t)
	for _, f := range reports.Formats() {
		if err := f.Write(failWriter{}, r, reports.Options{}); err == nil {
			t.Errorf("%s: no error from a failing writer", f.Name)
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
