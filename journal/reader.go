package journal

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
)

// DefaultMaxLine is the longest record line a Reader accepts unless
// SetMaxLine says otherwise. A record holding two bodies at DefaultBodyCap
// is under 3 MiB in base64; the margin is for proxies run with a larger
// cap.
const DefaultMaxLine = 64 << 20

// maxHeaderLine bounds the header line, so that a file that is not a
// journal is turned away after at most this many bytes.
const maxHeaderLine = 64 << 10

// ErrCorruptRecord is wrapped by the *LineError that Next returns for a
// line that is not a readable record. Reading can go on past such a line.
var ErrCorruptRecord = errors.New("corrupt record")

// errLineTooLong is returned by readLine for a line over the limit; the
// line has been consumed.
var errLineTooLong = errors.New("line too long")

// LineError reports a journal line that could not be read. The reader can
// go on past it when it wraps ErrCorruptRecord.
type LineError struct {
	File string
	Line int
	Err  error
}

func (e *LineError) Error() string {
	return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
}

func (e *LineError) Unwrap() error { return e.Err }

// Reader streams exchanges from a journal, one line at a time; it never
// holds more than one line in memory. It is not safe for concurrent use.
type Reader struct {
	name    string
	br      *bufio.Reader
	closer  io.Closer
	header  Header
	line    int
	maxLine int
	buf     []byte // the current line; reused
	// Torn is set when the last line had no newline and did not parse:
	// the writer was killed mid-record. That line is skipped.
	Torn *LineError
}

// Open opens the journal at path and reads its header.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	r, err := NewReader(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closer = f
	return r, nil
}

// NewReader reads a journal from src; name is used in errors. It reads and
// checks the header line, and fails with a *LineError for line 1 when src
// is empty, is not a journal, or is a journal of another format version.
func NewReader(src io.Reader, name string) (*Reader, error) {
	r := &Reader{name: name, br: bufio.NewReaderSize(src, 64<<10), maxLine: DefaultMaxLine}
	line, complete, err := r.readLine(maxHeaderLine)
	headerErr := func(err error) error { return &LineError{File: name, Line: 1, Err: err} }
	switch {
	case errors.Is(err, errLineTooLong):
		return nil, headerErr(fmt.Errorf("not an acmeproxy journal: first line longer than %d bytes", maxHeaderLine))
	case err != nil && !errors.Is(err, io.EOF):
		return nil, headerErr(fmt.Errorf("reading header: %w", err))
	case len(bytes.TrimSpace(line)) == 0 && r.line <= 1 && !complete:
		return nil, headerErr(errors.New("empty file: not an acmeproxy journal"))
	}
	if err := parseHeader(line, &r.header); err != nil {
		if !complete && errors.Is(err, errNotObject) {
			err = errors.New("torn header: not an acmeproxy journal, or recording never started")
		}
		return nil, headerErr(err)
	}
	return r, nil
}

var errNotObject = errors.New("not an acmeproxy journal header")

// parseHeader decodes and checks a header line.
func parseHeader(line []byte, h *Header) error {
	trimmed := bytes.TrimSpace(line)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return fmt.Errorf("%w: the first line is not a JSON object", errNotObject)
	}
	if err := json.Unmarshal(trimmed, h); err != nil {
		return fmt.Errorf("%w: %w", errNotObject, err)
	}
	if h.Format != Format {
		return fmt.Errorf("format %q is not %q", h.Format, Format)
	}
	if h.Version < 1 || h.Version > Version {
		return fmt.Errorf("unsupported journal version %d (this build reads 1 to %d)", h.Version, Version)
	}
	return nil
}

// Header returns the journal's header.
func (r *Reader) Header() Header { return r.header }

// Name returns the name errors use for this journal.
func (r *Reader) Name() string { return r.name }

// SetMaxLine sets the longest record line Next accepts, in bytes; a longer
// line is skipped with an error naming it. n <= 0 restores DefaultMaxLine.
func (r *Reader) SetMaxLine(n int) {
	if n <= 0 {
		n = DefaultMaxLine
	}
	r.maxLine = n
}

