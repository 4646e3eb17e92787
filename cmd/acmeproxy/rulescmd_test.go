package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeRulesFiles writes name → content into a fresh directory.
func writeRulesFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const goodRuleFile = `rules:
  - id: my_rule
    title: Mine
    severity: info
    subject: authorization
    condition: authz.Status == "pending"
    message: "{{ authz.Identifier }} is pending"
`

func TestRulesList(t *testing.T) {
	code, stdout, stderr := runCLI(t, nil, "rules", "list")
	if code != exitOK || stderr != "" {
		t.Fatalf("code %d, stderr %q", code, stderr)
	}
	for _, want := range []string{
		"ID ", "SEVERITY", "SUBJECT", "TITLE",
		"expired_suppression",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("list lacks %q:\n%s", want, stdout)
		}
	}
	for _, want := range [][]string{
		{"orphaned_pending_authorization", "warning", "authorization"},
		{"csr_key_is_account_key", "error", "exchange"},
		{"pending_authorization_cap", "warning", "account"},
	} {
		if !hasRow(stdout, want...) {
			t.Errorf("list lacks a row %q:\n%s", want, stdout)
		}
	}
}

func TestRulesListJSONWithConfigAndRules(t *testing.T) {
	dir := writeRulesFiles(t, map[string]string{
		"mine.yaml":      goodRuleFile,
		"acmeproxy.yaml": "rules:\n  nonce_fetch_per_post: error\n  my_rule: {params: {}}\n",
	})
	code, stdout, stderr := runCLI(t, nil, "rules", "list", "--json",
		"--config", filepath.Join(dir, "acmeproxy.yaml"), "--rules", filepath.Join(dir, "mine.yaml"))
	if code != exitOK {
		t.Fatalf("code %d, stderr %q", code, stderr)
	}
	var got []struct {
		ID       string `json:"id"`
		Enabled  bool   `json:"enabled"`
		Severity string `json:"severity"`
		Builtin  bool   `json:"builtin"`
		Params   []struct {
			Name    string `json:"name"`
			Default any    `json:"default"`
		} `json:"params"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	byID := map[string]int{}
	for i, r := range got {
		byID[r.ID] = i
	}
	if r := got[byID["nonce_fetch_per_post"]]; !r.Enabled || r.Severity != "error" || !r.Builtin {
		t.Errorf("nonce_fetch_per_post = %+v", r)
	}
	if r := got[byID["my_rule"]]; !r.Enabled || r.Severity != "info" || r.Builtin {
		t.Errorf("my_rule = %+v", r)
	}
	if r := got[byID["pending_authorization_cap"]]; len(r.Params) != 2 || r.Params[1].Default != "168h0m0s" {
		t.Errorf("duration default = %+v", r.Params)
	}
}

func TestRulesExplain(t *testing.T) {
	code, stdout, _ := runCLI(t, nil, "rules", "explain", "pending_authorization_cap")
	if code != exitOK {
		t.Fatalf("code %d", code)
	}
	for _, want := range []string{
		"pending_authorization_cap: Orphaned authorizations pile up toward the CA's pending cap",
		"severity    warning (default warning)",
		"subject     account (expression variable account)",
		"applies     to recordings from 2015-10-01 until 2025-01-10 (exclusive), at letsencrypt",
		"Condition:\n  len(account.Orphans()) > 0",
		"Parameters:\n  cap ",
		"default 300",
		"Citations:\n  Let's Encrypt rate limits",
		"Examples:\n  v1-self-check-fails.jsonl (judged as letsencrypt on 2018-05-01): 1 findings",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("explain lacks %q:\n%s", want, stdout)
		}
	}
}

func TestRulesExplainUnknownIsUsageError(t *testing.T) {
	code, _, stderr := runCLI(t, nil, "rules", "explain", "orphaned")
	if code != exitUsage || !strings.Contains(stderr, `no rule "orphaned" (did you mean orphaned_pending_authorization?)`) {
		t.Errorf("code %d, stderr %q", code, stderr)
	}
}

func TestRulesCheck(t *testing.T) {
	dir := writeRulesFiles(t, map[string]string{
		"good.yaml": goodRuleFile,
		"bad.yaml":  strings.Replace(goodRuleFile, `authz.Status == "pending"`, `authz.Statu == "pending"`, 1),
		"acmeproxy.yaml": "extends: [acmeproxy:all]\nrules:\n  my_rul: error\nsuppressions:\n" +
			"  - {rule: my_rule, match: 'authz.Identifier == \"x\"', reason: test}\n",
		"ok.yaml": "rules:\n  my_rule: warning\n",
	})
	p := func(name string) string { return filepath.Join(dir, name) }
	packDir := writeRulesFiles(t, map[string]string{"a.yaml": goodRuleFile, "notes.txt": "not YAML, skipped"})
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  []string
	}{
		{"ok/rule-file", []string{p("good.yaml")}, exitOK, "ok: 1 rule in 1 rule path, 0 configurations", nil},
		{"ok/config-with-its-rules", []string{p("ok.yaml"), p("good.yaml")}, exitOK, "ok: 1 rule in 1 rule path, 1 configuration", nil},
		{"ok/directory", []string{packDir}, exitOK, "ok: 1 rule in 1 rule path", nil},
		{"fail/expr-typo", []string{p("bad.yaml")}, exitUsage, "", []string{
			p("bad.yaml") + `:6:22: rule my_rule: condition: type flow.Authz has no field Statu`,
			"\n        condition: authz.Statu == \"pending\"\n" + strings.Repeat(" ", 4+21) + "^\n"}},
		{"fail/config-unknown-rule", []string{p("acmeproxy.yaml"), p("good.yaml")}, exitUsage, "", []string{
			p("acmeproxy.yaml") + `:3:3: unknown rule id "my_rul" (did you mean "my_rule"?)`}},
		{"fail/missing-file", []string{p("nope.yaml")}, exitUsage, "", []string{p("nope.yaml") + ": cannot stat"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, nil, append([]string{"rules", "check"}, tc.args...)...)
			if code != tc.wantCode || !strings.Contains(stdout, tc.wantOut) {
				t.Errorf("code %d, stdout %q, stderr %q", code, stdout, stderr)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if tc.wantCode == exitUsage && strings.Contains(stderr, "acmeproxy: ") {
				t.Errorf("load errors printed twice:\n%s", stderr)
			}
		})
	}
}

func TestRulesNeedsSubcommandArgs(t *testing.T) {
	if code, _, _ := runCLI(t, nil, "rules", "check"); code != exitUsage {
		t.Errorf("check without files: code %d", code)
	}
	if code, stdout, _ := runCLI(t, nil, "rules"); code != exitOK || !strings.Contains(stdout, "explain") {
		t.Errorf("rules alone should print help: code %d %q", code, stdout)
	}
}

// hasRow reports whether some line of out has exactly the given leading
// fields.
func hasRow(out string, fields ...string) bool {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= len(fields) && slices.Equal(f[:len(fields)], fields) {
			return true
		}
	}
	return false
}
