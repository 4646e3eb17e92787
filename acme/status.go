package acme

// Status is the "status" member of an account, order, authorization or
// challenge (RFC 8555 §7.1.6; draft-ietf-acme-acme-02 §5.3 for v1).
type Status string

// Status values of both dialects.
const (
	StatusPending     Status = "pending"     // authz, challenge, order
	StatusProcessing  Status = "processing"  // challenge, order (v2 only)
	StatusReady       Status = "ready"       // order (v2 only)
	StatusValid       Status = "valid"       // account, authz, challenge, order
	StatusInvalid     Status = "invalid"     // authz, challenge, order
	StatusDeactivated Status = "deactivated" // account, authz
	StatusRevoked     Status = "revoked"     // account, authz
	StatusExpired     Status = "expired"     // authz (v2 only; Boulder answers 404 instead)
	// StatusUnknown is draft-02's initial challenge status; Boulder v1 never
	// sent it but other v1 servers did.
	StatusUnknown Status = "unknown"
)

// Known reports whether s is one of the statuses named above.
func (s Status) Known() bool {
	switch s {
	case StatusPending, StatusProcessing, StatusReady, StatusValid, StatusInvalid,
		StatusDeactivated, StatusRevoked, StatusExpired, StatusUnknown:
		return true
	}
	return false
}

// Final reports whether an authorization, challenge or order in status s
// can no longer change by the client's action (RFC 8555 §7.1.6).
func (s Status) Final() bool {
	switch s {
	case StatusValid, StatusInvalid, StatusDeactivated, StatusRevoked, StatusExpired:
		return true
	}
	return false
}

// IdentifierType is the "type" of an identifier object (RFC 8555 §9.7.7).
type IdentifierType string

// Identifier types.
const (
	IdentifierDNS IdentifierType = "dns" // RFC 8555 §9.7.7
	IdentifierIP  IdentifierType = "ip"  // RFC 8738 §3
)

// Known reports whether t is dns or ip.
func (t IdentifierType) Known() bool { return t == IdentifierDNS || t == IdentifierIP }

// ChallengeType is the "type" member of a challenge (RFC 8555 §8).
type ChallengeType string

// Challenge types seen in the wild, current and retired.
const (
	ChallengeHTTP01       ChallengeType = "http-01"        // RFC 8555 §8.3
	ChallengeDNS01        ChallengeType = "dns-01"         // RFC 8555 §8.4
	ChallengeTLSALPN01    ChallengeType = "tls-alpn-01"    // RFC 8737
	ChallengeDNSAccount01 ChallengeType = "dns-account-01" // draft-ietf-acme-dns-account-label
	ChallengeDNSPersist01 ChallengeType = "dns-persist-01" // draft-ietf-acme-dns-persist
	ChallengeTLSSNI01     ChallengeType = "tls-sni-01"     // v1 only; Let's Encrypt removed it 13 Mar 2019
	ChallengeTLSSNI02     ChallengeType = "tls-sni-02"     // draft-ietf-acme-acme-07; never served by Let's Encrypt
)

// Known reports whether c is one of the challenge types named above.
func (c ChallengeType) Known() bool {
	switch c {
	case ChallengeHTTP01, ChallengeDNS01, ChallengeTLSALPN01, ChallengeDNSAccount01,
		ChallengeDNSPersist01, ChallengeTLSSNI01, ChallengeTLSSNI02:
		return true
	}
	return false
}
