package examplepack

import (
	"embed"
	"fmt"
	"io/fs"
	"time"

	"github.com/acmeproxy/acmeproxy/rules"
)

//go:embed *.yaml
var files embed.FS

// FS returns the pack's rule files.
func FS() fs.FS { return files }

// Schema binds the subject kinds to this package's synthetic types,
// declares one helper, problem(name), which expands an ACME error name to
// its URN ("badNonce" → "urn:ietf:params:acme:error:badNonce"), and adapts
// the types to findings the way a schema over the flow ledger will: the
// types know nothing of package rules, so Account and Evidence convert.
func Schema() *rules.Schema {
	return &rules.Schema{
		Kinds: map[rules.Kind]any{
			rules.KindExchange:      (*Exchange)(nil),
			rules.KindAccount:       (*Account)(nil),
			rules.KindAuthorization: (*Authz)(nil),
			rules.KindOrder:         (*Order)(nil),
			rules.KindCertificate:   (*Certificate)(nil),
			rules.KindSession:       (*Session)(nil),
		},
		Funcs: map[string]any{
			"problem": func(name string) string { return "urn:ietf:params:acme:error:" + name },
		},
		Account:  account,
		Evidence: evidence,
	}
}

// account returns the account key of a subject.
func account(s rules.Subject) string {
	switch x := s.(type) {
	case *Exchange:
		return x.AccountKey
	case *Account:
		return x.Thumbprint
	case *Authz:
		return x.AccountKey
	case *Order:
		return x.AccountKey
	case *Certificate:
		return x.AccountKey
	}
	return ""
}

// evidence converts this package's refs, and the subjects that carry
// them, into rules.Refs.
func evidence(v any) ([]rules.Ref, bool) {
	switch x := v.(type) {
	case Ref:
		return []rules.Ref{x.rulesRef()}, true
	case []Ref:
		out := make([]rules.Ref, len(x))
		for i, r := range x {
			out[i] = r.rulesRef()
		}
		return out, true
	case interface{ Refs() []Ref }:
		return evidence(x.Refs())
	}
	return nil, false
}

// Ref points at a recorded exchange, in this package's own terms (as the
// flow ledger has its own Ref).
type Ref struct {
	Source string `json:"source"`
	Line   int    `json:"line"`
	Seq    uint64 `json:"seq"`
	Role   string `json:"role,omitempty"`
}

func (r Ref) rulesRef() rules.Ref {
	return rules.Ref{File: r.Source, Line: r.Line, Seq: r.Seq, Note: r.Role}
}

// Exchange is a synthetic recorded exchange.
type Exchange struct {
	Source     string    `json:"source"`
	Seq        uint64    `json:"seq"`
	Line       int       `json:"line"`
	Method     string    `json:"method"`
	URL        string    `json:"url"`
	Status     int       `json:"status"`
	Problem    string    `json:"problem"`
	AccountKey string    `json:"account"`
	Time       time.Time `json:"time"`
}

// SubjectKey is the exchange's recording and sequence number.
func (e *Exchange) SubjectKey() string { return fmt.Sprintf("%s#%d", e.Source, e.Seq) }

// Refs is the exchange itself.
func (e *Exchange) Refs() []Ref { return []Ref{{Source: e.Source, Line: e.Line, Seq: e.Seq}} }

// Account is a synthetic account.
type Account struct {
	Thumbprint string `json:"thumbprint"`
	KeyType    string `json:"key_type"`
	KeyBits    int    `json:"key_bits"`
	Pending    int    `json:"pending"` // pending authorizations at the end of the recording
	Evidence   []Ref  `json:"refs"`
}

// SubjectKey is the key thumbprint.
func (a *Account) SubjectKey() string { return a.Thumbprint }

// Refs returns the exchanges that show the account.
func (a *Account) Refs() []Ref { return a.Evidence }

// Authz is a synthetic authorization.
type Authz struct {
	URL        string    `json:"url"`
	AccountKey string    `json:"account"`
	Identifier string    `json:"identifier"`
	Status     string    `json:"status"`
	Created    time.Time `json:"created"`
	Expires    time.Time `json:"expires"`
	Triggered  bool      `json:"triggered"`
	CreatedBy  Ref       `json:"created_by"` // the exchange that created it
	Evidence   []Ref     `json:"refs"`
}

// SubjectKey is the authorization URL.
func (a *Authz) SubjectKey() string { return a.URL }

// Refs returns the exchanges that show the authorization.
func (a *Authz) Refs() []Ref { return a.Evidence }

// Order is a synthetic order.
type Order struct {
	URL         string   `json:"url"`
	AccountKey  string   `json:"account"`
	Status      string   `json:"status"`
	Identifiers []string `json:"identifiers"`
	CSRNames    []string `json:"csr_names"`
	Evidence    []Ref    `json:"refs"`
}

// SubjectKey is the order URL.
func (o *Order) SubjectKey() string { return o.URL }

// Refs returns the exchanges that show the order.
func (o *Order) Refs() []Ref { return o.Evidence }

// Certificate is a synthetic certificate.
type Certificate struct {
	Serial     string `json:"serial"`
	AccountKey string `json:"account"`
	MustStaple bool   `json:"must_staple"`
	Downloaded bool   `json:"downloaded"`
	Evidence   []Ref  `json:"refs"`
}

// SubjectKey is the serial number.
func (c *Certificate) SubjectKey() string { return c.Serial }

// Refs returns the exchanges that show the certificate.
func (c *Certificate) Refs() []Ref { return c.Evidence }

// Session is a synthetic recording session.
type Session struct {
	Source    string    `json:"source"`
	Exchanges int       `json:"exchanges"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Evidence  []Ref     `json:"refs"`
}

// SubjectKey is the recording's name.
func (s *Session) SubjectKey() string { return s.Source }

// Refs returns the session's first exchange.
func (s *Session) Refs() []Ref { return s.Evidence }
