package journal

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// LineError reports a journal line that could not be read. The reader can
// go on past it.
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
// holds more than one line in memory.
type Reader struct {
	name   string
	br     *bufio.Reader
	closer io.Closer
	header Header
	line   int
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
// checks the header line.
func NewReader(src io.Reader, name string) (*Reader, error) {
	r := &Reader{name: name, br: bufio.NewReaderSize(src, 64<<10)}
	line, complete, err := r.readLine()
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, &LineError{File: name, Line: 1, Err: err}
	}
	if len(bytes.TrimSpace(line)) == 0 {
		return nil, &LineError{File: name, Line: 1, Err: errors.New("empty file: not an acmeproxy journal")}
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	if err := dec.Decode(&r.header); err != nil {
		if !complete {
			return nil, &LineError{File: name, Line: 1, Err: errors.New("torn header: not an acmeproxy journal, or recording never started")}
		}
		return nil, &LineError{File: name, Line: 1, Err: fmt.Errorf("not an acmeproxy journal header: %w", err)}
	}
	if r.header.Format != Format {
		return nil, &LineError{File: name, Line: 1, Err: fmt.Errorf("format %q is not %q", r.header.Format, Format)}
	}
	if r.header.Version < 1 || r.header.Version > Version {
		return nil, &LineError{File: name, Line: 1, Err: fmt.Errorf("unsupported journal version %d (this build reads 1 to %d)", r.header.Version, Version)}
	}
	return r, nil
}

// Header returns the journal's header.
func (r *Reader) Header() Header { return r.header }

// Name returns the name errors use for this journal.
func (r *Reader) Name() string { return r.name }

// Next returns the next exchange, with Line set. At the end it returns
// io.EOF. A line that does not parse gives a *LineError; calling Next again
// goes on with the following line. A torn last line (no newline, does not
// parse) is not an error: it is kept in r.Torn and Next returns io.EOF.
func (r *Reader) Next() (*Exchange, error) {
	for {
		line, complete, err := r.readLine()
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, &LineError{File: r.name, Line: r.line, Err: err}
		}
		if len(line) == 0 && errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue // blank line
		}
		e := new(Exchange)
		if perr := json.Unmarshal(line, e); perr != nil {
			lerr := &LineError{File: r.name, Line: r.line, Err: fmt.Errorf("corrupt record: %w", perr)}
			if !complete {
				r.Torn = lerr
				return nil, io.EOF
			}
			return nil, lerr
		}
		e.Line = r.line
		return e, nil
	}
}

// readLine returns the next line without its newline, and whether the line
// ended with one.
func (r *Reader) readLine() ([]byte, bool, error) {
	line, err := r.br.ReadBytes('\n')
	if len(line) > 0 || err == nil {
		r.line++
	}
	if err == nil {
		return line[:len(line)-1], true, nil
	}
	return line, false, err
}

// Close closes the underlying file, if Open opened it.
func (r *Reader) Close() error {
	if r.closer == nil {
		return nil
	}
	return r.closer.Close()
}
