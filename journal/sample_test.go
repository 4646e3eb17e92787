package journal_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/acmeproxy/acmeproxy/journal"
)

var update = flag.Bool("update", false, "rewrite testdata/sample.jsonl")

// TestSampleJournalIsCurrent writes roundTripExchanges with the Writer and
// compares the file with testdata/sample.jsonl, the fuzz seed and format
// example; -update rewrites it. A difference means the on-disk format
// changed: bump Version or keep old journals readable.
func TestSampleJournalIsCurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sample.jsonl")
	w, err := journal.Create(path, journal.Header{Tool: "acmeproxy 0.1.0", Started: t0, Upstream: "https://ca.example/dir"}, journal.SyncNone)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range roundTripExchanges() {
		if err := w.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "sample.jsonl")
	want, err := os.ReadFile(golden)
	if *update && !bytes.Equal(got, want) {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("the Writer's output differs from %s (run with -update if the change is intended):\n%s", golden, got)
	}
}
