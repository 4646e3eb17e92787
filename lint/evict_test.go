package lint

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/internal/bigjournal"
	"github.com/acmeproxy/acmeproxy/reports"
	"github.com/acmeproxy/acmeproxy/rules"
	"github.com/acmeproxy/acmeproxy/rules/builtin"
)

var exampleDir = filepath.Join("..", "examples", "recordings")

func packSet(t testing.TB) *rules.Set {
	t.Helper()
	set, err := rules.Build(nil, rules.Options{Schema: builtin.Schema(), Builtin: builtin.FS()})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

var fixedTime = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// lintAll lints paths and renders the JSON report.
func lintAll(t *testing.T, set *rules.Set, paths []string, opts Options) (*Result, []byte) {
	t.Helper()
	opts.Set, opts.LintTime = set, fixedTime
	res, err := Run(t.Context(), paths, opts)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := res.Report(ReportOptions{Tool: reports.Tool{Name: "acmeproxy", Version: "test"}, Generated: fixedTime,
		FailOn: rules.Error, Set: set})
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Validate(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := reports.WriteJSON(&buf, rep, reports.Options{}); err != nil {
		t.Fatal(err)
	}
	return res, buf.Bytes()
}

// sameOutcome fails unless b found what a found, in the same order, and
// renders the same report.
func sameOutcome(t *testing.T, a, b *Result, ja, jb []byte) {
	t.Helper()
	if !reflect.DeepEqual(a.Findings, b.Findings) {
		t.Errorf("findings differ:\n without eviction %d: %v\n with eviction    %d: %v", len(a.Findings), ruleIDs(a.Findings),
			len(b.Findings), ruleIDs(b.Findings))
	}
	if fmt.Sprint(a.EngineErrors) != fmt.Sprint(b.EngineErrors) {
		t.Errorf("engine errors differ: %v, %v", a.EngineErrors, b.EngineErrors)
	}
	if !bytes.Equal(ja, jb) {
		t.Errorf("JSON reports differ (%d and %d bytes)", len(ja), len(jb))
	}
}

func ruleIDs(fs []rules.Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Rule + "@" + f.Subject
	}
	return out
}

// TestEvictionKeepsFindings lints every example recording, each alone and
// all together, keeping every account to the end and then evicting as
// early as possible (after 1, 2 or 5 exchanges without one about the
// account, looking after every 1 or 3 exchanges): the findings, their
// order and the JSON report are the same. Evicting that early puts
// accounts back mid-flow, which the second pass catches; the test checks
// that both the first pass's early judgements and the second pass were
// exercised.
func TestEvictionKeepsFindings(t *testing.T) {
	set := packSet(t)
	entries, err := os.ReadDir(exampleDir)
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	cases := map[string][]string{}
	for _, e := range entries {
		p := filepath.Join(exampleDir, e.Name())
		all = append(all, p)
		cases[e.Name()] = []string{p}
	}
	cases["all-together"] = all
	var kept, reran, evicted int
	for name, paths := range cases {
		t.Run(name, func(t *testing.T) {
			for _, batch := range []int{1, 3} {
				// Exchange rules report batch by batch: compare runs with
				// the same batches.
				base, jbase := lintAll(t, set, paths, Options{EvictAfter: -1, batch: batch})
				if base.Evicted != 0 || base.Passes != 1 {
					t.Fatalf("without eviction: evicted %d, passes %d", base.Evicted, base.Passes)
				}
				for _, horizon := range []int{1, 2, 5} {
					res, j := lintAll(t, set, paths, Options{EvictAfter: horizon, batch: batch})
					sameOutcome(t, base, res, jbase, j)
					evicted += res.Evicted
					if res.Passes == 2 {
						reran++
					} else if res.Evicted > 0 {
						kept++
					}
				}
			}
		})
	}
	if kept == 0 || reran == 0 || evicted == 0 {
		t.Errorf("first passes kept with evictions: %d, second passes: %d, accounts evicted: %d; want all > 0", kept, reran, evicted)
	}
}

// TestEvictionKeepsFindingsOnTheMix does the same on 20,000 exchanges of
// the benchmark's mix (about 1,800 accounts, hundreds at once), with the
// report's bounds binding. Evicting after 12,000 exchanges without news of
// an account (5 s of this traffic, more than any pause within a copy) is
// exact in one pass; after 1,000, accounts come back and the second pass
// makes it exact.
func TestEvictionKeepsFindingsOnTheMix(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and lints 8,000 exchanges three times")
	}
	path := filepath.Join(t.TempDir(), "mix.jsonl")
	if _, err := bigjournal.Generate(t.Context(), path, bigjournal.Config{Dir: exampleDir, Exchanges: 8_000}); err != nil {
		t.Fatal(err)
	}
	set := packSet(t)
	opts := Options{EvictAfter: -1, batch: 100, MaxReportExchanges: 3000, MaxReportSubjects: 2000}
	base, jbase := lintAll(t, set, []string{path}, opts)
	if len(base.Findings) < 200 {
		t.Errorf("only %d findings", len(base.Findings))
	}
	for _, tc := range []struct {
		horizon, passes int
	}{{6_000, 1}, {400, 2}} {
		opts.EvictAfter = tc.horizon
		res, j := lintAll(t, set, []string{path}, opts)
		sameOutcome(t, base, res, jbase, j)
		if res.Passes != tc.passes || res.Evicted < 50 {
			t.Errorf("evicting after %d: %d passes, %d of %d accounts evicted", tc.horizon, res.Passes, res.Evicted,
				res.Evicted+len(res.Ledger.Accounts()))
		}
	}
}
