package rules_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acmeproxy/acmeproxy/rules"
)

// twoOrphans is a recording with two orphaned authorizations.
func twoOrphans() (rules.EvalContext, rules.Subjects) {
	now := date("2024-06-01")
	return rules.EvalContext{Now: now, CA: "letsencrypt"}, rules.Subjects{rules.KindAuthorization: {
		orphan("https://ca.example/authz/1", "a.example", now),
		orphan("https://ca.example/authz/2", "b.test", now),
	}}
}

// TestSuppressions checks matching, the reason and expiry carried on the
// finding, and the expired_suppression meta rule.
func TestSuppressions(t *testing.T) {
	const rule = "example_orphaned_pending_authorization"
	tests := []struct {
		name           string
		suppressions   string
		lintTime       string
		wantSuppressed []string // subjects
		wantExpired    int
	}{
		{"ok/match-one", "  - {rule: " + rule + ", match: 'authz.Identifier endsWith \".test\"', reason: negative tests}\n",
			"", []string{"https://ca.example/authz/2"}, 0},
		{"ok/no-match-suppresses-all", "  - {rule: " + rule + ", reason: all}\n",
			"", []string{"https://ca.example/authz/1", "https://ca.example/authz/2"}, 0},
		{"ok/expires-inclusive", "  - {rule: " + rule + ", reason: r, expires: 2024-06-01}\n",
			"2024-06-01", []string{"https://ca.example/authz/1", "https://ca.example/authz/2"}, 0},
		{"fires/expired-reported-and-no-longer-suppresses", "  - {rule: " + rule + ", reason: r, expires: 2024-05-31}\n",
			"", nil, 1},
		{"fires/expiry-judged-by-lint-time", "  - {rule: " + rule + ", reason: r, expires: 2024-12-31}\n",
			"2025-01-01", nil, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{"acmeproxy.yaml": "suppressions:\n" + tc.suppressions})
			set, err := build(t, dir)
			if err != nil {
				t.Fatal(err)
			}
			ec, subjects := twoOrphans()
			if tc.lintTime != "" {
				ec.LintTime = date(tc.lintTime)
			}
			findings, errs := set.Evaluate(t.Context(), ec, subjects)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			var suppressed []string
			expired := 0
			for _, f := range findings {
				switch {
				case f.Rule == rules.MetaExpiredSuppression:
					expired++
					if f.Kind != rules.KindConfig || f.Severity != rules.Warning || !strings.Contains(f.Message, "expired on") ||
						len(f.Evidence) != 1 || f.Evidence[0].Line != 2 || f.Suppressed() {
						t.Errorf("meta finding = %+v", f)
					}
				case f.Suppressed():
					suppressed = append(suppressed, f.Subject)
					if f.Suppression.Source != rules.SuppressedByConfig || f.Suppression.Reason == "" || f.Suppression.Pos.Line != 2 {
						t.Errorf("suppression = %+v", f.Suppression)
					}
				}
			}
			if strings.Join(suppressed, " ") != strings.Join(tc.wantSuppressed, " ") || expired != tc.wantExpired {
				t.Errorf("suppressed %q, %d expired; want %q, %d", suppressed, expired, tc.wantSuppressed, tc.wantExpired)
			}
		})
	}
}

