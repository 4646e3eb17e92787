package acme

import "encoding/json"

// Resource is the v1 "resource" payload member naming the endpoint a
// request is meant for (draft-ietf-acme-acme-01 §6.1). Boulder's v1 API
// rejected a request whose resource did not match the endpoint.
type Resource string

// v1 resource names, one per endpoint (Boulder wfe/wfe.go).
const (
	ResourceNewReg     Resource = "new-reg"
	ResourceReg        Resource = "reg"
	ResourceNewAuthz   Resource = "new-authz"
	ResourceAuthz      Resource = "authz"
	ResourceChallenge  Resource = "challenge"
	ResourceNewCert    Resource = "new-cert"
	ResourceRevokeCert Resource = "revoke-cert"
	ResourceKeyChange  Resource = "key-change"
)

// AccountRequest is the payload of v2 newAccount and account updates
// (RFC 8555 §7.3) and of v1 new-reg and reg.
type AccountRequest struct {
	Resource Resource `json:"resource,omitempty"`
	// Contact is an array of URLs the server can use to contact the
	// client. RFC 8555 §7.3
	Contact []string `json:"contact,omitempty"`
	// TermsOfServiceAgreed indicates the client's agreement with the
	// terms of service. RFC 8555 §7.3
	TermsOfServiceAgreed *bool `json:"termsOfServiceAgreed,omitempty"`
	// OnlyReturnExisting asks the server to return an existing account
	// and never create one. RFC 8555 §7.3.1
	OnlyReturnExisting bool `json:"onlyReturnExisting,omitempty"`
	// ExternalAccountBinding binds the new account to a CA-side account:
	// a JWS MACed with a CA-issued key. RFC 8555 §7.3.4
	ExternalAccountBinding json.RawMessage `json:"externalAccountBinding,omitempty"`
	// Status "deactivated" deactivates the account. RFC 8555 §7.3.6
	Status Status `json:"status,omitempty"`
	// Agreement is the v1 spelling of consent: the URL of the terms the
	// client agrees to (draft-02 §6.3).
	Agreement string `json:"agreement,omitempty"`
}

// OrderRequest is the payload of newOrder (RFC 8555 §7.4).
type OrderRequest struct {
	Resource Resource `json:"resource,omitempty"`
	// Identifiers is an array of identifier objects the client wishes to
	// submit an order for. RFC 8555 §7.4
	Identifiers []Identifier `json:"identifiers"`
	// NotBefore and NotAfter are the requested validity bounds.
	// RFC 8555 §7.4
	NotBefore Timestamp `json:"notBefore,omitzero"`
	NotAfter  Timestamp `json:"notAfter,omitzero"`
	// Profile selects a certificate profile. draft-ietf-acme-profiles §4
	Profile string `json:"profile,omitempty"`
	// Replaces is the certID of the certificate being renewed. RFC 9773 §5
	Replaces string `json:"replaces,omitempty"`
}

// AuthzRequest is the payload of v1 new-authz and v2 newAuthz
// (pre-authorization, RFC 8555 §7.4.1), and of an authorization
// deactivation (RFC 8555 §7.5.2).
type AuthzRequest struct {
	Resource Resource `json:"resource,omitempty"`
	// Identifier is the identifier for which authorization is desired.
	// RFC 8555 §7.4.1
	Identifier *Identifier `json:"identifier,omitempty"`
	// Status "deactivated" deactivates the authorization. RFC 8555 §7.5.2
	Status Status `json:"status,omitempty"`
	// Delete is draft-02's deactivation spelling that x/crypto also sent.
	Delete bool `json:"delete,omitempty"`
}

// ChallengeRequest is the payload that triggers validation: "{}" in v2
// (RFC 8555 §7.5.1), {"resource":"challenge","type","keyAuthorization"} in
// v1 (draft-02 §7).
type ChallengeRequest struct {
	Resource         Resource      `json:"resource,omitempty"`
	Type             ChallengeType `json:"type,omitempty"`
	KeyAuthorization string        `json:"keyAuthorization,omitempty"`
}

// CSRRequest is the payload of v2 finalize (RFC 8555 §7.4) and v1 new-cert.
type CSRRequest struct {
	Resource Resource `json:"resource,omitempty"`
	// CSR is a CSR encoding the parameters for the certificate being
	// requested, base64url-encoded DER. RFC 8555 §7.4
	CSR string `json:"csr"`
	// NotBefore and NotAfter were v1 new-cert members Boulder ignored.
	NotBefore string `json:"notBefore,omitempty"`
	NotAfter  string `json:"notAfter,omitempty"`
}

// RevocationRequest is the payload of revokeCert (RFC 8555 §7.6) and v1
// revoke-cert.
type RevocationRequest struct {
	Resource Resource `json:"resource,omitempty"`
	// Certificate is the certificate to be revoked, base64url-encoded
	// DER. RFC 8555 §7.6
	Certificate string `json:"certificate"`
	// Reason is the revocation reason code (RFC 5280 §5.3.1).
	// RFC 8555 §7.6
	Reason *int `json:"reason,omitempty"`
}

// KeyChangeInner is the payload of the inner JWS of a key change. v2 names
// the old key (RFC 8555 §7.3.5); Boulder's v1 named the new one.
type KeyChangeInner struct {
	// Account is the URL of the account being modified. RFC 8555 §7.3.5
	Account string `json:"account"`
	// OldKey is the JWK of the current account key. RFC 8555 §7.3.5
	OldKey json.RawMessage `json:"oldKey,omitempty"`
	// NewKey is the v1 member: the JWK of the new key.
	NewKey json.RawMessage `json:"newKey,omitempty"`
}
