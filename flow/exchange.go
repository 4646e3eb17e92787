package flow

import (
	"time"

	"github.com/acmeproxy/acmeproxy/acme"
	"github.com/acmeproxy/acmeproxy/decode"
)

// Exchange is one decoded exchange with what the ledger knew around it:
// the subject of exchange-level rules. The embedded Message's fields
// (Operation, Dialect, JWS, Payload, Response, Issues, …) are promoted.
type Exchange struct {
	*decode.Message
	Ref     Ref      `json:"ref"`
	Account *Account `json:"-"`
	Session *Session `json:"-"`

	// Gap is the time since the same account (or, for unauthenticated
	// requests, the same client connection's recording) last requested the
	// same URL with the same method; zero for the first request.
	Gap time.Duration `json:"gap,omitempty"`
	// AskedWait is the Retry-After of the answer to that previous request;
	// zero when it had none.
	AskedWait time.Duration `json:"asked_wait,omitempty"`
	// AfterProblem is the problem the account's previous request got, other
	// than badNonce; nil when it succeeded.
	AfterProblem *acme.Problem `json:"after_problem,omitempty"`
	// Repeat is set when the previous request of the account had the same
	// method and URL (a retry or a poll).
	Repeat bool `json:"repeat,omitempty"`
	// Issuance is the CSR submission of a finalize or v1 new-cert.
	Issuance *Issuance `json:"-"`
	// ReusedNonce is set when the JWS nonce was already used by an earlier
	// request in the recordings.
	ReusedNonce bool `json:"reused_nonce,omitempty"`
}

// SubjectKey returns the request line, "METHOD URL": stable when the same
// flow is linted again, shared by repeated identical requests.
func (x *Exchange) SubjectKey() string { return x.Method + " " + x.URL }

// Refs returns the exchange itself.
func (x *Exchange) Refs() []Ref { return []Ref{x.Ref} }

// Problem returns the CA's problem document, or nil.
func (x *Exchange) Problem() *acme.Problem {
	if x.Response == nil {
		return nil
	}
	return x.Response.Problem
}

// ProblemName returns the problem type's name without its namespace
// ("badNonce"), or "".
func (x *Exchange) ProblemName() string {
	if p := x.Problem(); p != nil {
		return string(p.Type.Name())
	}
	return ""
}

// Status returns the HTTP status of the answer, 0 without one.
func (x *Exchange) Status() int {
	if x.Response == nil {
		return 0
	}
	return x.Response.Status
}

// HasIssue reports whether the decoder found the protocol fault code
// (for example "jws.bad_signature").
func (x *Exchange) HasIssue(code string) bool {
	for _, is := range x.Issues {
		if string(is.Code) == code {
			return true
		}
	}
	return false
}

// HasIssueIn reports whether the decoder found any of the fault codes. It
// is variadic so that rules can call it: exchange.HasIssueIn("jws.alg_none",
// "jws.alg_mac") (an expression's list literal is not a []string).
func (x *Exchange) HasIssueIn(codes ...string) bool {
	for _, c := range codes {
		if x.HasIssue(c) {
			return true
		}
	}
	return false
}

// IssueDetail returns "code: detail" of the first fault whose code is one
// of codes, or "".
func (x *Exchange) IssueDetail(codes ...string) string {
	for _, is := range x.Issues {
		for _, c := range codes {
			if string(is.Code) == c {
				return string(is.Code) + ": " + is.Detail
			}
		}
	}
	return ""
}

// IssueCodes returns the codes of the decoder's protocol faults.
func (x *Exchange) IssueCodes() []string {
	out := make([]string, len(x.Issues))
	for i, is := range x.Issues {
		out[i] = string(is.Code)
	}
	return out
}

// Session is one recording: a journal or HAR file fed to the ledger.
type Session struct {
	Source string `json:"source"`
	// Upstream is the directory URL the recording names, if any.
	Upstream string `json:"upstream,omitempty"`
	// CA names the certificate authority when the traffic tells
	// ("letsencrypt", "pebble", "acmeproxy-v1-test"), else "".
	CA string `json:"ca,omitempty"`
	// Start and End bound the recording's exchanges.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Dialects counts exchanges per ACME dialect.
	Dialects map[decode.Dialect]int `json:"dialects"`

	Exchanges        int `json:"exchanges"`
	Posts            int `json:"posts"`
	NonceFetches     int `json:"nonce_fetches"`
	DirectoryFetches int `json:"directory_fetches"`
	// UpstreamErrors counts exchanges that got no answer from the CA.
	UpstreamErrors int `json:"upstream_errors"`
	Accounts       int `json:"accounts"`
	refs           []Ref
}

// SubjectKey returns the recording's name.
func (s *Session) SubjectKey() string { return s.Source }

// Refs returns the recording's first exchange.
func (s *Session) Refs() []Ref { return s.refs }

// Dialect returns the dialect most of the recording speaks.
func (s *Session) Dialect() decode.Dialect {
	var best decode.Dialect
	n := 0
	for d, c := range s.Dialects {
		if d != decode.DialectUnknown && (c > n || c == n && d < best) {
			best, n = d, c
		}
	}
	return best
}

// Duration is End − Start.
func (s *Session) Duration() time.Duration { return s.End.Sub(s.Start) }
