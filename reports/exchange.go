package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Exchange is one recorded exchange, decoded in short: enough for a reader
// to see what the client sent and what the CA answered.
type Exchange struct {
	// File, Line and Seq locate the exchange: the Input.Path, the 1-based
	// journal line (HAR entry), the sequence number in the recording.
	File string `json:"file"`
	Line int    `json:"line"`
	Seq  uint64 `json:"seq"`
	// Time is when the request started; Duration how long the exchange
	// took.
	Time     time.Time     `json:"time"`
	Duration time.Duration `json:"duration,omitempty"`
	Method   string        `json:"method"`
	URL      string        `json:"url"`
	// Operation is what decode recognised ("order.create"), Dialect the
	// ACME version ("v1", "v2").
	Operation string `json:"operation,omitempty"`
	Dialect   string `json:"dialect,omitempty"`
	// Account is the signing account's key, "" when none or unknown.
	Account string `json:"account,omitempty"`
	// Status is the HTTP status of the answer, 0 when there was none.
	Status int `json:"status,omitempty"`
	// Error is the proxy's error when no answer came from upstream.
	Error string `json:"error,omitempty"`
	// Problem is the CA's problem document, if the answer was one.
	Problem *Problem `json:"problem,omitempty"`
	// Request is what the client sent; Response what the CA answered.
	Request  Message  `json:"request"`
	Response *Message `json:"response,omitempty"`
	// Issues are the decoder's protocol-fault codes.
	Issues []string `json:"issues,omitempty"`
}

// Message is one side of an exchange.
type Message struct {
	Headers []Header `json:"headers,omitempty"`
	Body    Body     `json:"body"`
}

// Header is one header field, in the order received.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Body is a body as a reader sees it: JSON pretty-printed, a JWS as its
// protected header and payload, text as text, and anything else as a note.
type Body struct {
	ContentType string `json:"content_type,omitempty"`
	// Size is the body's full size in bytes.
	Size int64 `json:"size"`
	// Protected is the JWS protected header, pretty-printed JSON, for a
	// JWS request body.
	Protected string `json:"protected,omitempty"`
	// Text is the body (or the JWS payload) as shown: pretty-printed JSON
	// or text.
	Text string `json:"text,omitempty"`
	// Note says what is not shown: "binary, 1,234 bytes", "POST-as-GET:
	// empty payload".
	Note string `json:"note,omitempty"`
	// Truncated is set when Text was cut to the producer's limit.
	Truncated bool `json:"truncated,omitempty"`
}

// Problem is an ACME problem document (RFC 8555 §6.7) in short.
type Problem struct {
	Type   string `json:"type"`
	Detail string `json:"detail,omitempty"`
	Status int    `json:"status,omitempty"`
}

// Name returns the problem type without its ACME namespace ("badNonce"),
// or the whole type when it is in neither namespace.
func (p *Problem) Name() string {
	for _, ns := range []string{"urn:ietf:params:acme:error:", "urn:acme:error:"} {
		if s, ok := strings.CutPrefix(p.Type, ns); ok {
			return s
		}
	}
	return p.Type
}

// String returns "name: detail".
func (p *Problem) String() string {
	if p.Detail == "" {
		return p.Name()
	}
	return p.Name() + ": " + p.Detail
}

// Where returns "file:line".
func (x *Exchange) Where() string { return fmt.Sprintf("%s:%d", x.File, x.Line) }

// Exchange returns the report's exchange with this file and sequence
// number, or nil.
func (r *Report) Exchange(file string, seq uint64) *Exchange {
	if r.index == nil {
		r.buildIndex()
	}
	if i, ok := r.index[exchangeKey{file, seq}]; ok {
		return &r.Exchanges[i]
	}
	return nil
}

type exchangeKey struct {
	file string
	seq  uint64
}

