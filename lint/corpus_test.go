package lint_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/acmeproxy/acmeproxy/lint"
	"github.com/acmeproxy/acmeproxy/rules"
	"github.com/acmeproxy/acmeproxy/rules/builtin"
)

const expectedPath = "testdata/corpus-findings.json"

// TestCorpusFindings lints every recording of examples/recordings alone
// with the built-in pack and compares all its findings (rule: count) with
// testdata/corpus-findings.json: each scenario gives the findings it was
// made for and nothing spurious. A new recording or a changed rule shows
// up here; -update rewrites the file, to be reviewed like code.
func TestCorpusFindings(t *testing.T) {
	rs, err := rules.LoadFS(builtin.FS(), "builtin", builtin.Schema())
	if err != nil {
		t.Fatal(err)
	}
	set, err := rules.NewSet(rs)
	if err != nil {
		t.Fatal(err)
	}
	paths, _ := filepath.Glob(filepath.Join("..", "examples", "recordings", "*.jsonl"))
	got := map[string][]string{}
	for _, p := range paths {
		res, err := lint.Run(t.Context(), []string{p}, lint.Options{Set: set})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.EngineErrors) > 0 {
			t.Errorf("%s: engine errors: %v", p, res.EngineErrors)
		}
		count := map[string]int{}
		for _, f := range res.Findings {
			count[f.Rule]++
		}
		var list []string
		for r, n := range count {
			list = append(list, fmt.Sprintf("%s: %d", r, n))
		}
		slices.Sort(list)
		got[strings.TrimSuffix(filepath.Base(p), ".jsonl")] = append([]string{}, list...)
	}
	if *update {
		b, _ := json.MarshalIndent(got, "", "  ")
		if err := os.WriteFile(expectedPath, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	b, err := os.ReadFile(expectedPath)
	if err != nil {
		t.Fatalf("%v (go test ./lint -run TestCorpusFindings -update)", err)
	}
	var want map[string][]string
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	for name, g := range got {
		if w, ok := want[name]; !ok {
			t.Errorf("%s: new recording, not in %s: %q", name, expectedPath, g)
		} else if !slices.Equal(g, w) {
			t.Errorf("%s: findings %q, want %q", name, g, w)
		}
	}
	for name := range want {
		if _, ok := got[name]; !ok {
			t.Errorf("%s: in %s but no longer recorded", name, expectedPath)
		}
	}
}
