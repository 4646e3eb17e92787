package rules_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/rules"
	"github.com/acmeproxy/acmeproxy/rules/examplepack"
)

// schema is the example pack's schema: synthetic subject types that stand
// in for the flow ledger's.
func schema() *rules.Schema { return examplepack.Schema() }

// doc joins lines into a YAML document, so that tests can count lines.
func doc(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

// writeFiles writes name → content into a fresh directory and returns it.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// mustParse loads one rule file or fails the test.
func mustParse(t *testing.T, src string) []*rules.Rule {
	t.Helper()
	rs, err := rules.ParseFile("r.yaml", []byte(src), schema())
	if err != nil {
		t.Fatalf("ParseFile: %v", err)
	}
	return rs
}

// loadErrors returns the load errors of err, failing when it is not a
// LoadErrors.
func loadErrors(t *testing.T, err error) rules.LoadErrors {
	t.Helper()
	if err == nil {
		t.Fatal("loaded without error")
	}
	le, ok := err.(rules.LoadErrors)
	if !ok {
		t.Fatalf("error is a %T, not LoadErrors: %v", err, err)
	}
	return le
}

// oneRule is a valid rule over authorizations, as lines of a rule file.
// Line numbers: 1 rules:, 2 id, 3 title, 4 severity, 5 subject, 6
// condition, 7 message.
func oneRule(overrides map[string]string) string {
	fields := []struct{ key, val string }{
		{"id", "sample_rule"},
		{"title", "A sample rule"},
		{"severity", "warning"},
		{"subject", "authorization"},
		{"condition", `authz.Status == "pending"`},
		{"message", "Pending {{ authz.Identifier }}"},
	}
	lines := []string{"rules:"}
	for _, f := range fields {
		v := f.val
		if o, ok := overrides[f.key]; ok {
			v = o
		}
		if v == "-" {
			continue
		}
		prefix := "    "
		if len(lines) == 1 {
			prefix = "  - "
		}
		lines = append(lines, prefix+f.key+": "+v)
	}
	return doc(lines...)
}

// examplepackLoader reads the example pack's synthetic recordings.
var examplepackLoader rules.ExampleLoader = examplepack.ReadRecording

// orphan is an authorization that has been pending for an hour at now.
func orphan(url, name string, now time.Time) *examplepack.Authz {
	return &examplepack.Authz{URL: url, AccountKey: "acct-A", Identifier: name, Status: "pending",
		Created: now.Add(-time.Hour), Evidence: []examplepack.Ref{{Source: "rec.jsonl", Line: 3, Seq: 2}}}
}
