package builtin_test

import (
	"path"
	"path/filepath"
	"testing"

	"github.com/acmeproxy/acmeproxy/lint"
	"github.com/acmeproxy/acmeproxy/rules"
	"github.com/acmeproxy/acmeproxy/rules/builtin"
)

// recordings is where the examples' recordings live, from this package.
var recordings = filepath.Join("..", "..", "examples", "recordings")

func loadPack(t *testing.T) []*rules.Rule {
	t.Helper()
	rs, err := rules.LoadFS(builtin.FS(), "builtin", builtin.Schema())
	if err != nil {
		t.Fatalf("loading the built-in pack:\n%v", err)
	}
	return rs
}

// TestPackAudit is the pack's meta-test: every rule has a remediation, a
// citation, an example where it fires and one where it stays silent, and
// every example gives the outcome it states, on real recordings.
func TestPackAudit(t *testing.T) {
	rs := loadPack(t)
	if len(rs) < 10 {
		t.Fatalf("only %d rules loaded", len(rs))
	}
	load := func(p string) (rules.Recording, error) {
		return lint.LoadExample(filepath.Join(recordings, path.Base(p)))
	}
	for _, err := range rules.Audit(t.Context(), rs, load) {
		t.Error(err)
	}
}
