package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acmeproxy/acmeproxy/lint"
	"github.com/acmeproxy/acmeproxy/rules"
	"github.com/acmeproxy/acmeproxy/rules/builtin"
)

// TestExampleRulesCheck: `acmeproxy rules check` accepts the example
// configuration and the example custom rule file.
func TestExampleRulesCheck(t *testing.T) {
	cmd := exec.Command(acmeproxyBin, "rules", "check", filepath.Join("examples", "acmeproxy.yaml"), filepath.Join("examples", "rules", "custom.yaml"))
	cmd.Dir = repoRoot
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "ok: 2 rules in 1 rule path, 1 configuration") {
		t.Fatalf("acmeproxy rules check: %v\n%s", err, out)
	}
}

// TestExampleCustomRules runs the custom rules' examples on the recordings
// of examples/e2e, and audits them as the built-in pack is audited (a
// remediation, a citation, an example that fires and one that does not).
func TestExampleCustomRules(t *testing.T) {
	rs, err := rules.LoadPaths([]string{filepath.Join(repoRoot, "examples", "rules", "custom.yaml")}, builtin.Schema())
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 {
		t.Fatalf("%d rules in examples/rules/custom.yaml, want 2", len(rs))
	}
	for _, err := range rules.Audit(t.Context(), rs, lint.LoadExample) {
		t.Error(err)
	}
}

// TestExampleConfig lints the e2e recordings with examples/acmeproxy.yaml,
// the way a project would, and checks that each of its fields does what
// its comment says. -update rewrites examples/baseline.json (needed after
// the e2e recordings are made again: fingerprints name the subjects).
func TestExampleConfig(t *testing.T) {
	examples := filepath.Join(repoRoot, "examples")
	config := filepath.Join(examples, "acmeproxy.yaml")
	rec := func(name string) string { return filepath.Join(examples, "e2e", name+".jsonl") }
	if *update {
		cmd := exec.Command(acmeproxyBin, "lint", "--config", config, "--format", "json=/dev/null",
			"--write-baseline", filepath.Join(examples, "baseline.json"), rec("acme-tiny-self-check-fails"))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil && cmd.ProcessState.ExitCode() != 1 {
			t.Fatalf("writing the baseline: %v\n%s", err, stderr.String())
		}
	}

	// overrides: orphaned_pending_authorization raised to error; the
	// baseline accepts this recording's orphan.
	rep := lintFile(t, t.TempDir(), rec("acme-tiny-self-check-fails"), "--config", config)
	if len(rep.Findings) != 0 || rep.Summary.ExitCode != 0 {
		t.Errorf("acme-tiny-self-check-fails: findings %s, exit %d; want every finding accepted", formatCounts(rep.counts()), rep.Summary.ExitCode)
	}
	if by := rep.suppressedBy("orphaned_pending_authorization"); by != "baseline" {
		t.Errorf("the orphan is suppressed by %q, want by the baseline", by)
	}
	for _, f := range rep.Suppressed {
		if f.Rule == "orphaned_pending_authorization" && f.Severity != "error" {
			t.Errorf("orphaned_pending_authorization at %s, want error (the override)", f.Severity)
		}
	}
	// Without the baseline's fingerprint the override makes it fail.
	noBaseline := filepath.Join(t.TempDir(), "acmeproxy.yaml")
	data, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	data = bytes.Replace(data, []byte("baseline: baseline.json"), []byte("#"), 1)
	data = bytes.ReplaceAll(data, []byte("rules/custom.yaml"), []byte(filepath.Join(examples, "rules", "custom.yaml")))
	if err := os.WriteFile(noBaseline, data, 0o600); err != nil {
		t.Fatal(err)
	}
	rep = lintFile(t, t.TempDir(), rec("acme-tiny-self-check-fails"), "--config", noBaseline)
	if got := formatCounts(rep.counts("error")); got != "orphaned_pending_authorization×1" || rep.Summary.ExitCode != 1 {
		t.Errorf("without the baseline: errors %s, exit %d; want the orphan as an error, exit 1", got, rep.Summary.ExitCode)
	}

	// suppressions with a match and with none, each with its reason.
	rep = lintFile(t, t.TempDir(), rec("acme-tiny-csr-account-key"), "--config", config)
	if by := rep.suppressedBy("csr_key_is_account_key"); by != "config" || len(rep.byRule("csr_key_is_account_key")) != 0 {
		t.Errorf("csr_key_is_account_key suppressed by %q; want by the configuration's suppression", by)
	}
	rep = lintFile(t, t.TempDir(), rec("certbot-challenge-fails"), "--config", config)
	if by := rep.suppressedBy("validation_failed"); by != "config" {
		t.Errorf("validation_failed suppressed by %q; want by the configuration's suppression", by)
	}

	// rules: nonce_fetch_per_post off; the custom key policy with
	// min_rsa_bits 2048 accepts acme-tiny's key and, with only P-256,
	// lego's.
	for _, name := range []string{"acme-tiny-happy", "lego-happy", "certbot-happy"} {
		rep = lintFile(t, t.TempDir(), rec(name), "--config", config)
		if len(rep.Findings) != 0 {
			t.Errorf("%s: findings %s; want none under the configuration", name, formatCounts(rep.counts()))
		}
	}
	// extends: the custom rule file's rules run.
	rep = lintFile(t, t.TempDir(), rec("lego-name-fails"), "--config", config)
	if got := formatCounts(rep.counts()); got != "validation_failed_then_deactivated×1" {
		t.Errorf("lego-name-fails: findings %s; want validation_failed_then_deactivated×1 from rules/custom.yaml", got)
	}
}
