package journal_test

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/journal"
)

// t0 is the start time of every test exchange.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)

// newExchange builds an ACME-like exchange tagged with id; its request body
// has about bodySize bytes.
func newExchange(id string, bodySize int) *journal.Exchange {
	payload := strings.Repeat("x", max(bodySize-40, 0))
	req := fmt.Sprintf(`{"protected":"%s","payload":"%s"}`, id, payload)
	resp := fmt.Sprintf(`{"status":"valid","id":"%s"}`, id)
	return &journal.Exchange{
		Conn:  7,
		Mode:  "mitm",
		Start: t0,
		End:   t0.Add(1500 * time.Microsecond),
		Request: journal.Request{
			Method: "POST",
			URL:    "https://ca.example/acme/order/" + id,
			Proto:  "HTTP/1.1",
			Headers: journal.Headers{
				{Name: "Host", Value: "ca.example"},
				{Name: "Content-Type", Value: "application/jose+json"},
				{Name: "X-Repeat", Value: "1"},
				{Name: "X-Repeat", Value: "2"},
			},
			Body: journal.NewBody([]byte(req)),
		},
		Response: &journal.Response{
			Status: 201,
			Proto:  "HTTP/1.1",
			Headers: journal.Headers{
				{Name: "Replay-Nonce", Value: "nonce-" + id},
				{Name: "Link", Value: `<https://ca.example/dir>;rel="index"`},
				{Name: "Link", Value: `<https://ca.example/x>;rel="up"`},
				{Name: "Content-Type", Value: "application/json"},
			},
			Body: journal.NewBody([]byte(resp)),
		},
	}
}

// encode returns the journal encoding of e without its sequence number
// and line, which is how tests compare exchanges.
func encode(t testing.TB, e *journal.Exchange) string {
	t.Helper()
	c := *e
	c.Line = 0
	b, err := json.Marshal(&c)
	if err != nil {
		t.Fatalf("encoding exchange: %v", err)
	}
	return string(b)
}

// create makes a journal in a temporary directory.
func create(t testing.TB, mode journal.Sync) (*journal.Writer, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "j.jsonl")
	w, err := journal.Create(path, journal.Header{Tool: "acmeproxy test", Started: t0, Upstream: "https://ca.example/dir"}, mode)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w, path
}

// readAll reads every exchange of the journal at path, failing the test on
// any error; it returns the exchanges and the reader (for Torn).
func readAll(t testing.TB, path string) ([]*journal.Exchange, *journal.Reader) {
	t.Helper()
	r, err := journal.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []*journal.Exchange
	for e, err := range r.All() {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out, r
}

// readString reads a journal from s, returning the exchanges and the
// errors in order.
func readString(t testing.TB, s string) (*journal.Reader, []*journal.Exchange, []error) {
	t.Helper()
	r, err := journal.NewReader(strings.NewReader(s), "mem.jsonl")
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	var es []*journal.Exchange
	var errs []error
	for {
		e, err := r.Next()
		if err == io.EOF {
			return r, es, errs
		}
		if err != nil {
			errs = append(errs, err)
			if len(errs) > 100 {
				t.Fatal("too many errors")
			}
			continue
		}
		es = append(es, e)
	}
}

// headerLine is a valid journal header line.
const headerLine = `{"format":"acmeproxy-journal","version":1,"tool":"acmeproxy test","started":"2026-03-01T12:00:00Z"}` + "\n"

// recordLine returns the journal line of e with sequence number seq.
func recordLine(t testing.TB, e *journal.Exchange, seq uint64) string {
	t.Helper()
	c := *e
	c.Seq = seq
	b, err := json.Marshal(&c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n"
}

// fakeFile wraps a journal file to count fsyncs and inject faults.
type fakeFile struct {
	journal.File
	mu        sync.Mutex
	syncs     atomic.Int64
	syncDelay time.Duration
	failWrite func(n int) error // called with the write's 1-based index
	failSync  func(n int) error // called with the sync's 1-based index
	onSync    func(n int)       // called as sync n starts
	noDisk    bool              // do not fsync the real file
	writes    int
}

// writeCount returns the number of writes so far.
func (f *fakeFile) writeCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.writes
}

func (f *fakeFile) WriteAt(p []byte, off int64) (int, error) {
	f.mu.Lock()
	f.writes++
	n := f.writes
	f.mu.Unlock()
	if f.failWrite != nil {
		if err := f.failWrite(n); err != nil {
			// Write half the line, as a full disk can.
			f.File.WriteAt(p[:len(p)/2], off)
			return len(p) / 2, err
		}
	}
	return f.File.WriteAt(p, off)
}

func (f *fakeFile) Sync() error {
	n := int(f.syncs.Add(1))
	if f.onSync != nil {
		f.onSync(n)
	}
	if f.syncDelay > 0 {
		time.Sleep(f.syncDelay)
	}
	if f.failSync != nil {
		if err := f.failSync(n); err != nil {
			return err
		}
	}
	if f.noDisk {
		return nil
	}
	return f.File.Sync()
}

// wrap installs a fakeFile under w.
func wrap(w *journal.Writer, f *fakeFile) *fakeFile {
	journal.WrapFile(w, func(inner journal.File) journal.File {
		f.File = inner
		return f
	})
	return f
}
