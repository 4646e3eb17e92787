package lint

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/acmeproxy/acmeproxy/rules"
	"github.com/acmeproxy/acmeproxy/rules/builtin"
)

// TestExpiredSuppressionReportedOnce lints with a configuration whose
// suppression has expired, evaluating the exchanges in many batches: the
// meta rule reports the suppression once (each batch's evaluation used to
// report it again).
func TestExpiredSuppressionReportedOnce(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "acmeproxy.yaml")
	cfg := "version: 1\nsuppressions:\n  - rule: validation_failed\n    reason: a test\n    expires: 2020-01-01\n"
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := rules.LoadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	set, err := rules.Build(c, rules.Options{Schema: builtin.Schema(), Builtin: builtin.FS()})
	if err != nil {
		t.Fatal(err)
	}
	for _, batch := range []int{1, 4, 1024} {
		res, err := Run(t.Context(), []string{filepath.Join(exampleDir, "v2-second-name-fails.jsonl")},
			Options{Set: set, LintTime: fixedTime, batch: batch})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, f := range res.Findings {
			if f.Rule == rules.MetaExpiredSuppression {
				n++
			}
		}
		if n != 1 {
			t.Errorf("batches of %d: %d expired_suppression findings, want 1", batch, n)
		}
	}
}
