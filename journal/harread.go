package journal

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"
	"time"
)

// DefaultMaxHAREntry bounds the bytes ReadHAR reads for one entry (and for
// the log's members before the entries), so that memory stays bounded on
// hostile input.
const DefaultMaxHAREntry = 256 << 20

// HARReader streams the entries of a HAR document as Exchanges. It holds
// one entry in memory at a time. It is not safe for concurrent use.
type HARReader struct {
	name   string
	lim    *budgetReader
	dec    *json.Decoder
	header Header
	entry  int   // entries read so far
	done   bool  // the entries array has ended
	err    error // a fatal error, returned by every later Next
}

// ReadHAR starts reading a HAR document from r; name is used in errors. It
// reads the log's members up to the entries array and returns a reader
// for them. An input that is not a HAR document gives an error wrapping
// ErrNotHAR.
//
// The Header comes from the log's "_acmeproxy" member when acmeproxy wrote
// the file. Otherwise it is made up: Source "har:NAME (CREATOR VERSION)"
// names the file and the tool that wrote it, Started is the earliest
// page's start (zero without pages), and Tool is left for the caller, as
// it names the tool that writes the journal. Members that come after the
// entries are not seen by Header.
func ReadHAR(r io.Reader, name string) (*HARReader, error) {
	lim := &budgetReader{r: r, left: DefaultMaxHAREntry}
	h := &HARReader{name: name, lim: lim, dec: json.NewDecoder(lim)}
	if err := h.openLog(); err != nil {
		return nil, err
	}
	return h, nil
}

// Header returns the journal header for the document (see ReadHAR).
func (h *HARReader) Header() Header { return h.header }

// Name returns the name errors use for this document.
func (h *HARReader) Name() string { return h.name }

// Next returns the next entry as an Exchange, with Line set to the entry's
// 1-based index. At the end it returns io.EOF. An entry that cannot be
// mapped gives an *EntryError wrapping ErrBadEntry and Next may be called
// again; any other error (broken JSON, I/O) is final.
func (h *HARReader) Next() (*Exchange, error) {
	if h.err != nil {
		return nil, h.err
	}
	if h.done {
		return nil, io.EOF
	}
	if !h.dec.More() {
		h.done = true
		if err := h.closeLog(); err != nil {
			h.err = err
			return nil, err
		}
		return nil, io.EOF
	}
	h.entry++
	h.lim.reset()
	var in harInEntry
	if err := h.dec.Decode(&in); err != nil {
		if h.lim.failed || isSyntaxError(err) {
			h.err = &EntryError{File: h.name, Entry: h.entry, Err: describeJSONError(err)}
			return nil, h.err
		}
		// The entry was read whole but does not fit HAR's types; the
		// decoder is past it.
		return nil, &EntryError{File: h.name, Entry: h.entry, Err: fmt.Errorf("%w: %w", ErrBadEntry, describeJSONError(err))}
	}
	e, err := in.exchange(h.entry)
	if err != nil {
		return nil, &EntryError{File: h.name, Entry: h.entry, Err: fmt.Errorf("%w: %w", ErrBadEntry, err)}
	}
	return e, nil
}

// All returns the remaining entries as a sequence of (exchange, nil) and
// (nil, error) pairs. It goes on past entries that wrap ErrBadEntry and
// stops after any other error and at the end.
func (h *HARReader) All() iter.Seq2[*Exchange, error] {
	return func(yield func(*Exchange, error) bool) {
		for {
			e, err := h.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if !yield(e, err) || (err != nil && !errors.Is(err, ErrBadEntry)) {
				return
			}
		}
	}
}

// notHAR wraps err as the error for input that is not HAR.
func (h *HARReader) notHAR(format string, args ...any) error {
	return fmt.Errorf("%s: %w: %s", h.name, ErrNotHAR, fmt.Sprintf(format, args...))
}

// openLog reads up to the first element of log.entries.
func (h *HARReader) openLog() error {
	if err := h.expectDelim('{'); err != nil {
		return h.notHAR("want a JSON object with a \"log\" member (%v)", describeJSONError(err))
	}
	for h.dec.More() {
		key, err := h.key()
		if err != nil {
			return h.notHAR("%v", err)
		}
		if key != "log" {
			if err := skipValue(h.dec); err != nil {
				return h.notHAR("%v", describeJSONError(err))
			}
			continue
		}
		return h.readLogHead()
	}
	return h.notHAR("no \"log\" member")
}

