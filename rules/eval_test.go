package rules_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/rules"
	"github.com/acmeproxy/acmeproxy/rules/examplepack"
)

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// packSet builds the whole example pack (acmeproxy:all).
func packSet(t *testing.T) *rules.Set {
	t.Helper()
	set, err := rules.Build(&rules.Config{Extends: []rules.Extend{{Name: rules.ExtendsAll}}},
		rules.Options{Schema: schema(), Builtin: examplepack.FS()})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// recording reads a synthetic recording of the example pack.
func recording(t *testing.T, name string) rules.Recording {
	t.Helper()
	rec, err := examplepack.ReadRecording(filepath.Join("examplepack", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// firedOn returns "rule subject" for every finding.
func firedOn(findings []rules.Finding) []string {
	var out []string
	for _, f := range findings {
		out = append(out, f.Rule+" "+f.Subject)
	}
	return out
}

// TestEffectiveDatesAndCAScope judges a recording by the policy of its own
// date and CA: the pending-authorization cap existed at Let's Encrypt from
// 2015-10-01 until 2025-01-10 (ineffective that day), nowhere else.
func TestEffectiveDatesAndCAScope(t *testing.T) {
	set := packSet(t)
	subjects := recording(t, "cap-2024.json").Subjects
	tests := []struct {
		name string
		now  string
		ca   string
		want bool
	}{
		{"silent/before-effective", "2015-09-30", "letsencrypt", false},
		{"fires/on-effective-day", "2015-10-01", "letsencrypt", true},
		{"fires/day-before-ineffective", "2025-01-09", "letsencrypt", true},
		{"silent/on-ineffective-day", "2025-01-10", "letsencrypt", false},
		{"fires/other-listed-ca", "2024-06-01", "letsencrypt-staging", true},
		{"silent/ca-not-listed", "2024-06-01", "pebble", false},
		{"silent/ca-unknown", "2024-06-01", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			findings, errs := set.Evaluate(t.Context(), rules.EvalContext{Now: date(tc.now), CA: tc.ca}, subjects)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			got := strings.Contains(strings.Join(firedOn(findings), "\n"), "example_pending_authorization_cap acct-full")
			if got != tc.want {
				t.Errorf("fired = %v, want %v (%q)", got, tc.want, firedOn(findings))
			}
		})
	}
}

// TestEvaluatePack checks a whole evaluation: messages, evidence narrowed
// by the evidence expression, accounts, severities.
func TestEvaluatePack(t *testing.T) {
	rec := recording(t, "orphan.json")
	findings, errs := packSet(t).Evaluate(t.Context(), rec.Context, rec.Subjects)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if len(findings) != 2 {
		t.Fatalf("findings = %q", firedOn(findings))
	}
	f := findings[1]
	if f.Rule != "example_orphaned_pending_authorization" || f.Severity != rules.Warning ||
		f.Account != "acct-A" || f.Kind != rules.KindAuthorization ||
		f.Message != "Authorization for a.example stayed pending for 1h0m0s and no challenge was triggered." ||
		len(f.Evidence) != 1 || f.Evidence[0] != (rules.Ref{File: "orphan.jsonl", Line: 4, Seq: 3, Note: "created"}) ||
		len(f.Citations) != 1 || f.Remediation == "" || f.Suppressed() {
		t.Errorf("finding = %+v", f)
	}
	if findings[0].Evidence[0] != (rules.Ref{File: "orphan.jsonl", Line: 8, Seq: 7}) {
		t.Errorf("default evidence = %+v, want the exchange's own ref", findings[0].Evidence)
	}
}

// TestFingerprintsStable checks that fingerprints depend on rule, subject
// and account only: the same flow recorded later, at other lines, keeps
// them; and that their value does not drift between versions.
func TestFingerprintsStable(t *testing.T) {
	set := packSet(t)
	rec := recording(t, "orphan.json")
	first, _ := set.Evaluate(t.Context(), rec.Context, rec.Subjects)
	for _, s := range rec.Subjects[rules.KindAuthorization] {
		a := s.(*examplepack.Authz)
		a.Created = a.Created.Add(24 * time.Hour)
		a.CreatedBy.Line += 100
	}
	rec.Context.Now = rec.Context.Now.Add(24 * time.Hour)
	second, _ := set.Evaluate(t.Context(), rec.Context, rec.Subjects)
	if len(first) != 2 || len(second) != 2 {
		t.Fatalf("findings: %q then %q", firedOn(first), firedOn(second))
	}
	for i := range first {
		if first[i].Fingerprint != second[i].Fingerprint {
			t.Errorf("%s: fingerprint changed from %s to %s", first[i].Rule, first[i].Fingerprint, second[i].Fingerprint)
		}
	}
	if got := rules.Fingerprint("r", "s", "a"); got != "d80c34fd72f7a908aacf8423ee325193" {
		t.Errorf("Fingerprint(r, s, a) = %s: the fingerprint scheme changed, which invalidates every baseline", got)
	}
	if rules.Fingerprint("r", "s", "a") == rules.Fingerprint("r", "sa", "") {
		t.Error("fingerprint fields are not separated")
	}
}

// TestEvaluateCancelled checks that a cancelled context stops evaluation
// with an engine error rather than a partial, silent result.
func TestEvaluateCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	rec := recording(t, "orphan.json")
	_, errs := packSet(t).Evaluate(ctx, rec.Context, rec.Subjects)
	if len(errs) != 1 || errs[0].Err != context.Canceled {
		t.Errorf("errs = %v", errs)
	}
}

// TestEvaluateConcurrent runs one Set from several goroutines (with -race).
func TestEvaluateConcurrent(t *testing.T) {
	set := packSet(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			rec, err := examplepack.ReadRecording("examplepack/testdata/orphan.json")
			if err != nil {
				t.Error(err)
				return
			}
			if f, errs := set.Evaluate(context.Background(), rec.Context, rec.Subjects); len(f) != 2 || len(errs) != 0 {
				t.Errorf("got %d findings, %v", len(f), errs)
			}
		})
	}
	wg.Wait()
}

