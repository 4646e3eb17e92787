package decode

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
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
