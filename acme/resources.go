package acme

import "encoding/json"

// Identifier names what a certificate is for (RFC 8555 §7.1.3, §9.7.7).
type Identifier struct {
	Type  IdentifierType `json:"type"`
	Value string         `json:"value"`
}

// String returns "type:value", the form the timeline prints.
func (id Identifier) String() string { return string(id.Type) + ":" + id.Value }

// Account is an account object (RFC 8555 §7.1.2) or, in v1, a registration
// (Boulder core.Registration). Members of one dialect are absent in the
// other.
type Account struct {
	// Status is "valid", "deactivated" or "revoked". RFC 8555 §7.1.2
	Status Status `json:"status,omitempty"`
	// Contact is an array of URLs the server can use to contact the client.
	// RFC 8555 §7.1.2
	Contact []string `json:"contact,omitempty"`
	// TermsOfServiceAgreed is the client's agreement to the terms of
	// service (v2). RFC 8555 §7.1.2
	TermsOfServiceAgreed *bool `json:"termsOfServiceAgreed,omitempty"`
	// ExternalAccountBinding is the binding JWS of the account creation
	// request, echoed. RFC 8555 §7.1.2
	ExternalAccountBinding json.RawMessage `json:"externalAccountBinding,omitempty"`
	// Orders is the URL of the account's orders list. RFC 8555 §7.1.2.1
	Orders string `json:"orders,omitempty"`

	// ID is Boulder's numeric registration id (v1; Boulder v2 also sends
	// it on some versions).
	ID int64 `json:"id,omitempty"`
	// Key is the account's public JWK, which Boulder returns in both
	// dialects.
	Key json.RawMessage `json:"key,omitempty"`
	// Agreement is the terms-of-service URL the v1 registration agreed to.
	Agreement string `json:"agreement,omitempty"`
	// InitialIP and CreatedAt are Boulder bookkeeping.
	InitialIP string    `json:"initialIp,omitempty"`
	CreatedAt Timestamp `json:"createdAt,omitzero"`
}

// Order is an order object (RFC 8555 §7.1.3), v2 only.
type Order struct {
	// Status is "pending", "ready", "processing", "valid" or "invalid".
	// RFC 8555 §7.1.3
	Status Status `json:"status"`
	// Expires is when the server will consider this order invalid.
	// RFC 8555 §7.1.3
	Expires Timestamp `json:"expires,omitzero"`
	// Identifiers is the array of identifiers the order pertains to.
	// RFC 8555 §7.1.3
	Identifiers []Identifier `json:"identifiers"`
	// NotBefore and NotAfter are the requested validity bounds.
	// RFC 8555 §7.1.3
	NotBefore Timestamp `json:"notBefore,omitzero"`
	NotAfter  Timestamp `json:"notAfter,omitzero"`
	// Error is the error that occurred while processing the order, if any.
	// RFC 8555 §7.1.3
	Error *Problem `json:"error,omitempty"`
	// Authorizations are the URLs of the authorizations the client needs
	// to complete. RFC 8555 §7.1.3
	Authorizations []string `json:"authorizations"`
	// Finalize is the URL the CSR is POSTed to once all authorizations are
	// satisfied. RFC 8555 §7.1.3
	Finalize string `json:"finalize"`
	// Certificate is the URL of the issued certificate. RFC 8555 §7.1.3
	Certificate string `json:"certificate,omitempty"`
	// Profile names the certificate profile (draft-ietf-acme-profiles §4).
	Profile string `json:"profile,omitempty"`
	// Replaces is the ARI certID of the certificate this order replaces.
	// RFC 9773 §5
	Replaces string `json:"replaces,omitempty"`
}

// Authorization is an authorization object (RFC 8555 §7.1.4; v1 as Boulder
// served it, with "combinations").
type Authorization struct {
	// Identifier is the identifier the account is authorized to represent.
	// RFC 8555 §7.1.4
	Identifier Identifier `json:"identifier"`
	// Status is "pending", "valid", "invalid", "deactivated", "expired" or
	// "revoked". RFC 8555 §7.1.4
	Status Status `json:"status"`
	// Expires is when the server will consider this authorization invalid.
	// RFC 8555 §7.1.4
	Expires Timestamp `json:"expires,omitzero"`
	// Challenges are the ways the client can prove control. RFC 8555 §7.1.4
	Challenges []Challenge `json:"challenges"`
	// Wildcard is true when the order identifier was "*.name". RFC 8555
	// §7.1.4
	Wildcard bool `json:"wildcard,omitempty"`
	// Combinations lists acceptable sets of challenge indices (v1,
	// draft-02 §6.4).
	Combinations [][]int `json:"combinations,omitempty"`
}

// Challenge is a challenge object (RFC 8555 §8; v1 draft-02 §7).
type Challenge struct {
	// Type is the type of challenge. RFC 8555 §8
	Type ChallengeType `json:"type"`
	// URL is the URL to which a response can be posted (v2). RFC 8555 §8
	URL string `json:"url,omitempty"`
	// URI is the v1 spelling of URL (draft-02 §7).
	URI string `json:"uri,omitempty"`
	// Status is "pending", "processing", "valid" or "invalid". RFC 8555 §8
	Status Status `json:"status"`
	// Token is the random value of http-01, dns-01 and tls-alpn-01.
	// RFC 8555 §8.3
	Token string `json:"token,omitempty"`
	// Validated is when the server validated this challenge. RFC 8555 §8
	Validated Timestamp `json:"validated,omitzero"`
	// Error is the error that occurred while validating. RFC 8555 §8
	Error *Problem `json:"error,omitempty"`
	// KeyAuthorization is echoed by v1 servers after the client sent it.
	KeyAuthorization string `json:"keyAuthorization,omitempty"`
	// ValidationRecord is Boulder's record of the validation attempt.
	ValidationRecord json.RawMessage `json:"validationRecord,omitempty"`
	// AccountURI and IssuerDomainNames are the dns-persist-01 members,
	// which has no token (draft-ietf-acme-dns-persist; acme-reference.md
	// §5.5).
	AccountURI        string   `json:"accounturi,omitempty"`
	IssuerDomainNames []string `json:"issuer-domain-names,omitempty"`
}

// Location returns the challenge's URL in either dialect: "url" when
// present, else "uri".
func (c Challenge) Location() string {
	if c.URL != "" {
		return c.URL
	}
	return c.URI
}

// RenewalInfo is the body of a renewalInfo response (RFC 9773 §4.2).
type RenewalInfo struct {
	// SuggestedWindow is when the server recommends renewal. RFC 9773 §4.2
	SuggestedWindow struct {
		Start Timestamp `json:"start,omitzero"`
		End   Timestamp `json:"end,omitzero"`
	} `json:"suggestedWindow"`
	// ExplanationURL points at a page explaining the window. RFC 9773 §4.2
	ExplanationURL string `json:"explanationURL,omitempty"`
}

// OrdersList is the body of an account's orders URL (RFC 8555 §7.1.2.1).
type OrdersList struct {
	Orders []string `json:"orders"`
}
