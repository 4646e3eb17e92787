package decode

import (
	"slices"
	"time"

	"github.com/acmeproxy/acmeproxy/acme"
)

// Message is one decoded exchange. Fields that do not apply are nil or
// empty; Issues lists every protocol fault found. A Message does not share
// memory with the Exchange it came from, except the byte slices documented
// as raw.
type Message struct {
	// Seq and Line point back into the recording: the exchange's sequence
	// number and its 1-based journal line (or HAR entry).
	Seq  uint64 `json:"seq"`
	Line int    `json:"line,omitempty"`
	// Conn is the recording's client connection id.
	Conn uint64 `json:"conn,omitempty"`
	// Start and End are when the request began and the response ended.
	Start time.Time `json:"start,omitzero"`
	End   time.Time `json:"end,omitzero"`

	// Method and URL are the request line as received.
	Method string `json:"method"`
	URL    string `json:"url"`

	// Dialect is the ACME version the exchange speaks, and what told.
	Dialect      Dialect `json:"dialect"`
	DialectBasis Basis   `json:"dialect_basis"`
	// Operation is what the exchange does, and what told.
	Operation      Operation `json:"operation"`
	OperationBasis Basis     `json:"operation_basis"`
	// PostAsGet is set for a POST whose JWS payload is the empty string
	// (RFC 8555 §6.3).
	PostAsGet bool `json:"post_as_get,omitempty"`

	// Request holds the request's HTTP facts.
	Request RequestInfo `json:"request"`
	// JWS is the request body as a JWS; nil when the request had no body
	// or a body that is not a JWS (then an Issue says so).
	JWS *JWS `json:"jws,omitempty"`
	// Payload is the JWS payload typed per operation; nil without a JWS.
	Payload *Payload `json:"payload,omitempty"`
	// Account is the signing account's key: the "jwk" of a v1 request or
	// of newAccount, or the key learned for a v2 "kid". Nil when unknown.
	// For a revocation signed with the certificate's key it is that key.
	Account *Key `json:"account,omitempty"`
	// AccountURL is the account's URL when known: the "kid", the Location
	// of a newAccount or new-reg response, or the URL learned for the key.
	AccountURL string `json:"account_url,omitempty"`

	// SelfCheck is set for OpSelfCheck.
	SelfCheck *SelfCheck `json:"self_check,omitempty"`
	// CertID is the RFC 9773 certID of an OpRenewalInfo request.
	CertID string `json:"cert_id,omitempty"`

	// Response is what the server answered; nil when the exchange has an
	// Error instead.
	Response *Response `json:"response,omitempty"`
	// Error is the recording's error when no response came from upstream.
	Error string `json:"error,omitempty"`

	// Issues are the protocol faults found, in the order they were found.
	Issues []Issue `json:"issues,omitempty"`

	// unverified is the JWS whose signature Decode left to Verify
	// (Decoder.DeferVerification); its issues go at Issues[verifyAt].
	unverified *JWS
	verifyAt   int
}

// Verify checks the signature that Decode left unchecked when the decoder
// defers verification (Decoder.DeferVerification), and puts its outcome
// and issues where Decode would have. It does nothing otherwise, or when
// called again. Messages may be verified on different goroutines at once;
// one message must not be used elsewhere while Verify runs.
func (m *Message) Verify() {
	j := m.unverified
	if j == nil {
		return
	}
	m.unverified = nil
	if issues := j.verify(); len(issues) > 0 {
		m.Issues = slices.Insert(m.Issues, m.verifyAt, issues...)
	}
}

// HasIssue reports whether m has an issue with code c.
func (m *Message) HasIssue(c IssueCode) bool {
	for _, is := range m.Issues {
		if is.Code == c {
			return true
		}
	}
	return false
}

func (m *Message) add(issues ...Issue) { m.Issues = append(m.Issues, issues...) }

// RequestInfo holds a request's HTTP facts that ACME rules look at.
type RequestInfo struct {
	// ContentType is the Content-Type header value as sent.
	ContentType string `json:"content_type,omitempty"`
	// UserAgent is the User-Agent header value (RFC 8555 §6.1).
	UserAgent string `json:"user_agent,omitempty"`
	// BodySize is the body's full size; BodyTruncated says the recording
	// kept only part of it.
	BodySize      int64 `json:"body_size,omitempty"`
	BodyTruncated bool  `json:"body_truncated,omitempty"`
}

// SelfCheck is a client's fetch of its own HTTP-01 resource
// (http://<host>/.well-known/acme-challenge/<token>, RFC 8555 §8.3).
type SelfCheck struct {
	Host  string `json:"host"`
	Token string `json:"token"`
	// KeyAuthorization is the body served, trimmed of whitespace, when the
	// response was 200.
	KeyAuthorization string `json:"key_authorization,omitempty"`
}

