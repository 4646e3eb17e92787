// Package journaltest reads journals in tests: every exchange of a
// recording, failing the test on a corrupt line or a torn last line. A
// journal still being written reads up to its last record (the zero bytes
// its writer reserved after it are skipped).
package journaltest

import (
	"errors"
	"io"
	"testing"

	"github.com/acmeproxy/acmeproxy/journal"
)

// Each calls f with every exchange of the journal at path, in order,
// streaming.
func Each(t testing.TB, path string, f func(*journal.Exchange)) {
	t.Helper()
	r, err := journal.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		f(e)
	}
	if r.Torn != nil {
		t.Fatalf("torn last line in %s: %v", path, r.Torn)
	}
}

// ReadAll returns every exchange of the journal at path.
func ReadAll(t testing.TB, path string) []*journal.Exchange {
	t.Helper()
	var es []*journal.Exchange
	Each(t, path, func(e *journal.Exchange) { es = append(es, e) })
	return es
}
