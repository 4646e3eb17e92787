package lint

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/acmeproxy/acmeproxy/flow"
	"github.com/acmeproxy/acmeproxy/journal"
)

// Format is what kind of recording a file is.
type Format string

// Recording formats.
const (
	FormatJournal Format = "journal"
	FormatHAR     Format = "har"
)

// Recording is one opened recording.
type Recording struct {
	Path   string
	Format Format
	Header journal.Header
	// Size is the file's size in bytes; Read counts bytes read so far.
	Size int64
	read *countingReader
	// Torn is set when a journal's last line was torn by a crash.
	torn   func() *journal.LineError
	nextFn func() (*journal.Exchange, error)
	f      *os.File
}

// Open opens the recording at path, telling a journal from a HAR file by
// its first line.
func Open(path string) (*Recording, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	rec := &Recording{Path: path, Size: st.Size(), f: f, read: &countingReader{r: f}}
	br := bufio.NewReaderSize(rec.read, 64<<10)
	first, _ := br.Peek(4096)
	if isJournal(first) {
		r, err := journal.NewReader(br, path)
		if err != nil {
			f.Close()
			return nil, err
		}
		rec.Format, rec.Header, rec.nextFn = FormatJournal, r.Header(), r.Next
		rec.torn = func() *journal.LineError { return r.Torn }
		return rec, nil
	}
	h, err := journal.ReadHAR(br, path)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: neither an acmeproxy journal nor a HAR file: %w", path, err)
	}
	rec.Format, rec.Header, rec.nextFn = FormatHAR, h.Header(), h.Next
	return rec, nil
}

// isJournal reports whether a file's first bytes are a journal header.
func isJournal(first []byte) bool {
	line, _, _ := bytes.Cut(first, []byte("\n"))
	var h struct {
		Format string `json:"format"`
	}
	return json.Unmarshal(line, &h) == nil && h.Format == journal.Format
}

// next reads the recording's next exchange.
func (r *Recording) next() (*journal.Exchange, error) { return r.nextFn() }

// Source returns the recording as a flow source.
func (r *Recording) Source() flow.Source {
	return flow.Source{Name: r.Path, Upstream: r.Header.Upstream, Next: r.nextFn}
}

// Read returns the number of bytes read so far.
func (r *Recording) Read() int64 { return r.read.n }

// Torn returns the torn last line of a journal, or nil.
func (r *Recording) Torn() *journal.LineError {
	if r.torn == nil {
		return nil
	}
	return r.torn()
}

// Close closes the file.
func (r *Recording) Close() error { return r.f.Close() }

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
