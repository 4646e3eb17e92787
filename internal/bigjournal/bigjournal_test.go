package bigjournal_test

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/decode"
	"github.com/acmeproxy/acmeproxy/internal/bigjournal"
	"github.com/acmeproxy/acmeproxy/internal/journaltest"
	"github.com/acmeproxy/acmeproxy/journal"
	"github.com/acmeproxy/acmeproxy/lint"
	"github.com/acmeproxy/acmeproxy/rules"
	"github.com/acmeproxy/acmeproxy/rules/builtin"
)

var recordings = filepath.Join("..", "..", "examples", "recordings")

func builtinSet(t *testing.T) *rules.Set {
	t.Helper()
	rs, err := rules.LoadFS(builtin.FS(), "builtin", builtin.Schema())
	if err != nil {
		t.Fatal(err)
	}
	set, err := rules.NewSet(rs)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// fired counts findings by rule, leaving out the rules about the whole
// recording (sessions): a merged journal is one recording, whose counts
// (signed requests, nonce fetches) are the sum of its copies'.
func fired(t *testing.T, set *rules.Set, path string) map[string]int {
	t.Helper()
	res, err := lint.Run(t.Context(), []string{path}, lint.Options{Set: set, LintTime: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.EngineErrors) > 0 {
		t.Fatalf("engine errors: %v", res.EngineErrors)
	}
	counts := map[string]int{}
	for _, f := range res.Findings {
		if f.Kind != rules.KindSession {
			counts[f.Rule]++
		}
	}
	return counts
}

// decoded summarises a recording as the decoder sees it: the exchanges
// whose JWS did not verify, and the protocol faults by code.
func decoded(t *testing.T, path string) (unverified int, issues map[decode.IssueCode]int, ops map[decode.Operation]int) {
	t.Helper()
	d := decode.NewDecoder()
	issues, ops = map[decode.IssueCode]int{}, map[decode.Operation]int{}
	journaltest.Each(t, path, func(e *journal.Exchange) {
		m := d.Decode(e)
		if m.JWS != nil && m.JWS.Verification != decode.VerifyValid {
			unverified++
		}
		for _, is := range m.Issues {
			issues[is.Code]++
		}
		ops[m.Operation]++
	})
	return unverified, issues, ops
}

// TestCopiesAreFaithful generates three copies of each recording of the
// default mix, merged into one journal, and checks that they are what the
// original is three times over: every signature verifies, the decoder
// finds the same operations and faults, and the built-in pack fires the
// same rules as many times.
func TestCopiesAreFaithful(t *testing.T) {
	set := builtinSet(t)
	const copies = 3
	for _, w := range bigjournal.DefaultMix() {
		t.Run(w.Recording, func(t *testing.T) {
			t.Parallel()
			orig := filepath.Join(recordings, w.Recording)
			tmpl, err := bigjournal.LoadTemplate(orig)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "big.jsonl")
			st, err := bigjournal.Generate(t.Context(), path, bigjournal.Config{Dir: recordings,
				Mix: []bigjournal.Weighted{{Recording: w.Recording, Weight: 1}}, Exchanges: copies * len(tmpl.Exchanges)})
			if err != nil {
				t.Fatal(err)
			}
			if st.Copies != copies || st.Exchanges != copies*len(tmpl.Exchanges) {
				t.Fatalf("stats %+v", st)
			}
			u, wantIssues, wantOps := decoded(t, orig)
			if u != 0 {
				t.Fatalf("original: %d unverified", u)
			}
			u, gotIssues, gotOps := decoded(t, path)
			if u != 0 {
				t.Errorf("%d exchanges of the copies do not verify", u)
			}
			for k := range wantIssues {
				wantIssues[k] *= copies
			}
			for k := range wantOps {
				wantOps[k] *= copies
			}
			if !maps.Equal(gotIssues, wantIssues) {
				t.Errorf("decoder issues:\n got %v\nwant %v", gotIssues, wantIssues)
			}
			if !maps.Equal(gotOps, wantOps) {
				t.Errorf("operations:\n got %v\nwant %v", gotOps, wantOps)
			}
			want := fired(t, set, orig)
			for id := range want {
				want[id] *= copies
			}
			got := fired(t, set, path)
			if !maps.Equal(got, want) {
				t.Errorf("findings by rule:\n got %v\nwant %v", sorted(got), sorted(want))
			}
		})
	}
}

func sorted(m map[string]int) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return out
}

// TestMixIsDenseAndOrdered generates a small journal of the default mix
// and checks the properties a recording has: sequence numbers 1, 2, 3, …,
// request starts that never go back, and one account per copy.
func TestMixIsDenseAndOrdered(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mix.jsonl")
	st, err := bigjournal.Generate(t.Context(), path, bigjournal.Config{Dir: recordings, Exchanges: 3000})
	if err != nil {
		t.Fatal(err)
	}
	var seq uint64
	var last time.Time
	d := decode.NewDecoder()
	accounts := map[string]bool{}
	journaltest.Each(t, path, func(e *journal.Exchange) {
		seq++
		if e.Seq != seq {
			t.Fatalf("line %d: seq %d, want %d", e.Line, e.Seq, seq)
		}
		if e.Start.Before(last) {
			t.Fatalf("line %d: starts %v before the previous %v", e.Line, e.Start, last)
		}
		last = e.Start
		if m := d.Decode(e); m.Account != nil && m.Operation != decode.OpRevoke {
			accounts[m.Account.Thumbprint] = true
		}
	})
	if int(seq) != st.Exchanges || st.Exchanges < 3000 {
		t.Fatalf("%d exchanges read, stats say %d", seq, st.Exchanges)
	}
	// v1-weak-keys has two accounts (one refused for its 1024-bit key).
	want := st.Copies + st.PerRecording["v1-weak-keys.jsonl"]
	if len(accounts) != want {
		t.Errorf("%d accounts in %d copies, want %d", len(accounts), st.Copies, want)
	}
	// The decoder finds in the mix the faults of the copies' originals,
	// as many times as they were copied: copy numbers do not matter.
	wantIssues := map[decode.IssueCode]int{}
	for name, n := range st.PerRecording {
		_, issues, _ := decoded(t, filepath.Join(recordings, name))
		for code, k := range issues {
			wantIssues[code] += n * k
		}
	}
	if u, gotIssues, _ := decoded(t, path); u != 0 || !maps.Equal(gotIssues, wantIssues) {
		t.Errorf("%d unverified; decoder issues:\n got %v\nwant %v", u, gotIssues, wantIssues)
	}
}