// readLogHead reads the log's members before "entries" and the entries
// array's opening bracket.
func (h *HARReader) readLogHead() error {
	if err := h.expectDelim('{'); err != nil {
		return h.notHAR("\"log\" is not an object")
	}
	var creator harInCreator
	var ours *Header
	var started time.Time
	for h.dec.More() {
		key, err := h.key()
		if err != nil {
			return h.notHAR("%v", err)
		}
		switch key {
		case "creator":
			err = h.dec.Decode(&creator)
		case "_acmeproxy":
			ours = new(Header)
			err = h.dec.Decode(ours)
		case "pages":
			started, err = h.readPages()
		case "entries":
			if err := h.expectDelim('['); err != nil {
				return h.notHAR("\"log.entries\" is not an array")
			}
			h.header = headerFor(h.name, creator, ours, started)
			return nil
		default:
			err = skipValue(h.dec)
		}
		if err != nil {
			return h.notHAR("log.%s: %v", key, describeJSONError(err))
		}
	}
	return h.notHAR("no \"log.entries\" array")
}

// readPages reads log.pages one page at a time and returns the earliest
// page start, or the zero time.
func (h *HARReader) readPages() (time.Time, error) {
	var first time.Time
	if err := h.expectDelim('['); err != nil {
		return first, errors.New("not an array")
	}
	for h.dec.More() {
		var p struct {
			StartedDateTime string `json:"startedDateTime"`
		}
		if err := h.dec.Decode(&p); err != nil {
			return first, err
		}
		if t, err := parseHARTime(p.StartedDateTime); err == nil && (first.IsZero() || t.Before(first)) {
			first = t
		}
	}
	_, err := h.dec.Token() // ]
	return first, err
}

// closeLog reads what follows the entries array to the end of the
// document.
func (h *HARReader) closeLog() error {
	h.lim.reset()
	fail := func(err error) error {
		return fmt.Errorf("%s: after the last entry: %w", h.name, describeJSONError(err))
	}
	if _, err := h.dec.Token(); err != nil { // ]
		return fail(err)
	}
	for depth := 2; depth > 0; depth-- { // rest of log, rest of document
		for h.dec.More() {
			if _, err := h.key(); err != nil {
				return fail(err)
			}
			if err := skipValue(h.dec); err != nil {
				return fail(err)
			}
		}
		if _, err := h.dec.Token(); err != nil { // }
			return fail(err)
		}
	}
	if _, err := h.dec.Token(); !errors.Is(err, io.EOF) {
		return fail(errors.New("trailing data after the document"))
	}
	return nil
}

// headerFor makes the Header of a HAR document.
func headerFor(name string, c harInCreator, ours *Header, started time.Time) Header {
	if ours != nil && ours.Format == Format {
		return *ours
	}
	source := "har:" + name
	if creator := strings.TrimSpace(c.Name + " " + c.Version); creator != "" {
		source += " (" + creator + ")"
	}
	return Header{Format: Format, Version: Version, Started: started, Source: source}
}

// expectDelim reads one token and checks it is the delimiter d.
func (h *HARReader) expectDelim(d json.Delim) error {
	tok, err := h.dec.Token()
	if err != nil {
		return err
	}
	if got, ok := tok.(json.Delim); !ok || got != d {
		return fmt.Errorf("want %q, found %v", d, tok)
	}
	return nil
}

// key reads an object key.
func (h *HARReader) key() (string, error) {
	tok, err := h.dec.Token()
	if err != nil {
		return "", describeJSONError(err)
	}
	s, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("want an object key, found %v", tok)
	}
	return s, nil
}

// skipValue reads and drops one JSON value, token by token, so that a
// large member costs no more memory than its largest string.
func skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}

// describeJSONError rewords the errors of encoding/json for people: a type
// mismatch names the HAR field rather than a Go type.
func describeJSONError(err error) error {
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok && te.Field != "" {
		return fmt.Errorf("%s: want %s, found a JSON %s", te.Field, jsonKind(te.Type.Kind().String()), te.Value)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		// Never io.EOF itself: callers take that for the end of the entries.
		return fmt.Errorf("unexpected end of input (truncated file?): %w", io.ErrUnexpectedEOF)
	}
	return err
}

// jsonKind names a Go kind as a JSON type.
func jsonKind(k string) string {
	switch {
	case k == "string":
		return "a string"
	case strings.HasPrefix(k, "int"), strings.HasPrefix(k, "uint"), strings.HasPrefix(k, "float"):
		return "a number"
	case k == "slice" || k == "array":
		return "an array"
	case k == "bool":
		return "a boolean"
	default:
		return "an object"
	}
}

// isSyntaxError reports an error that leaves a json.Decoder unusable.
func isSyntaxError(err error) bool {
	_, ok := errors.AsType[*json.SyntaxError](err)
	return ok || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// budgetReader fails once more than a set number of bytes are read since
// the last reset. It remembers whether the source failed, which tells a
// broken stream from an entry of the wrong shape.
type budgetReader struct {
	r      io.Reader
	left   int64
	failed bool // a read error other than io.EOF was returned
}

var errEntryTooLarge = fmt.Errorf("larger than %d MiB", DefaultMaxHAREntry>>20)

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		b.failed = true
		return 0, errEntryTooLarge
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		b.failed = true
	}
	return n, err
}

func (b *budgetReader) reset() { b.left = DefaultMaxHAREntry }