// TestSuppressionMatchFailsAtRunTime checks that a match that fails on a
// subject is an engine error and does not hide the finding.
func TestSuppressionMatchFailsAtRunTime(t *testing.T) {
	dir := writeFiles(t, map[string]string{"acmeproxy.yaml": doc(
		"suppressions:",
		"  - rule: session_rule",
		"    match: session.Inner.Name == 'x'",
		"    reason: r",
	), "rules.yaml": oneRule(map[string]string{"id": "session_rule", "subject": "session", "condition": "true", "message": "m"})})
	cfg, err := rules.LoadConfig(filepath.Join(dir, "acmeproxy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	set, err := rules.Build(cfg, rules.Options{Schema: boomSchema(), Rules: []string{filepath.Join(dir, "rules.yaml")}})
	if err != nil {
		t.Fatal(err)
	}
	findings, errs := set.Evaluate(t.Context(), rules.EvalContext{}, rules.Subjects{rules.KindSession: {&boom{Name: "s"}}})
	if len(findings) != 1 || findings[0].Suppressed() {
		t.Errorf("findings = %+v", findings)
	}
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "suppression match: cannot get Name from Inner") ||
		errs[0].Pos.Line != 3 {
		t.Errorf("errs = %v", errs)
	}
}

// TestBaselineSuppresses writes a baseline from one run, then checks that
// a second run marks exactly those findings and reports a new one.
func TestBaselineSuppresses(t *testing.T) {
	ec, subjects := twoOrphans()
	first, _ := packSet(t).Evaluate(t.Context(), ec, rules.Subjects{rules.KindAuthorization: subjects[rules.KindAuthorization][:1]})
	var buf bytes.Buffer
	if err := rules.WriteBaseline(&buf, first); err != nil {
		t.Fatal(err)
	}
	dir := writeFiles(t, map[string]string{
		"acmeproxy.yaml": "extends: acmeproxy:all\nbaseline: accepted.json\n",
		"accepted.json":  buf.String(),
	})
	set, err := build(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	second, errs := set.Evaluate(t.Context(), ec, subjects)
	if len(errs) > 0 || len(second) != 2 {
		t.Fatalf("second run: %q, %v", firedOn(second), errs)
	}
	if s := second[0].Suppression; s == nil || s.Source != rules.SuppressedByBaseline || s.Pos.File != filepath.Join(dir, "accepted.json") {
		t.Errorf("baseline finding: %+v", s)
	}
	if second[1].Suppressed() {
		t.Errorf("new finding marked suppressed: %+v", second[1])
	}
}

// TestBaselineRoundTrip checks that WriteBaseline is sorted, de-duplicated
// and leaves out findings the configuration suppressed, and that
// ReadBaseline reads it back and refuses other files.
func TestBaselineRoundTrip(t *testing.T) {
	findings := []rules.Finding{
		{Rule: "b", Subject: "s2", Fingerprint: rules.Fingerprint("b", "s2", "")},
		{Rule: "a", Subject: "s1", Account: "acct", Fingerprint: rules.Fingerprint("a", "s1", "acct")},
		{Rule: "b", Subject: "s2", Fingerprint: rules.Fingerprint("b", "s2", "")},
		{Rule: "c", Subject: "s3", Fingerprint: "x", Suppression: &rules.Suppression{Source: rules.SuppressedByConfig}},
		{Rule: "d", Subject: "s4", Fingerprint: "y", Suppression: &rules.Suppression{Source: rules.SuppressedByBaseline}},
	}
	var buf bytes.Buffer
	if err := rules.WriteBaseline(&buf, findings); err != nil {
		t.Fatal(err)
	}
	golden, err := os.ReadFile("testdata/baseline.golden.json")
	if err != nil {
		t.Fatal(err)
	}
	if buf.String() != string(golden) {
		t.Errorf("baseline:\n%s\nwant:\n%s", buf.String(), golden)
	}
	b, err := rules.ReadBaseline(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if b.Len() != 3 || !b.Contains(findings[1].Fingerprint) || !b.Contains("y") || b.Contains("x") {
		t.Errorf("read back %d entries", b.Len())
	}
	for _, bad := range []string{`{"format":"other","version":1,"findings":[]}`, `{"format":"acmeproxy-baseline","version":2}`,
		`{"format":"acmeproxy-baseline","version":1,"findings":[{"rule":"a"}]}`, `{"format":"acmeproxy-baseline","version":1,"extra":1}`, `[`} {
		if _, err := rules.ReadBaseline(strings.NewReader(bad)); err == nil {
			t.Errorf("ReadBaseline(%s) accepted", bad)
		}
	}
}
