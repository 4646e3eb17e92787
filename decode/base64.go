package decode

import (
	"encoding/base64"
	"strings"
)

// b64u is base64url without padding, rejecting non-zero trailing bits
// (RFC 7515 §2, RFC 4648 §5).
var b64u = base64.RawURLEncoding.Strict()

// b64Result says how a base64url value was encoded.
type b64Result uint8

const (
	b64OK     b64Result = iota
	b64Padded           // decoded, but had trailing '=' (RFC 8555 §6.1 says reject)
	b64Loose            // decoded, but with non-zero trailing bits (RFC 4648 §3.5)
	b64Bad              // not base64url
)

// decodeB64u decodes s as base64url. Trailing '=' padding is tolerated and
// reported as b64Padded, non-zero trailing bits as b64Loose (the value
// still decodes, so a signature over the received string can still be
// checked); anything else, including the line breaks Go's decoder would
// skip, is b64Bad.
func decodeB64u(s string) ([]byte, b64Result) {
	res := b64OK
	if strings.HasSuffix(s, "=") {
		res = b64Padded
		s = strings.TrimRight(s, "=")
	}
	if strings.ContainsAny(s, "\r\n=") {
		return nil, b64Bad
	}
	b, err := b64u.DecodeString(s)
	if err == nil {
		return b, res
	}
	if b, err = base64.RawURLEncoding.DecodeString(s); err == nil {
		return b, b64Loose
	}
	return nil, b64Bad
}
