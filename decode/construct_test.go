package decode_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/decode/internal/acmetest"
	"github.com/acmeproxy/acmeproxy/journal"
)

// TestConstructRecordings regenerates the constructed recordings when run
// with -construct. Signatures use fresh keys, so the journals change on
// every run; regenerate the goldens with -update afterwards.
func TestConstructRecordings(t *testing.T) {
	if !*construct {
		t.Skip("run with -construct to regenerate testdata/exchanges/constructed-*")
	}
	scenarios := map[string][]*journal.Exchange{
		"constructed-v2-pebble":  acmetest.NewV2().Exchanges(),
		"constructed-v1-boulder": acmetest.NewV1().Exchanges(),
		"constructed-faults":     acmetest.NewFaults().Exchanges(),
	}
	for name, xs := range scenarios {
		dir := filepath.Join(exchangesDir, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "journal.jsonl")
		if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		w, err := journal.Create(path, journal.Header{Tool: "acmeproxy decode tests (constructed)",
			Started: time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC), Source: "constructed:" + name}, journal.SyncNone)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range xs {
			if err := w.Append(e); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d exchanges)", path, len(xs))
	}
}
