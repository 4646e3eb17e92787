package journal_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acmeproxy/acmeproxy/journal"
)

// addSeeds adds every file under testdata/dir (and, for journals, a few
// damaged variants) to the fuzz corpus.
func addSeeds(f *testing.F, pattern string) {
	files, err := filepath.Glob(filepath.Join("testdata", pattern))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds match %s: %v", pattern, err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)*2/3]) // torn
	}
}

// FuzzJournalRead feeds arbitrary bytes to the journal reader: it must not
// panic, every error must be a *LineError (a corrupt record, when reading
// from memory), Next must reach io.EOF within one call per line, ZeroTail
// must count exactly the zero bytes that end the input, and every exchange
// it returns must encode and read back the same.
func FuzzJournalRead(f *testing.F) {
	addSeeds(f, "*.jsonl")
	f.Add([]byte(headerLine + `{"seq":1,"request":{"headers":[["a","b","c"]],"body":{"data":""}}}` + "\n\n{\"seq\":2}"))
	f.Add([]byte(headerLine + "null\n{}\n[]\n{\"seq\":-1}\n"))
	addZeroSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := journal.NewReader(bytes.NewReader(data), "fuzz.jsonl")
		if err != nil {
			if _, ok := errors.AsType[*journal.LineError](err); !ok {
				t.Fatalf("NewReader error %v is a %T, want a *LineError", err, err)
			}
			return
		}
		for range bytes.Count(data, []byte("\n")) + 2 {
			e, err := r.Next()
			if err == io.EOF {
				checkAtEOF(t, r, data)
				return
			}
			if err != nil {
				if _, ok := errors.AsType[*journal.LineError](err); !ok || !errors.Is(err, journal.ErrCorruptRecord) {
					t.Fatalf("reading from memory: %v (%T)", err, err)
				}
				continue
			}
			checkJournalReread(t, e)
		}
		t.Fatal("Next returned more results than the input has lines")
	})
}

// addZeroSeeds adds journals holding zero bytes, as a writer that reserves
// space ahead of its records leaves them when killed or after a crash.
func addZeroSeeds(f *testing.F) {
	rec := `{"seq":1,"request":{"method":"GET","url":"https://a.example/"}}` + "\n"
	z := func(n int) string { return string(make([]byte, n)) }
	for _, s := range []string{
		headerLine + z(64),                                      // header then zeros
		headerLine + rec + z(5000),                              // record then zeros
		headerLine + rec + rec[:20] + z(100),                    // torn record then zeros
		headerLine + rec + strings.TrimSuffix(rec, "\n") + z(9), // whole record without newline, then zeros
		headerLine + rec[:20] + z(4096) + rec[20:] + rec,        // zeros in the middle of a line
		headerLine + z(10) + "\n" + rec + z(3) + "x" + z(3),     // a zero line, then a gap and a tail
		strings.TrimSuffix(headerLine, "\n") + z(8),             // header without newline, then zeros
		headerLine[:10] + z(8),                                  // torn header then zeros
		z(128),                                                  // zeros only
	} {
		f.Add([]byte(s))
	}
}

// checkAtEOF checks the reader's state once Next has returned io.EOF.
func checkAtEOF(t *testing.T, r *journal.Reader, data []byte) {
	t.Helper()
	if want := int64(len(data) - len(bytes.TrimRight(data, "\x00"))); r.ZeroTail != want {
		t.Fatalf("ZeroTail = %d, want %d: the zero bytes ending the input", r.ZeroTail, want)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("Next after io.EOF = %v", err)
	}
}

// checkJournalReread encodes e as a journal line and reads it back.
func checkJournalReread(t *testing.T, e *journal.Exchange) {
	t.Helper()
	line, err := json.Marshal(e)
	if err != nil {
		t.Fatalf("an exchange the reader accepted does not encode: %v", err)
	}
	r, err := journal.NewReader(bytes.NewReader(append([]byte(headerLine), line...)), "again.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	e2, err := r.Next()
	if err != nil {
		t.Fatalf("re-reading %s: %v", line, err)
	}
	if a, b := encode(t, e), encode(t, e2); a != b {
		t.Fatalf("re-read differs:\n got %s\nwant %s", b, a)
	}
}

// FuzzHARRead feeds arbitrary bytes to the HAR reader: it must not panic,
// and the exchanges it returns must survive WriteHAR and ReadHAR unchanged
// and be valid journal records.
func FuzzHARRead(f *testing.F) {
	addSeeds(f, "har/*.har")
	f.Add([]byte(`{"log":{"entries":[{"request":{"method":"GET","url":"https://a.example/","headers":[["a","b"]],"postData":{"params":[{"name":"x","value":"y"}]}},"response":{"status":"200","content":{"size":3}}}]}}`))
	f.Add([]byte(`{"log":{"_acmeproxy":{"format":"acmeproxy-journal","version":1},"entries":[{"startedDateTime":"2026-01-01T00:00:00+01:00","request":{"method":"POST","url":"https://a.example/","postData":{"text":"\u00ff"}},"response":{"status":0},"_acmeproxy":{"seq":3,"end":"2026-01-01T00:00:01Z","no_response":true,"request_body":{"data":"/w==","size":1}}}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := journal.ReadHAR(bytes.NewReader(data), "fuzz.har")
		if err != nil {
			return
		}
		var es []*journal.Exchange
		for e, err := range r.All() {
			if err == nil {
				es = append(es, e)
			}
			if len(es) > 1000 {
				break
			}
		}
		checkHARRewrite(t, r.Header(), es)
		for _, e := range es {
			checkJournalReread(t, e)
		}
	})
}

// checkHARRewrite writes the exchanges as HAR and reads them back.
func checkHARRewrite(t *testing.T, h journal.Header, es []*journal.Exchange) {
	t.Helper()
	var buf bytes.Buffer
	all := func(yield func(*journal.Exchange, error) bool) {
		for _, e := range es {
			if !yield(e, nil) {
				return
			}
		}
	}
	if err := journal.WriteHAR(&buf, h, all); err != nil {
		t.Fatalf("WriteHAR of what ReadHAR returned: %v", err)
	}
	r, err := journal.ReadHAR(&buf, "again.har")
	if err != nil {
		t.Fatalf("ReadHAR of what WriteHAR wrote: %v", err)
	}
	if a, b := mustJSONT(t, h), mustJSONT(t, r.Header()); a != b {
		t.Fatalf("header changed:\n got %s\nwant %s", b, a)
	}
	i := 0
	for e, err := range r.All() {
		if err != nil {
			t.Fatalf("re-reading entry %d: %v", i+1, err)
		}
		if i >= len(es) {
			t.Fatal("more entries than written")
		}
		if a, b := encode(t, es[i]), encode(t, e); a != b {
			t.Fatalf("entry %d changed:\n got %s\nwant %s", i+1, b, a)
		}
		i++
	}
	if i != len(es) {
		t.Fatalf("re-read %d entries of %d", i, len(es))
	}
}

func mustJSONT(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
