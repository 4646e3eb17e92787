package scenarios_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/acmeproxy/acmeproxy/internal/journaltest"
	"github.com/acmeproxy/acmeproxy/internal/scenarios"
)

var record = flag.Bool("record", false, "rewrite examples/recordings/*.jsonl from the scenarios")

// TestScenarios runs every scenario against its real CA through the
// recording proxy. With -record it writes the recordings under
// examples/recordings (the corpus the decoder goldens, flow tests and rule
// examples read); otherwise into a temporary directory.
func TestScenarios(t *testing.T) {
	dir := t.TempDir()
	if *record {
		dir = filepath.Join("..", "..", "examples", "recordings")
	}
	for _, sc := range scenarios.All() {
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(dir, sc.Name+".jsonl")
			if *record {
				os.Remove(path)
			}
			var w *scenarios.World
			if sc.V1 {
				w = scenarios.StartV1(t, sc.Legacy, path)
			} else {
				w = scenarios.StartV2(t, sc.Pebble, path)
			}
			ctx, cancel := context.WithTimeout(t.Context(), scenarios.Timeout)
			defer cancel()
			if err := sc.Run(ctx, w); err != nil {
				t.Fatalf("%s: %v", sc.Description, err)
			}
			w.Recorder.Stop()
			if len(journaltest.ReadAll(t, path)) == 0 { // fails on a torn line too
				t.Fatal("recording: no exchanges")
			}
		})
	}
}