// boom is a subject whose methods fail on demand.
type boom struct {
	Name      string
	Inner     *inner
	Any       any
	PanicKey  bool
	PanicRefs bool
}

type inner struct{ Name string }

func (b *boom) SubjectKey() string {
	if b.PanicKey {
		panic("key exploded")
	}
	return b.Name
}
func (b *boom) SubjectAccount() string { return "acct" }
func (b *boom) SubjectRefs() []rules.Ref {
	if b.PanicRefs {
		panic("refs exploded")
	}
	return []rules.Ref{{File: "x.jsonl", Line: 1}}
}
func (b *boom) Explode() bool { panic("helper exploded") }

// boomSchema registers boom as the session type.
func boomSchema() *rules.Schema {
	s := schema()
	s.Kinds[rules.KindSession] = (*boom)(nil)
	return s
}

// TestRuntimeFailuresAreEngineErrors checks that every way a rule can fail
// on a subject is reported as an engine error naming rule, subject and
// place, that the other subjects and rules still run, and that nothing
// panics out of Evaluate.
func TestRuntimeFailuresAreEngineErrors(t *testing.T) {
	tests := []struct {
		name      string
		condition string
		evidence  string
		message   string
		subject   rules.Subject
		wantErr   string
		wantPos   string
	}{
		{"fail/nil-pointer-field", "session.Inner.Name == ''", "", "m", &boom{Name: "s1"}, "condition: cannot get Name from Inner", "r.yaml:6:24"},
		{"fail/method-panics", "session.Explode()", "", "m", &boom{Name: "s1"}, "helper exploded", "r.yaml:6:24"},
		{"fail/key-panics", "true", "", "m", &boom{PanicKey: true}, "panic: key exploded", ""},
		{"fail/refs-panics", "true", "", "m", &boom{Name: "s1", PanicRefs: true}, "panic: refs exploded", ""},
		{"fail/message-fails", "true", "", "{{ session.Inner.Name }}", &boom{Name: "s1"}, "message: cannot get Name from Inner", "r.yaml:7:26"},
		{"fail/evidence-not-refs", "true", "session.Any", "m", &boom{Name: "s1", Any: "text"}, "evidence: string is not evidence", "r.yaml:8:15"},
		{"fail/wrong-subject-type", "true", "", "m", &examplepack.Session{Source: "s1"}, "the schema registered *rules_test.boom", "r.yaml:2:9"},
		{"fail/nil-subject", "true", "", "m", nil, "subject is a <nil>", "r.yaml:2:9"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ov := map[string]string{"subject": "session", "condition": tc.condition, "message": fmt.Sprintf("%q", tc.message)}
			src := oneRule(ov)
			if tc.evidence != "" {
				src += "    evidence: " + tc.evidence + "\n"
			}
			rs, err := rules.ParseFile("r.yaml", []byte(src), boomSchema())
			if err != nil {
				t.Fatal(err)
			}
			set, err := rules.NewSet(rs)
			if err != nil {
				t.Fatal(err)
			}
			good := &boom{Name: "good", Inner: &inner{}, Any: []rules.Ref{{File: "g", Line: 2}}}
			findings, errs := set.Evaluate(t.Context(), rules.EvalContext{}, rules.Subjects{
				rules.KindSession: {tc.subject, good}})
			explodes := tc.condition == "session.Explode()" // on every subject
			if want := map[bool]int{false: 1, true: 2}[explodes]; len(errs) != want {
				t.Fatalf("engine errors = %v, want %d", errs, want)
			}
			e := errs[0]
			if e.Rule != "sample_rule" || e.Kind != rules.KindSession || e.Subject == "" ||
				!strings.Contains(e.Error(), tc.wantErr) || e.Pos.String() != tc.wantPos {
				t.Errorf("engine error = %q (pos %q), want …%s… at %q", e.Error(), e.Pos, tc.wantErr, tc.wantPos)
			}
			if !explodes && (len(findings) != 1 || findings[0].Subject != "good") {
				t.Errorf("the good subject should still fire: %q", firedOn(findings))
			}
		})
	}
}

