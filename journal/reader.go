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
	// ZeroTail is set when the journal ended with zero bytes: space the
	// writer reserved ahead of its records and never filled, because it
	// was not closed, e.g. killed; the records before it are complete.
	// It counts those bytes, which are not an error and are skipped.
	ZeroTail int64
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
	l, err := r.readLine(maxHeaderLine)
	headerErr := func(err error) error { return &LineError{File: name, Line: 1, Err: err} }
	switch {
	case err != nil && !errors.Is(err, io.EOF):
		return nil, headerErr(fmt.Errorf("reading header: %w", err))
	case l.hasGap():
		return nil, headerErr(fmt.Errorf("%w: the first line holds %d zero bytes", errNotObject, l.zeros))
	case l.tooLong:
		return nil, headerErr(fmt.Errorf("not an acmeproxy journal: first line longer than %d bytes", maxHeaderLine))
	case l.blank() && !l.complete && l.zeros > 0:
		return nil, headerErr(errors.New("zero-filled file: not an acmeproxy journal, or recording never started"))
	case l.blank() && !l.complete:
		return nil, headerErr(errors.New("empty file: not an acmeproxy journal"))
	}
	if err := parseHeader(l.text, &r.header); err != nil {
		if !l.complete && errors.Is(err, errNotObject) {
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
//
// Zero bytes (NUL), which no record holds, are space the writer reserved
// ahead of its records. A run of them up to the end of the journal is
// counted in r.ZeroTail and ends it, like the end of the file: a record
// or torn line before the run is handled as an unterminated last line. A
// line with zero bytes followed by other data (pages that never reached
// the disk before a crash, then pages that did) is a corrupt record.
// Zero bytes are never held in memory and do not count toward the
// SetMaxLine limit.
func (r *Reader) Next() (*Exchange, error) {
	for {
		l, err := r.readLine(r.maxLine)
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, &LineError{File: r.name, Line: r.line, Err: fmt.Errorf("reading: %w", err)}
		}
		switch {
		case l.hasGap():
			return nil, r.corrupt(l.complete, gapError(l.gapZeros()))
		case l.tooLong:
			return nil, r.corrupt(l.complete, fmt.Errorf("%w: longer than %d bytes", ErrCorruptRecord, r.maxLine))
		case l.blank() && !l.complete:
			return nil, io.EOF
		case l.blank():
			continue
		}
		e, perr := parseRecord(l.text)
		if perr != nil {
			return nil, r.corrupt(l.complete, perr)
		}
		e.Line = r.line
		return e, nil
	}
}

// gapError describes a line holding n zero bytes followed by data.
func gapError(n int64) error {
	return fmt.Errorf("%w: %d zero bytes: space reserved for records that never reached the disk "+
		"(the machine stopped before they were synced)", ErrCorruptRecord, n)
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

// physLine is one physical line of the input, as readLine read it.
type physLine struct {
	text     []byte // the bytes before the first zero byte, without the newline
	complete bool   // the line ended with a newline
	tooLong  bool   // text was over the limit and was dropped
	zeros    int64  // zero bytes in the line
	run      int64  // zero bytes at the end of the line read so far
}

// gapZeros returns the number of the line's zero bytes that are not a run
// up to the end of the input.
func (l *physLine) gapZeros() int64 {
	if l.complete {
		return l.zeros
	}
	return l.zeros - l.run
}

// hasGap reports whether the line holds zero bytes that are not a run up
// to the end of the input.
func (l *physLine) hasGap() bool { return l.gapZeros() > 0 }

// blank reports whether the line has no text but spaces.
func (l *physLine) blank() bool { return !l.tooLong && len(bytes.TrimSpace(l.text)) == 0 }

// readLine reads the next physical line. It holds at most max bytes of
// the line's text: a longer line is read to its end, dropped, and marked
// tooLong. Zero bytes are counted, not held; a run of them up to the end
// of the input is also recorded in r.ZeroTail. At the end of the input it
// returns io.EOF when no byte was left, else the unterminated last line.
func (r *Reader) readLine(max int) (physLine, error) {
	r.buf = r.buf[:0]
	var l physLine
	n := 0 // bytes read
	for {
		chunk, err := r.br.ReadSlice('\n')
		n += len(chunk)
		if err == nil {
			l.complete = true
			chunk = chunk[:len(chunk)-1]
		}
		r.scan(&l, chunk, max)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		l.text = r.buf
		if n > 0 {
			r.line++
		}
		if l.run > 0 && !l.complete && errors.Is(err, io.EOF) {
			r.ZeroTail = l.run
		}
		if n > 0 && errors.Is(err, io.EOF) {
			err = nil // unterminated last line
		}
		return l, err
	}
}

// scan adds a piece of a line, without its newline, to l: text before the
// first zero byte to r.buf, up to max bytes; zero bytes to l.zeros and
// l.run.
func (r *Reader) scan(l *physLine, chunk []byte, max int) {
	if l.zeros == 0 {
		i := bytes.IndexByte(chunk, 0)
		if i < 0 {
			r.addText(l, chunk, max)
			return
		}
		r.addText(l, chunk[:i], max)
		chunk = chunk[i:]
	}
	n := bytes.Count(chunk, nulByte)
	l.zeros += int64(n)
	if n == len(chunk) {
		l.run += int64(n)
	} else {
		l.run = int64(len(chunk) - len(bytes.TrimRight(chunk, "\x00")))
	}
}

var nulByte = []byte{0}

// addText appends text to r.buf, or drops the line's text and marks it
// tooLong once it is over max bytes.
func (r *Reader) addText(l *physLine, text []byte, max int) {
	if l.tooLong {
		return
	}
	if len(r.buf)+len(text) > max {
		l.tooLong = true
		r.buf = r.buf[:0]
		return
	}
	r.buf = append(r.buf, text...)
}

// Close closes the underlying file, if Open opened it.
func (r *Reader) Close() error {
	if r.closer == nil {
		return nil
	}
	return r.closer.Close()
}