// Next returns the next exchange, with Line set. At the end it returns
// io.EOF. A line that is not a record gives a *LineError wrapping
// ErrCorruptRecord; calling Next again goes on with the following line.
// Blank lines are skipped. A torn last line (no newline, not a record) is
// not an error: it is kept in r.Torn and Next returns io.EOF. A complete
// record on a last line without a newline is returned as usual.
func (r *Reader) Next() (*Exchange, error) {
	for {
		line, complete, err := r.readLine(r.maxLine)
		if errors.Is(err, errLineTooLong) {
			return nil, r.corrupt(complete, fmt.Errorf("%w: longer than %d bytes", ErrCorruptRecord, r.maxLine))
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, &LineError{File: r.name, Line: r.line, Err: fmt.Errorf("reading: %w", err)}
		}
		if len(bytes.TrimSpace(line)) == 0 {
			if !complete {
				return nil, io.EOF
			}
			continue // blank line
		}
		e, perr := parseRecord(line)
		if perr != nil {
			return nil, r.corrupt(complete, perr)
		}
		e.Line = r.line
		return e, nil
	}
}

// corrupt reports the current line as unreadable: as r.Torn and io.EOF
// when it is an unterminated last line, else as a *LineError.
func (r *Reader) corrupt(complete bool, err error) error {
	lerr := &LineError{File: r.name, Line: r.line, Err: err}
	if !complete {
		r.Torn = lerr
		return io.EOF
	}
	return lerr
}

// parseRecord decodes one record line.
func parseRecord(line []byte) (*Exchange, error) {
	trimmed := bytes.TrimSpace(line)
	if trimmed[0] != '{' {
		return nil, fmt.Errorf("%w: not a JSON object", ErrCorruptRecord)
	}
	e := new(Exchange)
	if err := json.Unmarshal(trimmed, e); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorruptRecord, err)
	}
	if e.Seq == 0 {
		return nil, fmt.Errorf("%w: no sequence number", ErrCorruptRecord)
	}
	return e, nil
}

// All returns the remaining exchanges as a sequence of (exchange, nil) and
// (nil, error) pairs. It goes on past corrupt records, which the consumer
// sees as errors wrapping ErrCorruptRecord, and stops after any other
// error and at the end of the journal.
func (r *Reader) All() iter.Seq2[*Exchange, error] {
	return func(yield func(*Exchange, error) bool) {
		for {
			e, err := r.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if !yield(e, err) || (err != nil && !errors.Is(err, ErrCorruptRecord)) {
				return
			}
		}
	}
}

// readLine returns the next line without its newline and whether the line
// ended with one. It holds at most max bytes of the line: a longer line is
// read to its end, dropped, and reported as errLineTooLong. At the end of
// the input it returns io.EOF with whatever unterminated line was left.
func (r *Reader) readLine(max int) ([]byte, bool, error) {
	r.buf = r.buf[:0]
	tooLong := false
	for {
		chunk, err := r.br.ReadSlice('\n')
		if !tooLong {
			if len(r.buf)+len(chunk) > max+1 { // +1: the newline
				tooLong = true
				r.buf = r.buf[:0]
			} else {
				r.buf = append(r.buf, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		complete := err == nil
		if complete || len(r.buf) > 0 || tooLong {
			r.line++
		}
		if complete {
			if !tooLong {
				r.buf = r.buf[:len(r.buf)-1]
			}
			err = nil
		}
		if tooLong {
			return nil, complete, errLineTooLong
		}
		if len(r.buf) > 0 && !complete && errors.Is(err, io.EOF) {
			return r.buf, false, nil // unterminated last line
		}
		return r.buf, complete, err
	}
}

// Close closes the underlying file, if Open opened it.
func (r *Reader) Close() error {
	if r.closer == nil {
		return nil
	}
	return r.closer.Close()
}
