package decode

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"encoding/json"
	"io"
	"strings"

	"github.com/acmeproxy/acmeproxy/journal"
)

// maxDecodedBody bounds a body after its Content-Encoding is undone, so
// that a compression bomb in a recording costs at most this much memory.
const maxDecodedBody = 8 << 20

// contentBody returns a recorded body's bytes with its Content-Encoding
// undone (RFC 9110 §8.4). The proxy records bodies as they were forwarded,
// so a CA or load balancer that compresses JSON leaves gzip on record; a
// body imported from HAR is already decoded (Body.ContentDecoded). It
// returns an issue when the encoding is unknown or the data do not decode;
// the body is then not decoded further.
func contentBody(b journal.Body, headers journal.Headers, code IssueCode) ([]byte, []Issue) {
	enc := strings.ToLower(strings.TrimSpace(headers.Get("Content-Encoding")))
	if b.ContentDecoded || enc == "" || enc == "identity" || len(b.Data) == 0 {
		return b.Data, nil
	}
	var r io.Reader
	var err error
	switch enc {
	case "gzip", "x-gzip":
		r, err = gzip.NewReader(bytes.NewReader(b.Data))
	case "deflate":
		// RFC 9110 §8.4.1.2 says zlib; some servers send raw deflate.
		if r, err = zlib.NewReader(bytes.NewReader(b.Data)); err != nil {
			r, err = flate.NewReader(bytes.NewReader(b.Data)), nil
		}
	default:
		return nil, []Issue{issuef(code, "Content-Encoding %q is not decoded", enc)}
	}
	if err != nil {
		return nil, []Issue{issuef(code, "Content-Encoding %s: %v", enc, err)}
	}
	out, err := io.ReadAll(io.LimitReader(r, maxDecodedBody+1))
	switch {
	case err != nil:
		return nil, []Issue{issuef(code, "Content-Encoding %s: %v", enc, err)}
	case len(out) > maxDecodedBody:
		return nil, []Issue{issuef(code, "body over %d bytes once decoded", maxDecodedBody)}
	}
	return out, nil
}

// RequestBody returns the exchange's request body as Decode reads it: its
// Content-Encoding undone, nil when that cannot be done.
func RequestBody(e *journal.Exchange) []byte {
	b, issues := contentBody(e.Request.Body, e.Request.Headers, IssueBodyNotJSON)
	if len(issues) > 0 {
		return nil
	}
	return b
}

// jsonString decodes raw, a JSON value taken from a document that has
// been parsed (so well-formed), as a string. A string of printable ASCII
// without escapes — every JWS member and header of real traffic — is its
// own text between the quotes; anything else goes through encoding/json,
// which would scan the value again for validity and copy it through
// reflection (a tenth of the decoder's JSON time on the benchmark's mix).
func jsonString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	inner := raw[1 : len(raw)-1]
	plain := raw[len(raw)-1] == '"'
	for _, c := range inner {
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			plain = false
			break
		}
	}
	if plain {
		return string(inner), true
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}
