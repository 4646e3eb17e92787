package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// expectFile is examples/e2e/NAME.expect.json: how the recording was made
// and the findings that linting it gives, rule id → count, every severity.
type expectFile struct {
	Scenario string         `json:"scenario"`
	Client   string         `json:"client"`
	Findings map[string]int `json:"findings"`
}

func readExpect(t testing.TB, path string) expectFile {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var e expectFile
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if e.Findings == nil {
		e.Findings = map[string]int{}
	}
	return e
}

func writeExpect(t testing.TB, path string, e expectFile) {
	t.Helper()
	data, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestExamples lints every recording under examples/e2e, journal and HAR,
// with the binary and compares the findings with NAME.expect.json, so the
// examples never rot: a change to the decoder, the flow or the rules that
// changes what a real client's run reports shows up here. -update rewrites
// the expected findings instead.
func TestExamples(t *testing.T) {
	dir := filepath.Join(repoRoot, "examples", "e2e")
	expects, err := filepath.Glob(filepath.Join(dir, "*.expect.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(expects) == 0 {
		t.Fatalf("no examples in %s", dir)
	}
	for _, path := range expects {
		name := strings.TrimSuffix(filepath.Base(path), ".expect.json")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			exp := readExpect(t, path)
			if exp.Scenario == "" || exp.Client == "" {
				t.Errorf("%s: scenario and client must say how the recording was made", path)
			}
			for _, rec := range []string{name + ".jsonl", name + ".har"} {
				rep := lintFile(t, t.TempDir(), filepath.Join(dir, rec))
				if len(rep.Inputs) != 1 || rep.Inputs[0].Exchanges == 0 || rep.Inputs[0].CA != "pebble" {
					t.Fatalf("%s: inputs %+v", rec, rep.Inputs)
				}
				got := rep.counts()
				if *update && strings.HasSuffix(rec, ".jsonl") {
					exp.Findings = got
					writeExpect(t, path, exp)
					continue
				}
				if formatCounts(got) != formatCounts(exp.Findings) {
					t.Errorf("%s: findings %s; %s expects %s", rec, formatCounts(got), filepath.Base(path), formatCounts(exp.Findings))
				}
			}
		})
	}
}
