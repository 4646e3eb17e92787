package lint

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync/atomic"

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
	torn     func() *journal.LineError
	zeroTail func() int64
	nextFn   func() (*journal.Exchange, error)
	f        *os.File
	ahead    *prefetcher
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
		rec.zeroTail = func() int64 { return r.ZeroTail }
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

// Source returns the recording as a flow source. Its exchanges are read
// and parsed ahead on another goroutine, so that reading overlaps
// decoding; call Source once.
func (r *Recording) Source() flow.Source {
	r.ahead = newPrefetcher(r.nextFn)
	return flow.Source{Name: r.Path, Upstream: r.Header.Upstream, Next: r.ahead.next}
}

// Read returns the number of bytes read so far.
func (r *Recording) Read() int64 { return r.read.n.Load() }

// ZeroTail returns the number of zero bytes that ended a journal: space
// its writer reserved and never filled, because it was not closed (the
// proxy was killed or its machine stopped). Call it once the recording has
// been read to its end.
func (r *Recording) ZeroTail() int64 {
	if r.zeroTail == nil {
		return 0
	}
	return r.zeroTail()
}

// Torn returns the torn last line of a journal, or nil. Call it once the
// recording has been read to its end.
func (r *Recording) Torn() *journal.LineError {
	if r.torn == nil {
		return nil
	}
	return r.torn()
}

// Close stops reading ahead and closes the file.
func (r *Recording) Close() error {
	if r.ahead != nil {
		r.ahead.stop()
	}
	return r.f.Close()
}

type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// prefetchChunk is how many exchanges the reading goroutine hands over at
// once; prefetchDepth how many chunks it may be ahead.
const (
	prefetchChunk = 64
	prefetchDepth = 4
)

// prefetcher reads a recording's exchanges on its own goroutine.
type prefetcher struct {
	chunks chan prefetched
	done   chan struct{}
	exited chan struct{}
	cur    prefetched
	pos    int
}

// prefetched is a chunk of exchanges, and the error that ended the
// recording (io.EOF at its end) after them.
type prefetched struct {
	xs  []*journal.Exchange
	err error
}

func newPrefetcher(next func() (*journal.Exchange, error)) *prefetcher {
	p := &prefetcher{chunks: make(chan prefetched, prefetchDepth), done: make(chan struct{}), exited: make(chan struct{})}
	go p.run(next)
	return p
}

func (p *prefetcher) run(next func() (*journal.Exchange, error)) {
	defer close(p.exited)
	for {
		c := prefetched{xs: make([]*journal.Exchange, 0, prefetchChunk)}
		for len(c.xs) < prefetchChunk && c.err == nil {
			e, err := next()
			if err != nil {
				c.err = err
				break
			}
			c.xs = append(c.xs, e)
		}
		select {
		case p.chunks <- c:
		case <-p.done:
			return
		}
		if c.err != nil {
			return
		}
	}
}

// next returns the recording's next exchange, or the error that ended it.
func (p *prefetcher) next() (*journal.Exchange, error) {
	for p.pos == len(p.cur.xs) {
		if p.cur.err != nil {
			return nil, p.cur.err
		}
		p.cur, p.pos = <-p.chunks, 0
	}
	e := p.cur.xs[p.pos]
	p.cur.xs[p.pos] = nil
	p.pos++
	return e, nil
}

// stop ends the reading goroutine and waits for it.
func (p *prefetcher) stop() {
	select {
	case <-p.done:
	default:
		close(p.done)
	}
	<-p.exited
}