// buildIndex indexes Exchanges by file and sequence number.
func (r *Report) buildIndex() {
	r.index = make(map[exchangeKey]int, len(r.Exchanges))
	for i, x := range r.Exchanges {
		r.index[exchangeKey{x.File, x.Seq}] = i
	}
}

// AddExchange adds x unless the report already holds the exchange with its
// file and sequence number; it returns whether it was added.
func (r *Report) AddExchange(x Exchange) bool {
	if r.Exchange(x.File, x.Seq) != nil {
		return false
	}
	r.Exchanges = append(r.Exchanges, x)
	r.index[exchangeKey{x.File, x.Seq}] = len(r.Exchanges) - 1
	return true
}

// sortExchanges orders Exchanges by input order, then sequence number.
func (r *Report) sortExchanges() {
	order := make(map[string]int, len(r.Inputs))
	for i, in := range r.Inputs {
		order[in.Path] = i
	}
	slices.SortStableFunc(r.Exchanges, func(a, b Exchange) int {
		if oa, ob := order[a.File], order[b.File]; oa != ob {
			return oa - ob
		}
		if a.File != b.File {
			return strings.Compare(a.File, b.File)
		}
		switch {
		case a.Seq < b.Seq:
			return -1
		case a.Seq > b.Seq:
			return 1
		}
		return 0
	})
	r.buildIndex()
}

// BodyOf returns the view of a body: pretty-printed JSON when it is JSON,
// the text when it is UTF-8 text, a note otherwise. Text longer than max
// bytes (0: no limit) is cut at a character boundary and marked Truncated.
// size is the body's full size (it may exceed len(raw) when the recording
// kept only part of it).
func BodyOf(contentType string, raw []byte, size int64, max int) Body {
	b := Body{ContentType: contentType, Size: size}
	if size < int64(len(raw)) {
		b.Size = int64(len(raw))
	}
	switch {
	case len(raw) == 0:
		if b.Size > 0 {
			b.Note = "body not recorded"
		}
		return b
	case isJSONType(contentType) || json.Valid(raw):
		if s, ok := PrettyJSON(raw); ok {
			b.Text = s
			break
		}
		fallthrough
	case utf8.Valid(raw) && !bytes.ContainsRune(raw, 0):
		b.Text = string(raw)
	default:
		b.Note = fmt.Sprintf("binary, %s bytes", groupDigits(b.Size))
		return b
	}
	b.Text, b.Truncated = cut(b.Text, max)
	if b.Size > int64(len(raw)) {
		b.Truncated = true
	}
	return b
}

// JWSBody returns the view of a JWS request body from its decoded
// protected header and payload octets. An empty payload is noted as
// POST-as-GET (RFC 8555 §6.3).
func JWSBody(contentType string, protected, payload []byte, size int64, max int) Body {
	b := Body{ContentType: contentType, Size: size}
	if s, ok := PrettyJSON(protected); ok {
		b.Protected = s
	} else {
		b.Protected = string(protected)
	}
	if len(payload) == 0 {
		b.Note = "POST-as-GET: empty payload"
		return b
	}
	p := BodyOf("", payload, int64(len(payload)), max)
	b.Text, b.Note, b.Truncated = p.Text, p.Note, p.Truncated
	return b
}

// PrettyJSON indents JSON with two spaces, keeping member order and not
// escaping HTML characters; ok is false when raw is not JSON.
func PrettyJSON(raw []byte) (string, bool) {
	var buf bytes.Buffer
	if err := json.Indent(&buf, bytes.TrimSpace(raw), "", "  "); err != nil {
		return "", false
	}
	return buf.String(), true
}

// isJSONType reports whether a media type is JSON (application/json,
// application/problem+json, application/jose+json).
func isJSONType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// cut shortens s to at most max bytes at a rune boundary; max <= 0 means
// no limit.
func cut(s string, max int) (string, bool) {
	if max <= 0 || len(s) <= max {
		return s, false
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i], true
}

// groupDigits writes n with thousands separators: 1234567 → "1,234,567".
func groupDigits(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + groupDigits(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
