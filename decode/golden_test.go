package decode_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/acmeproxy/acmeproxy/decode"
	"github.com/acmeproxy/acmeproxy/internal/journaltest"
	"github.com/acmeproxy/acmeproxy/journal"
)

var (
	update    = flag.Bool("update", false, "rewrite the goldens that differ: decoded.golden.json, testdata/golden/*.decoded.golden.jsonl and COVERAGE.md")
	construct = flag.Bool("construct", false, "regenerate the constructed recordings under testdata/exchanges/constructed-*")
)

const exchangesDir = "testdata/exchanges"

// TestGolden decodes every testdata/exchanges/<scenario>/journal.jsonl with
// one Decoder and compares the messages with decoded.golden.json beside it.
// With -update, differing goldens are rewritten.
func TestGolden(t *testing.T) {
	journals, err := filepath.Glob(filepath.Join(exchangesDir, "*", "journal.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if len(journals) == 0 {
		t.Fatal("no recordings under " + exchangesDir)
	}
	for _, path := range journals {
		dir := filepath.Dir(path)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			got := decodeJournal(t, path)
			golden := filepath.Join(dir, "decoded.golden.json")
			want, err := os.ReadFile(golden)
			if err != nil && !*update {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if bytes.Equal(got, want) {
				return
			}
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("rewrote %s", golden)
				return
			}
			t.Errorf("%s differs from the decoder's output (run with -update to accept):\n%s", golden, firstDiff(want, got))
		})
	}
}

// decodeJournal decodes a journal and returns the messages as indented
// JSON, one array.
func decodeJournal(t *testing.T, path string) []byte {
	t.Helper()
	d := decode.NewDecoder()
	var msgs []*decode.Message
	journaltest.Each(t, path, func(e *journal.Exchange) { msgs = append(msgs, d.Decode(e)) })
	out, err := json.MarshalIndent(msgs, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}

// firstDiff shows the first differing line with some context.
func firstDiff(want, got []byte) string {
	wl, gl := bytes.Split(want, []byte("\n")), bytes.Split(got, []byte("\n"))
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g []byte
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if !bytes.Equal(w, g) {
			return "line " + strconv.Itoa(i+1) + ":\n  want: " + string(w) + "\n  got:  " + string(g)
		}
	}
	return "(no line differs)"
}

func globGoldens() ([]string, error) {
	return filepath.Glob(filepath.Join(exchangesDir, "*", "decoded.golden.json"))
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