// Payload is a JWS payload typed per operation. At most one of the typed
// members is set.
type Payload struct {
	// Kind says what the payload was.
	Kind PayloadKind `json:"kind"`
	// Members lists the names of a JSON object payload's members, sorted.
	Members []string `json:"members,omitempty"`
	// Resource is the v1 "resource" member.
	Resource acme.Resource `json:"resource,omitempty"`

	Account    *acme.AccountRequest   `json:"account,omitempty"`
	EAB        *JWS                   `json:"eab,omitempty"` // the parsed externalAccountBinding
	Order      *acme.OrderRequest     `json:"order,omitempty"`
	Authz      *acme.AuthzRequest     `json:"authz,omitempty"`
	Challenge  *acme.ChallengeRequest `json:"challenge,omitempty"`
	CSR        *CSR                   `json:"csr,omitempty"`
	Revocation *Revocation            `json:"revocation,omitempty"`
	KeyChange  *KeyChange             `json:"key_change,omitempty"`

	// Raw is the decoded payload octets.
	Raw []byte `json:"-"`
}

// PayloadKind classifies a JWS payload.
type PayloadKind string

// Payload kinds.
const (
	PayloadEmpty   PayloadKind = "empty"    // "" : POST-as-GET (RFC 8555 §6.3)
	PayloadObject  PayloadKind = "object"   // a JSON object, "{}" included
	PayloadJSON    PayloadKind = "json"     // JSON, but not an object
	PayloadInvalid PayloadKind = "not_json" // not JSON at all
)

// Revocation is a revocation request's payload (RFC 8555 §7.6).
type Revocation struct {
	// Certificate is the certificate to be revoked, parsed; nil when it
	// did not parse.
	Certificate *Certificate `json:"certificate,omitempty"`
	// Reason is the RFC 5280 §5.3.1 reason code, nil when absent.
	Reason *int `json:"reason,omitempty"`
}

// KeyChange is a key rollover's payload: an inner JWS signed by the new key
// (RFC 8555 §7.3.5; v1 per Boulder, acme-reference.md §4.2).
type KeyChange struct {
	// Inner is the inner JWS; its Key is the new key.
	Inner *JWS `json:"inner,omitempty"`
	// Account is the inner payload's "account" URL.
	Account string `json:"account,omitempty"`
	// OldKey is the inner payload's "oldKey" (v2).
	OldKey *Key `json:"old_key,omitempty"`
	// NewKey is the inner payload's "newKey" (v1), or else the inner jwk.
	NewKey *Key `json:"new_key,omitempty"`
}

// Response is the server's answer, with its body typed per operation. At
// most one typed body member is set.
type Response struct {
	// Status is the HTTP status code.
	Status int `json:"status"`
	// ContentType is the Content-Type header value.
	ContentType string `json:"content_type,omitempty"`
	// Location is the Location header, resolved against the request URL.
	Location string `json:"location,omitempty"`
	// Links are the Link header relations, resolved (RFC 8288).
	Links []Link `json:"links,omitempty"`
	// ReplayNonce is the Replay-Nonce header (RFC 8555 §6.5.1).
	ReplayNonce string `json:"replay_nonce,omitempty"`
	// RetryAfter is the parsed Retry-After header (RFC 8555 §6.6, §7.4).
	RetryAfter *RetryAfter `json:"retry_after,omitempty"`
	// BodySize is the body's full size; BodyTruncated says the recording
	// kept only part of it (the body was then not decoded).
	BodySize      int64 `json:"body_size,omitempty"`
	BodyTruncated bool  `json:"body_truncated,omitempty"`

	Directory     *Directory          `json:"directory,omitempty"`
	Account       *acme.Account       `json:"account,omitempty"`
	Order         *acme.Order         `json:"order,omitempty"`
	Authorization *acme.Authorization `json:"authorization,omitempty"`
	Challenge     *acme.Challenge     `json:"challenge,omitempty"`
	OrdersList    *acme.OrdersList    `json:"orders_list,omitempty"`
	RenewalInfo   *acme.RenewalInfo   `json:"renewal_info,omitempty"`
	// Problem is the problem document of an error response: the server's
	// rejection (RFC 8555 §6.7).
	Problem *acme.Problem `json:"problem,omitempty"`
	// Certificates is a certificate chain (PEM, RFC 8555 §7.4.2) or a
	// single DER certificate (v1, application/pkix-cert), leaf first.
	Certificates []*Certificate `json:"certificates,omitempty"`
	// AccountKey is the "key" member of an account body, parsed.
	AccountKey *Key `json:"account_key,omitempty"`
}

// Link returns the first link with relation rel, or "".
func (r *Response) Link(rel string) string {
	if r == nil {
		return ""
	}
	for _, l := range r.Links {
		if l.Rel == rel {
			return l.URL
		}
	}
	return ""
}

// ResourceStatus returns the "status" of the typed body (account, order,
// authorization or challenge), or "".
func (r *Response) ResourceStatus() acme.Status {
	switch {
	case r == nil:
		return ""
	case r.Order != nil:
		return r.Order.Status
	case r.Authorization != nil:
		return r.Authorization.Status
	case r.Challenge != nil:
		return r.Challenge.Status
	case r.Account != nil:
		return r.Account.Status
	}
	return ""
}

// OK reports whether the status is 2xx (v1 new-reg's 409 for a known key
// is not OK, though it names the account).
func (r *Response) OK() bool { return r != nil && r.Status >= 200 && r.Status < 300 }
