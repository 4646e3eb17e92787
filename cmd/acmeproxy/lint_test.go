package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// rec returns the path of a recording of the example corpus.
func rec(name string) string {
	return filepath.Join("..", "..", "examples", "recordings", name+".jsonl")
}

func TestLintExitCodes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		out  []string
	}{
		{"ok/clean-v2", []string{rec("v2-happy")}, exitOK, []string{"PASS: 0 findings"}},
		{"ok/warning-below-fail-on", []string{rec("v1-self-check-fails")}, exitOK, []string{"orphaned_pending_authorization", "www.example.test"}},
		{"fail/warning-at-fail-on", []string{rec("v1-self-check-fails"), "--fail-on", "warning"}, exitFindings, []string{"FAIL"}},
		{"fail/error-finding", []string{rec("v2-csr-account-key")}, exitFindings, []string{"csr_key_is_account_key"}},
		{"fail/two-recordings-merge", []string{rec("v2-happy"), rec("v1-account-key-csr")}, exitFindings, []string{"csr_key_is_account_key", "v2-happy.jsonl (journal)", "v1-account-key-csr.jsonl (journal)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, nil, append([]string{"lint"}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			for _, w := range tc.out {
				if !strings.Contains(stdout, w) {
					t.Errorf("output lacks %q:\n%s", w, stdout)
				}
			}
		})
	}
}

func TestLintFormatsToFiles(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	code, stdout, stderr := runCLI(t, nil, "lint", rec("v2-order-abandoned"),
		"--format", "json", "--format", "sarif="+p("r.sarif"), "--format", "junit="+p("r.xml"),
		"--format", "html="+p("r.html"), "--format", "markdown="+p("r.md"))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Version  int `json:"version"`
		Findings []struct {
			Rule string `json:"rule"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || rep.Version != 1 {
		t.Fatalf("stdout is not a version 1 JSON report (%v):\n%.300s", err, stdout)
	}
	orphans := 0
	for _, f := range rep.Findings {
		if f.Rule == "orphaned_pending_authorization" {
			orphans++
		}
	}
	if orphans != 2 {
		t.Errorf("orphan findings = %d, want 2", orphans)
	}
	for _, f := range []string{"r.sarif", "r.xml", "r.html", "r.md"} {
		st, err := os.Stat(p(f))
		if err != nil || st.Size() == 0 || st.Mode().Perm() != 0o644 {
			t.Errorf("%s: %v, %v", f, err, st)
		}
	}
}

func TestLintInputErrors(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.jsonl")
	data, err := os.ReadFile(rec("v2-happy"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	lines[3] = "{not json\n"
	if err := os.WriteFile(corrupt, []byte(strings.Join(lines, "")), 0o600); err != nil {
		t.Fatal(err)
	}
	notRec := filepath.Join(dir, "notes.txt")
	os.WriteFile(notRec, []byte("hello\n"), 0o600)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing-file", []string{filepath.Join(dir, "nope.jsonl")}, "nope.jsonl"},
		{"corrupt-line", []string{corrupt}, "corrupt.jsonl:4"},
		{"not-a-recording", []string{notRec}, "notes.txt"},
		{"unknown-format", []string{rec("v2-happy"), "--format", "pdf"}, `--format "pdf"`},
		{"two-formats-on-stdout", []string{rec("v2-happy"), "--format", "json", "--format", "text"}, "only one format"},
		{"bad-fail-on", []string{rec("v2-happy"), "--fail-on", "fatal"}, "--fail-on"},
		{"bad-as-of", []string{rec("v2-happy"), "--as-of", "May 2018"}, "--as-of"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, nil, append([]string{"lint"}, tc.args...)...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want exit 2 and one line naming %q", code, stderr, tc.want)
			}
		})
	}
}

// A recording is judged by the policy of its date and CA; --ca and --as-of
// judge it as another CA on another day would have.
func TestLintPolicyOverrides(t *testing.T) {
	_, out, _ := runCLI(t, nil, "lint", rec("v1-self-check-fails"))
	if strings.Contains(out, "pending_authorization_cap:") {
		t.Errorf("the pending cap applies to Let's Encrypt before 2025 only:\n%s", out)
	}
	_, out, _ = runCLI(t, nil, "lint", rec("v1-self-check-fails"), "--ca", "letsencrypt", "--as-of", "2018-05-01")
	if !strings.Contains(out, "pending_authorization_cap") || !strings.Contains(out, "299 more runs") {
		t.Errorf("as Let's Encrypt in 2018 the cap forecast should show:\n%s", out)
	}
	code, out, _ := runCLI(t, nil, "lint", rec("v1-happy"), "--ca", "letsencrypt")
	if code != exitFindings || !strings.Contains(out, "v1_after_end_of_life") {
		t.Errorf("v1 at Let's Encrypt today is past its end of life: exit %d\n%s", code, out)
	}
}

func TestLintConfigAndBaseline(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "baseline.json")
	code, _, stderr := runCLI(t, nil, "lint", rec("v2-csr-account-key"), "--write-baseline", base)
	if code != exitFindings {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	cfg := filepath.Join(dir, "acmeproxy.yaml")
	os.WriteFile(cfg, []byte("baseline: "+base+"\n"), 0o600)
	code, out, stderr := runCLI(t, nil, "lint", rec("v2-csr-account-key"), "--config", cfg)
	if code != exitOK || !strings.Contains(out, "suppressed") {
		t.Errorf("with the baseline the accepted finding should not fail: exit %d\n%s\n%s", code, out, stderr)
	}
	os.WriteFile(cfg, []byte("rules:\n  csr_key_is_acount_key: off\n"), 0o600)
	code, _, stderr = runCLI(t, nil, "lint", rec("v2-happy"), "--config", cfg)
	if code != exitUsage || !strings.Contains(stderr, "acmeproxy.yaml:2:3") || !strings.Contains(stderr, "csr_key_is_account_key") {
		t.Errorf("a misspelt rule id is a load error with file:line and a suggestion: exit %d\n%s", code, stderr)
	}
}
