package decode

import "fmt"

// Issue is a protocol fault found in one exchange: a fact for the rules to
// judge, never a Go error. Detail is for humans and may change between
// versions; Code is stable.
type Issue struct {
	Code   IssueCode `json:"code"`
	Detail string    `json:"detail"`
}

func issuef(code IssueCode, format string, args ...any) Issue {
	return Issue{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// IssueCode names a kind of protocol fault. Codes are stable snake_case
// under a dotted prefix (jws., http., payload., csr., eab., keychange.,
// response., body.) and are never reused for another meaning.
type IssueCode string

// Request body and framing.
const (
	// IssueBodyNotJSON: a POST body that is not a JSON object.
	IssueBodyNotJSON IssueCode = "body.not_json"
	// IssueBodyTruncated: the recorded body was cut at the recording cap,
	// so it was not parsed or verified.
	IssueBodyTruncated IssueCode = "body.truncated"
	// IssueBodyMissing: a POST to an ACME endpoint without a body.
	IssueBodyMissing IssueCode = "body.missing"
)

// JWS structure, header and signature (RFC 7515, RFC 8555 §6.2).
const (
	IssueJWSGeneral          IssueCode = "jws.general_serialization" // "signatures" array
	IssueJWSCompact          IssueCode = "jws.compact_serialization" // a compact JWS string
	IssueJWSMissingMember    IssueCode = "jws.missing_member"        // no protected, payload or signature
	IssueJWSBadBase64        IssueCode = "jws.bad_base64"            // a part is not base64url at all
	IssueJWSPaddedBase64     IssueCode = "jws.padded_base64"         // a part has trailing '='
	IssueJWSBadHeader        IssueCode = "jws.bad_header"            // protected header not a JSON object, or a member of the wrong type
	IssueJWSUnprotected      IssueCode = "jws.unprotected_header"    // a "header" member in v2
	IssueJWSNonceUnprotected IssueCode = "jws.nonce_unprotected"     // "nonce" only in the unprotected header
	IssueJWSMissingAlg       IssueCode = "jws.missing_alg"
	IssueJWSAlgNone          IssueCode = "jws.alg_none"
	IssueJWSAlgMAC           IssueCode = "jws.alg_mac"         // HS* outside externalAccountBinding
	IssueJWSAlgUnsupported   IssueCode = "jws.alg_unsupported" // not RS256, ES256, ES384, ES512
	IssueJWSAlgKeyMismatch   IssueCode = "jws.alg_key_mismatch"
	IssueJWSMissingNonce     IssueCode = "jws.missing_nonce"
	IssueJWSBadNonce         IssueCode = "jws.nonce_not_base64url"
	IssueJWSMissingURL       IssueCode = "jws.missing_url"
	IssueJWSURLMismatch      IssueCode = "jws.url_mismatch"
	IssueJWSKidNotJWK        IssueCode = "jws.kid_instead_of_jwk" // kid where jwk is required
	IssueJWSJWKNotKid        IssueCode = "jws.jwk_instead_of_kid" // jwk where kid is required
	IssueJWSJWKAndKid        IssueCode = "jws.jwk_and_kid"
	IssueJWSMissingKey       IssueCode = "jws.missing_key" // neither jwk nor kid
	IssueJWSKidInV1          IssueCode = "jws.kid_in_v1"
	IssueJWSBadJWK           IssueCode = "jws.bad_jwk"
	IssueJWSPrivateJWK       IssueCode = "jws.jwk_private"       // private key members in the jwk
	IssueJWSLeadingZero      IssueCode = "jws.jwk_leading_zero"  // RSA n or e with a leading zero octet
	IssueJWSUnencoded        IssueCode = "jws.unencoded_payload" // "b64": false (RFC 7797)
	IssueJWSBadSignature     IssueCode = "jws.bad_signature"
	IssueJWSDERSignature     IssueCode = "jws.ecdsa_der_signature" // ECDSA signature in DER, not R||S
)

// HTTP layer (RFC 8555 §6.1, §6.2, §6.5).
const (
	IssueHTTPContentType   IssueCode = "http.content_type"         // v2 POST not application/jose+json
	IssueHTTPReplayNonce   IssueCode = "http.replay_nonce_request" // Replay-Nonce sent by the client
	IssueHTTPNoUserAgent   IssueCode = "http.missing_user_agent"
	IssueHTTPBadRetryAfter IssueCode = "http.bad_retry_after"
	IssueHTTPBadLink       IssueCode = "http.bad_link"
	// IssueHTTPPlainGET: an unauthenticated GET of a v2 resource where RFC
	// 8555 §6.3 wants POST-as-GET (reference B9; Let's Encrypt tolerates
	// it, Pebble answers 405).
	IssueHTTPPlainGET IssueCode = "http.plain_get"
)

// Payload (RFC 8555 §6.3, §7; v1 draft-02).
const (
	IssuePayloadNotJSON          IssueCode = "payload.not_json"
	IssuePayloadNotEmpty         IssueCode = "payload.post_as_get_with_payload"
	IssuePayloadEmptyObjectAuthz IssueCode = "payload.empty_object_to_authz" // B10
	IssuePayloadBadAuthzStatus   IssueCode = "payload.authz_bad_status"
	IssuePayloadKeyAuthzV2       IssueCode = "payload.key_authorization_in_v2"
	IssuePayloadKeyAuthzWrong    IssueCode = "payload.key_authorization_mismatch"
	IssuePayloadResourceMismatch IssueCode = "payload.resource_mismatch" // v1 resource ≠ endpoint
	IssuePayloadResourceMissing  IssueCode = "payload.resource_missing"  // v1 without resource
	IssuePayloadResourceInV2     IssueCode = "payload.resource_in_v2"
	IssuePayloadPaddedBase64     IssueCode = "payload.padded_base64" // csr or certificate with '='
	IssuePayloadBadBase64        IssueCode = "payload.bad_base64"
	IssuePayloadBadShape         IssueCode = "payload.bad_shape" // a member of the wrong JSON type
	IssuePayloadBadCertificate   IssueCode = "payload.bad_certificate"
	IssuePayloadMissingField     IssueCode = "payload.missing_field"
)

// CSR (RFC 2986, RFC 8555 §7.4, §11.1).
const (
	IssueCSRUnparsable   IssueCode = "csr.unparsable"
	IssueCSRBadSignature IssueCode = "csr.bad_signature"
	IssueCSRAccountKey   IssueCode = "csr.account_key" // CSR key = account key (B6)
)

// External account binding (RFC 8555 §7.3.4).
const (
	IssueEABAlgNotMAC   IssueCode = "eab.alg_not_mac"
	IssueEABMissingKid  IssueCode = "eab.missing_kid"
	IssueEABNonce       IssueCode = "eab.nonce_present"
	IssueEABURLMismatch IssueCode = "eab.url_mismatch"
	IssueEABPayloadKey  IssueCode = "eab.payload_not_account_key"
	IssueEABMalformed   IssueCode = "eab.malformed"
)

// Key change (RFC 8555 §7.3.5).
const (
	IssueKeyChangeMalformed    IssueCode = "keychange.malformed"
	IssueKeyChangeBadSignature IssueCode = "keychange.inner_bad_signature"
	IssueKeyChangeNonce        IssueCode = "keychange.inner_nonce"
	IssueKeyChangeURL          IssueCode = "keychange.inner_url_mismatch"
	IssueKeyChangeNoJWK        IssueCode = "keychange.inner_missing_jwk"
	IssueKeyChangeAccount      IssueCode = "keychange.account_mismatch"
	IssueKeyChangeOldKey       IssueCode = "keychange.old_key_mismatch"
	IssueKeyChangeNewKey       IssueCode = "keychange.new_key_mismatch" // v1 newKey ≠ inner jwk
	IssueKeyChangeSameKey      IssueCode = "keychange.same_key"
)

// Response (what the server sent back).
const (
	IssueResponseNotJSON        IssueCode = "response.not_json"
	IssueResponseBadShape       IssueCode = "response.bad_shape"
	IssueResponseTruncated      IssueCode = "response.truncated"
	IssueResponseBadCertificate IssueCode = "response.bad_certificate"
	IssueResponseUnknownStatus  IssueCode = "response.unknown_status"
)

// IssueCodes lists every IssueCode, grouped as declared.
func IssueCodes() []IssueCode {
	return []IssueCode{
		IssueBodyNotJSON, IssueBodyTruncated, IssueBodyMissing, IssueJWSGeneral, IssueJWSCompact,
		IssueJWSMissingMember, IssueJWSBadBase64, IssueJWSPaddedBase64, IssueJWSBadHeader, IssueJWSUnprotected,
		IssueJWSNonceUnprotected, IssueJWSMissingAlg, IssueJWSAlgNone, IssueJWSAlgMAC, IssueJWSAlgUnsupported,
		IssueJWSAlgKeyMismatch, IssueJWSMissingNonce, IssueJWSBadNonce, IssueJWSMissingURL, IssueJWSURLMismatch,
		IssueJWSKidNotJWK, IssueJWSJWKNotKid, IssueJWSJWKAndKid, IssueJWSMissingKey, IssueJWSKidInV1,
		IssueJWSBadJWK, IssueJWSPrivateJWK, IssueJWSLeadingZero, IssueJWSUnencoded, IssueJWSBadSignature,
		IssueJWSDERSignature, IssueHTTPContentType, IssueHTTPReplayNonce, IssueHTTPNoUserAgent,
		IssueHTTPBadRetryAfter, IssueHTTPBadLink, IssueHTTPPlainGET, IssuePayloadNotJSON, IssuePayloadNotEmpty,
		IssuePayloadEmptyObjectAuthz, IssuePayloadBadAuthzStatus, IssuePayloadKeyAuthzV2,
		IssuePayloadKeyAuthzWrong, IssuePayloadResourceMismatch, IssuePayloadResourceMissing,
		IssuePayloadResourceInV2, IssuePayloadPaddedBase64, IssuePayloadBadBase64, IssuePayloadBadShape,
		IssuePayloadBadCertificate, IssuePayloadMissingField, IssueCSRUnparsable, IssueCSRBadSignature,
		IssueCSRAccountKey, IssueEABAlgNotMAC, IssueEABMissingKid, IssueEABNonce, IssueEABURLMismatch,
		IssueEABPayloadKey, IssueEABMalformed, IssueKeyChangeMalformed, IssueKeyChangeBadSignature,
		IssueKeyChangeNonce, IssueKeyChangeURL, IssueKeyChangeNoJWK, IssueKeyChangeAccount, IssueKeyChangeOldKey,
		IssueKeyChangeNewKey, IssueKeyChangeSameKey, IssueResponseNotJSON, IssueResponseBadShape,
		IssueResponseTruncated, IssueResponseBadCertificate, IssueResponseUnknownStatus,
	}
}

// String returns the code.
func (c IssueCode) String() string { return string(c) }

// MarshalText writes the code.
func (c IssueCode) MarshalText() ([]byte, error) { return []byte(c), nil }

// UnmarshalText accepts only the codes of IssueCodes.
func (c *IssueCode) UnmarshalText(b []byte) error {
	for _, v := range IssueCodes() {
		if string(v) == string(b) {
			*c = v
			return nil
		}
	}
	return fmt.Errorf("decode: unknown issue code %q", b)
}

// Citation returns where the rule behind c is written, for example
// "RFC 8555 §6.2", or "" for codes that report the recording, not the
// protocol.
func (c IssueCode) Citation() string {
	switch c {
	case IssueJWSGeneral, IssueJWSUnprotected, IssueJWSAlgNone, IssueJWSAlgMAC,
		IssueJWSAlgUnsupported, IssueJWSMissingAlg, IssueJWSKidNotJWK, IssueJWSJWKNotKid,
		IssueJWSJWKAndKid, IssueJWSMissingKey, IssueJWSUnencoded, IssueJWSCompact,
		IssueHTTPContentType, IssueBodyNotJSON, IssueBodyMissing:
		return "RFC 8555 §6.2"
	case IssueJWSPaddedBase64, IssuePayloadPaddedBase64, IssueJWSBadBase64, IssuePayloadBadBase64,
		IssueHTTPNoUserAgent:
		return "RFC 8555 §6.1"
	case IssueJWSMissingNonce, IssueJWSBadNonce, IssueJWSNonceUnprotected:
		return "RFC 8555 §6.5.2"
	case IssueHTTPReplayNonce:
		return "RFC 8555 §6.5.1"
	case IssueJWSMissingURL, IssueJWSURLMismatch:
		return "RFC 8555 §6.4"
	case IssueJWSAlgKeyMismatch, IssueJWSBadSignature, IssueJWSDERSignature, IssueJWSMissingMember, IssueJWSBadHeader:
		return "RFC 7515 §5.2; RFC 7518 §3"
	case IssueJWSBadJWK, IssueJWSPrivateJWK:
		return "RFC 7515 §4.1.3; RFC 7517"
	case IssueJWSLeadingZero:
		return "RFC 7518 §6.3.1; RFC 7638 §3"
	case IssuePayloadNotEmpty, IssueHTTPPlainGET:
		return "RFC 8555 §6.3"
	case IssuePayloadEmptyObjectAuthz, IssuePayloadBadAuthzStatus:
		return "RFC 8555 §7.5.2"
	case IssuePayloadKeyAuthzV2:
		return "RFC 8555 §7.5.1"
	case IssuePayloadKeyAuthzWrong:
		return "RFC 8555 §8.1"
	case IssueJWSKidInV1, IssuePayloadResourceMismatch, IssuePayloadResourceMissing, IssuePayloadResourceInV2:
		return "draft-ietf-acme-acme-01 §6.1; Boulder docs/acme-divergences-v1.md"
	case IssueCSRUnparsable, IssueCSRBadSignature:
		return "RFC 8555 §7.4; RFC 2986"
	case IssueCSRAccountKey:
		return "RFC 8555 §11.1"
	case IssueEABAlgNotMAC, IssueEABMissingKid, IssueEABNonce, IssueEABURLMismatch, IssueEABPayloadKey, IssueEABMalformed:
		return "RFC 8555 §7.3.4"
	case IssueKeyChangeMalformed, IssueKeyChangeBadSignature, IssueKeyChangeNonce, IssueKeyChangeURL,
		IssueKeyChangeNoJWK, IssueKeyChangeAccount, IssueKeyChangeOldKey, IssueKeyChangeNewKey, IssueKeyChangeSameKey:
		return "RFC 8555 §7.3.5"
	case IssueHTTPBadRetryAfter:
		return "RFC 9110 §10.2.3"
	case IssueHTTPBadLink:
		return "RFC 8288 §3"
	case IssueResponseUnknownStatus:
		return "RFC 8555 §7.1.6"
	}
	return ""
}
