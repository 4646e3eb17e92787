package decode

import "fmt"

// Dialect is the ACME protocol version an exchange speaks
// (acme-reference.md §1).
type Dialect string

// Dialects.
const (
	// DialectUnknown is for traffic with nothing that tells (a client's
	// own self-check, an unrecognised URL with no body).
	DialectUnknown Dialect = "unknown"
	// DialectV1 is the pre-RFC protocol of Boulder's legacy API
	// (draft-ietf-acme-acme-01/-02 with Boulder's divergences).
	DialectV1 Dialect = "v1"
	// DialectV2 is RFC 8555.
	DialectV2 Dialect = "v2"
)

// String returns the dialect's name.
func (d Dialect) String() string { return string(d) }

// MarshalText writes the dialect's name.
func (d Dialect) MarshalText() ([]byte, error) { return []byte(d), nil }

// UnmarshalText accepts only the names above.
func (d *Dialect) UnmarshalText(b []byte) error {
	switch v := Dialect(b); v {
	case DialectUnknown, DialectV1, DialectV2:
		*d = v
		return nil
	}
	return fmt.Errorf("decode: unknown dialect %q", b)
}

// Basis says what a dialect or an operation was inferred from, strongest
// first. Rules can discount weak inferences.
type Basis string

// Bases.
const (
	// BasisDirectory: the URL is named by a directory the decoder saw (or
	// the exchange is that directory).
	BasisDirectory Basis = "directory"
	// BasisLearned: the URL was named by an earlier response (Location,
	// Link, or a URL in an order, authorization or account body).
	BasisLearned Basis = "learned"
	// BasisRequest: the request itself tells ("kid" ⇒ v2, payload
	// "resource" ⇒ v1, "url" ⇒ v2).
	BasisRequest Basis = "request"
	// BasisResponse: the response body's shape tells (a problem
	// namespace, a challenge "uri" or "url", an object's members).
	BasisResponse Basis = "response"
	// BasisPath: only the URL path's shape, a weak hint
	// (acme-reference.md §10.3).
	BasisPath Basis = "path"
	// BasisNone: nothing told; the value is unknown.
	BasisNone Basis = "none"
)