// TestEvidenceForms checks the shapes an evidence expression may return.
func TestEvidenceForms(t *testing.T) {
	authz := &examplepack.Authz{URL: "u", Status: "pending", CreatedBy: examplepack.Ref{Source: "c", Line: 3},
		Evidence: []examplepack.Ref{{Source: "e", Line: 1}, {Source: "e", Line: 1}, {Source: "e", Line: 2}}}
	tests := []struct {
		evidence string
		want     string
	}{
		{"authz.CreatedBy", "[{c 3 0 }]"},
		{"[authz.CreatedBy, authz.CreatedBy]", "[{c 3 0 }]"},
		{"authz.Evidence", "[{e 1 0 } {e 2 0 }]"},
		{"authz", "[{e 1 0 } {e 2 0 }]"},
		{"[authz, authz]", "[{e 1 0 } {e 2 0 }]"},
		{"filter(authz.Evidence, .Line > 1)", "[{e 2 0 }]"},
		{"[]", "[]"},
	}
	for _, tc := range tests {
		t.Run(tc.evidence, func(t *testing.T) {
			src := oneRule(nil) + "    evidence: '" + tc.evidence + "'\n"
			set, err := rules.NewSet(mustParse(t, src))
			if err != nil {
				t.Fatal(err)
			}
			findings, errs := set.Evaluate(t.Context(), rules.EvalContext{},
				rules.Subjects{rules.KindAuthorization: {authz}})
			if len(errs) > 0 || len(findings) != 1 {
				t.Fatalf("findings %v, errors %v", findings, errs)
			}
			if got := fmt.Sprint(findings[0].Evidence); got != tc.want {
				t.Errorf("evidence = %s, want %s", got, tc.want)
			}
		})
	}
}

// TestAccountFallback checks where a finding's account comes from: the
// subject's SubjectAccount method, else Schema.Account, else nothing.
func TestAccountFallback(t *testing.T) {
	s := schema()
	s.Account = nil
	rs, err := rules.ParseFile("r.yaml", []byte(oneRule(nil)), s)
	if err != nil {
		t.Fatal(err)
	}
	set, _ := rules.NewSet(rs)
	now := date("2024-06-01")
	findings, errs := set.Evaluate(t.Context(), rules.EvalContext{Now: now},
		rules.Subjects{rules.KindAuthorization: {orphan("u", "n", now)}})
	if len(errs) > 0 || len(findings) != 1 || findings[0].Account != "" {
		t.Errorf("without an adapter: %+v %v", findings, errs)
	}
}

// TestEngineErrorJSON checks that an engine error keeps its text in JSON.
func TestEngineErrorJSON(t *testing.T) {
	b, err := json.Marshal(rules.EngineError{Rule: "r", Kind: rules.KindOrder, Subject: "s",
		Pos: rules.Pos{File: "f.yaml", Line: 3, Column: 4}, Err: errors.New("condition: boom")})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"rule":"r","kind":"order","subject":"s","pos":{"file":"f.yaml","line":3,"column":4},"error":"condition: boom"}`
	if string(b) != want {
		t.Errorf("JSON = %s\nwant   %s", b, want)
	}
}
