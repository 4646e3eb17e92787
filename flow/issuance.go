package flow

import (
	"github.com/acmeproxy/acmeproxy/acme"
	"github.com/acmeproxy/acmeproxy/decode"
)

// Issuance is one CSR the client submitted: a v1 new-cert or a v2
// finalize. It keeps what could be judged at that moment.
type Issuance struct {
	Ref     Ref            `json:"ref"`
	Account *Account       `json:"-"`
	Dialect decode.Dialect `json:"dialect"`
	// Order is the v2 order finalized, nil for v1.
	Order *Order      `json:"-"`
	CSR   *decode.CSR `json:"csr,omitempty"`
	// Names are the CSR's identifier values (CN folded in, normalised).
	Names []string `json:"names"`
	// Uncovered (v1) lists the CSR names for which the account had no
	// authorization shown valid and unexpired at the time of the request
	// (acme-reference.md §7.2).
	Uncovered []string `json:"uncovered,omitempty"`
	// Missing and Extra (v2) list the order identifiers absent from the
	// CSR and the CSR names absent from the order (RFC 8555 §7.4).
	Missing []string `json:"missing,omitempty"`
	Extra   []string `json:"extra,omitempty"`
	// KnownInvalid lists the names whose authorization the traffic had
	// already shown invalid when the CSR was sent (the order's, in v2; the
	// account's, without a valid one, in v1): the client went on regardless.
	KnownInvalid []string `json:"known_invalid,omitempty"`
	// KeyIsAccountKey is set when the CSR's public key is the account key
	// (RFC 8555 §11.1).
	KeyIsAccountKey bool `json:"key_is_account_key"`
	// Status is the HTTP status of the answer; Problem the CA's refusal.
	Status  int           `json:"status"`
	Problem *acme.Problem `json:"problem,omitempty"`
	// Certificate is what it yielded, when the traffic shows it.
	Certificate *Certificate `json:"-"`
}

// SubjectKey returns "source:line" of the request.
func (i *Issuance) SubjectKey() string { return i.Ref.String() }

// Refs returns the request that submitted the CSR.
func (i *Issuance) Refs() []Ref { return []Ref{i.Ref} }

// Refused reports whether the CA answered with a problem.
func (i *Issuance) Refused() bool { return i.Problem != nil || i.Status >= 400 }

// Certificate is one issued certificate.
type Certificate struct {
	// URL is where it can be fetched (v1 Location, v2 order certificate).
	URL     string   `json:"url,omitempty"`
	Account *Account `json:"-"`
	// Leaf is the parsed leaf, once a response carried it.
	Leaf *decode.Certificate `json:"leaf,omitempty"`
	// Downloaded is set when the client received the certificate's bytes
	// (v1: the new-cert answer itself; v2: a certificate download).
	Downloaded bool `json:"downloaded"`
	// ChainLength is the number of certificates the client received with
	// it; IssuerURL and IssuerFetched track v1's Link rel="up".
	ChainLength   int    `json:"chain_length"`
	IssuerURL     string `json:"issuer_url,omitempty"`
	IssuerFetched bool   `json:"issuer_fetched"`
	history
}

// SubjectKey returns the certificate's URL, or its serial.
func (c *Certificate) SubjectKey() string {
	if c.URL != "" {
		return c.URL
	}
	if c.Leaf != nil {
		return "serial:" + c.Leaf.Serial
	}
	return ""
}
