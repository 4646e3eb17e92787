package journal

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// Format is the value of Header.Format in every journal this package writes.
const Format = "acmeproxy-journal"

// Version is the journal format version this package writes and the newest
// it reads.
const Version = 1

// DefaultBodyCap is the number of body bytes recorded per message when
// Options.BodyCap is zero. Larger bodies are forwarded whole and recorded
// truncated.
const DefaultBodyCap = 1 << 20

// Header is the first line of a journal.
type Header struct {
	Format  string    `json:"format"`
	Version int       `json:"version"`
	Tool    string    `json:"tool"`    // "acmeproxy <version>"
	Started time.Time `json:"started"` // when recording began
	// Upstream is the directory URL the proxy was started with, if any.
	Upstream string `json:"upstream,omitempty"`
	// UpstreamInsecure records that upstream TLS verification was off.
	UpstreamInsecure bool `json:"upstream_insecure,omitempty"`
	// CAFingerprint is the SHA-256 of the MITM CA certificate's DER, hex.
	CAFingerprint string `json:"ca_fingerprint,omitempty"`
	// Source names where the exchanges came from when they were not
	// recorded by the proxy (for example "har:capture.har").
	Source string `json:"source,omitempty"`
}

// Exchange is one request and the response to it, or the error that stood in
// for the response. It is one line of a journal.
type Exchange struct {
	Seq  uint64 `json:"seq"`  // assigned by Writer.Append, from 1
	Conn uint64 `json:"conn"` // client connection id (same id = same connection)
	// Mode says how the proxy saw the exchange: "mitm" (inside an
	// intercepted CONNECT), "http" (plain-HTTP forward) or "" (imported).
	Mode     string    `json:"mode,omitempty"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Request  Request   `json:"request"`
	Response *Response `json:"response,omitempty"`
	// Error is set when no response came from upstream (refused, TLS
	// failure, timeout). The client then received a synthetic 502
	// problem document that is not recorded as a CA response.
	Error string `json:"error,omitempty"`

	// Line is the 1-based line of the journal (or the 1-based entry of a
	// HAR file) the exchange was read from. It is not written.
	Line int `json:"-"`
}

// Request is an HTTP request as the proxy received it from the client.
type Request struct {
	Method  string  `json:"method"`
	URL     string  `json:"url"` // absolute
	Proto   string  `json:"proto,omitempty"`
	Headers Headers `json:"headers"`
	Body    Body    `json:"body"`
}

// Response is an HTTP response as the proxy received it from upstream and
// passed it on unchanged.
type Response struct {
	Status  int     `json:"status"`
	Proto   string  `json:"proto,omitempty"`
	Headers Headers `json:"headers"`
	Body    Body    `json:"body"`
}

// Field is one header line. Headers keep the order in which they were
// received; a name may repeat.
type Field struct {
	Name  string
	Value string
}

// MarshalJSON writes a Field as a two-element array, ["Name","Value"].
func (f Field) MarshalJSON() ([]byte, error) {
	return json.Marshal([2]string{f.Name, f.Value})
}

// UnmarshalJSON reads the form MarshalJSON writes.
func (f *Field) UnmarshalJSON(b []byte) error {
	var a [2]string
	if err := json.Unmarshal(b, &a); err != nil {
		return fmt.Errorf("header field: %w", err)
	}
	f.Name, f.Value = a[0], a[1]
	return nil
}

// Headers is a list of header fields in received order.
type Headers []Field

// MarshalJSON writes the fields as an array of [name, value] pairs; no
// headers, nil or empty, is written as [].
func (h Headers) MarshalJSON() ([]byte, error) {
	if h == nil {
		return []byte("[]"), nil
	}
	return json.Marshal([]Field(h))
}

// UnmarshalJSON reads the form MarshalJSON writes. It decodes the list in
// one pass rather than field by field, which halves the cost of reading a
// journal.
func (h *Headers) UnmarshalJSON(b []byte) error {
	var pairs [][2]string
	if err := json.Unmarshal(b, &pairs); err != nil {
		return fmt.Errorf("headers: %w", err)
	}
	if pairs == nil {
		*h = nil
		return nil
	}
	out := make(Headers, len(pairs))
	for i, p := range pairs {
		out[i] = Field{Name: p[0], Value: p[1]}
	}
	*h = out
	return nil
}

// Get returns the first value of the named header, compared without regard
// to case, or "".
func (h Headers) Get(name string) string {
	for _, f := range h {
		if equalFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// Values returns every value of the named header in order.
func (h Headers) Values(name string) []string {
	var out []string
	for _, f := range h {
		if equalFold(f.Name, name) {
			out = append(out, f.Value)
		}
	}
	return out
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		ca, cb := a[i], b[i]
		if 'A' <= ca && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if 'A' <= cb && cb <= 'Z' {
			cb += 'a' - 'A'
		}
		if ca != cb {
			return false
		}
	}
	return true
}

// Body is a recorded message body. Data holds at most the recording cap;
// Size and SHA256 always describe the whole body as it was forwarded.
type Body struct {
	Data      []byte `json:"data,omitempty"` // base64 in JSON
	Size      int64  `json:"size"`
	SHA256    string `json:"sha256,omitempty"` // hex, of the whole body; empty when Size is 0
	Truncated bool   `json:"truncated,omitempty"`
	// ContentDecoded says that Data has already had the Content-Encoding
	// named in the message's headers undone, so Size and SHA256 describe
	// the decoded bytes rather than those on the wire. The proxy never sets
	// it; bodies imported from HAR files, whose content.text is decoded
	// text, have it when a Content-Encoding other than identity is present.
	ContentDecoded bool `json:"content_decoded,omitempty"`
}

// NewBody records b whole: Size, SHA256 and Data all describe b.
func NewBody(b []byte) Body {
	if len(b) == 0 {
		return Body{}
	}
	sum := sha256.Sum256(b)
	return Body{Data: b, Size: int64(len(b)), SHA256: hex.EncodeToString(sum[:])}
}
