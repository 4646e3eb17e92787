package decode

import "fmt"

// Operation is what an exchange does, named the same in both dialects where
// the concept is the same (v1 new-reg and v2 newAccount are both
// OpAccountCreate; Message.Dialect tells them apart).
type Operation string

// Operations of both dialects (acme-reference.md §3–§5), and non-ACME
// traffic the proxy records.
const (
	// OpDirectory fetches the directory. RFC 8555 §7.1.1
	OpDirectory Operation = "directory"
	// OpNonce is HEAD or GET newNonce. RFC 8555 §7.2
	OpNonce Operation = "nonce"
	// OpAccountCreate is POST newAccount (v2) or new-reg (v1). RFC 8555 §7.3
	OpAccountCreate Operation = "account.create"
	// OpAccountLookup is POST newAccount with "onlyReturnExisting": true.
	// RFC 8555 §7.3.1
	OpAccountLookup Operation = "account.lookup"
	// OpAccountFetch is a POST-as-GET (or "{}", or a v1 reg POST with only
	// "resource") to the account URL. RFC 8555 §7.3.2
	OpAccountFetch Operation = "account.fetch"
	// OpAccountUpdate changes contact or agreement. RFC 8555 §7.3.2
	OpAccountUpdate Operation = "account.update"
	// OpAccountDeactivate posts "status": "deactivated" to the account.
	// RFC 8555 §7.3.6
	OpAccountDeactivate Operation = "account.deactivate"
	// OpKeyChange rolls the account key over. RFC 8555 §7.3.5
	OpKeyChange Operation = "account.key_change"
	// OpOrdersList fetches the account's orders list. RFC 8555 §7.1.2.1
	OpOrdersList Operation = "account.orders"
	// OpOrderCreate is POST newOrder. RFC 8555 §7.4
	OpOrderCreate Operation = "order.create"
	// OpOrderPoll fetches an order. RFC 8555 §7.4
	OpOrderPoll Operation = "order.poll"
	// OpOrderFinalize posts the CSR to the order's finalize URL.
	// RFC 8555 §7.4
	OpOrderFinalize Operation = "order.finalize"
	// OpAuthzCreate is v1 new-authz, or v2 newAuthz (pre-authorization,
	// RFC 8555 §7.4.1).
	OpAuthzCreate Operation = "authz.create"
	// OpAuthzFetch fetches an authorization: a POST-as-GET (v2) or a plain
	// GET (v1, and v2 clients that never adopted POST-as-GET). RFC 8555 §7.5
	OpAuthzFetch Operation = "authz.fetch"
	// OpAuthzDeactivate posts "status": "deactivated" to an authorization.
	// RFC 8555 §7.5.2
	OpAuthzDeactivate Operation = "authz.deactivate"
	// OpChallengeTrigger posts a response to a challenge URL, asking the
	// server to validate. RFC 8555 §7.5.1
	OpChallengeTrigger Operation = "challenge.trigger"
	// OpChallengePoll fetches a challenge (v1 GET answered 202, v2
	// POST-as-GET). RFC 8555 §7.5.1
	OpChallengePoll Operation = "challenge.poll"
	// OpCertIssue is v1 new-cert: the CSR goes straight to issuance.
	OpCertIssue Operation = "cert.issue"
	// OpCertDownload fetches a certificate (v2 POST-as-GET of the order's
	// certificate URL, or an alternate chain; v1 GET /acme/cert/…).
	// RFC 8555 §7.4.2
	OpCertDownload Operation = "cert.download"
	// OpIssuerDownload is v1 GET of the issuer certificate a certificate's
	// Link rel="up" names.
	OpIssuerDownload Operation = "cert.issuer"
	// OpRevoke is revokeCert (v2) or revoke-cert (v1). RFC 8555 §7.6
	OpRevoke Operation = "cert.revoke"
	// OpRenewalInfo is GET renewalInfo/<certID>. RFC 9773 §4
	OpRenewalInfo Operation = "cert.renewal_info"
	// OpTerms fetches the terms of service (v1 GET /terms, or the URL of
	// a Link rel="terms-of-service").
	OpTerms Operation = "terms"
	// OpSelfCheck is not ACME: a plain GET of
	// /.well-known/acme-challenge/<token>, the client checking its own
	// HTTP-01 response before (or instead of) triggering the challenge.
	OpSelfCheck Operation = "self_check"
	// OpUnknown is anything else.
	OpUnknown Operation = "unknown"
)

// Operations lists every Operation, in the order above.
func Operations() []Operation {
	return []Operation{
		OpDirectory, OpNonce, OpAccountCreate, OpAccountLookup, OpAccountFetch,
		OpAccountUpdate, OpAccountDeactivate, OpKeyChange, OpOrdersList,
		OpOrderCreate, OpOrderPoll, OpOrderFinalize, OpAuthzCreate, OpAuthzFetch,
		OpAuthzDeactivate, OpChallengeTrigger, OpChallengePoll, OpCertIssue,
		OpCertDownload, OpIssuerDownload, OpRevoke, OpRenewalInfo, OpTerms,
		OpSelfCheck, OpUnknown,
	}
}

// String returns the operation's name.
func (o Operation) String() string { return string(o) }

// MarshalText writes the operation's name.
func (o Operation) MarshalText() ([]byte, error) { return []byte(o), nil }

// UnmarshalText accepts only the names of Operations.
func (o *Operation) UnmarshalText(b []byte) error {
	for _, v := range Operations() {
		if string(v) == string(b) {
			*o = v
			return nil
		}
	}
	return fmt.Errorf("decode: unknown operation %q", b)
}

// ACME reports whether o is an ACME operation (not OpSelfCheck or
// OpUnknown).
func (o Operation) ACME() bool { return o != OpSelfCheck && o != OpUnknown }

// needsJWK reports whether a v2 request for o must carry "jwk" rather than
// "kid": newAccount, and the inner JWS of a key change (RFC 8555 §6.2).
// Revocation accepts either; it is handled apart.
func (o Operation) needsJWK() bool { return o == OpAccountCreate || o == OpAccountLookup }

// postAsGetOnly reports whether a v2 POST for o must have an empty payload
// (RFC 8555 §6.3): order, certificate, directory, nonce, orders list.
func (o Operation) postAsGetOnly() bool {
	switch o {
	case OpOrderPoll, OpCertDownload, OpIssuerDownload, OpDirectory, OpNonce,
		OpOrdersList, OpRenewalInfo, OpTerms:
		return true
	}
	return false
}

// postAsGetRequired reports whether v2 fetches of o must be POST-as-GET
// rather than GET (RFC 8555 §6.3: every resource except the directory, the
// newNonce resource and renewalInfo).
func (o Operation) postAsGetRequired() bool {
	switch o {
	case OpOrderPoll, OpAuthzFetch, OpChallengePoll, OpCertDownload, OpOrdersList, OpAccountFetch:
		return true
	}
	return false
}
