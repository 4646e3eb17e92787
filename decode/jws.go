package decode

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
)

// Serialization is the JWS serialization a body used (RFC 7515 §7). ACME
// allows only the flattened JSON serialization (RFC 8555 §6.2).
type Serialization string

// Serializations.
const (
	SerializationFlattened Serialization = "flattened" // RFC 7515 §7.2.2
	SerializationGeneral   Serialization = "general"   // RFC 7515 §7.2.1, "signatures" array
	SerializationCompact   Serialization = "compact"   // RFC 7515 §7.1
)

// Verification is the outcome of checking a JWS signature.
type Verification string

// Verification outcomes.
const (
	// VerifyValid: the signature verifies with the key over the received
	// protected and payload strings.
	VerifyValid Verification = "valid"
	// VerifyInvalid: it does not (IssueJWSBadSignature is on the message).
	VerifyInvalid Verification = "invalid"
	// VerifyTruncated: the body was cut by the recorder; not verified.
	VerifyTruncated Verification = "truncated"
	// VerifyUnknownKey: signed with a "kid" whose key the decoder has not
	// seen (the account was created outside the recording).
	VerifyUnknownKey Verification = "unknown_key"
	// VerifyNotChecked: the JWS is too broken to verify (no usable key,
	// alg none or MAC, alg not matching the key, undecodable parts);
	// VerificationDetail says why.
	VerifyNotChecked Verification = "not_checked"
)

// KeySource says where the key that checked a signature came from.
type KeySource string

// Key sources.
const (
	KeyFromJWK KeySource = "jwk" // the protected (or v1 unprotected) header's "jwk"
	KeyFromKid KeySource = "kid" // learned for the "kid" account URL from an earlier exchange
)

// JWS is a request body as a JSON Web Signature (RFC 7515), as ACME uses
// it (RFC 8555 §6.2).
type JWS struct {
	// Serialization is the form the body used; only flattened is ACME.
	Serialization Serialization `json:"serialization,omitempty"`
	// Protected is the decoded protected header. RFC 7515 §7.2.1
	Protected Header `json:"protected"`
	// Unprotected is the unprotected "header" member, nil when absent
	// (RFC 8555 §6.2 forbids it; v1 clients such as acme-tiny sent one).
	Unprotected *Header `json:"unprotected,omitempty"`
	// RawProtected, RawPayload and RawSignature are the three base64url
	// strings exactly as received; the signing input is
	// RawProtected + "." + RawPayload. RFC 7515 §5.2
	RawProtected string `json:"raw_protected"`
	RawPayload   string `json:"raw_payload"`
	RawSignature string `json:"raw_signature"`
	// Payload and Signature are the decoded octets.
	Payload   []byte `json:"-"`
	Signature []byte `json:"-"`
	// Key is the signing key: the "jwk", or for a "kid" the account key
	// learned earlier. Nil when unknown.
	Key *Key `json:"key,omitempty"`
	// KeySource says where Key came from.
	KeySource KeySource `json:"key_source,omitempty"`
	// Verification is the signature check's outcome, with a reason when it
	// is not VerifyValid.
	Verification       Verification `json:"verification"`
	VerificationDetail string       `json:"verification_detail,omitempty"`

	decoded bool // all three parts decoded
}

// Alg returns the effective "alg": the protected one, else the unprotected.
func (j *JWS) Alg() string {
	if j.Protected.Alg != "" || j.Unprotected == nil {
		return j.Protected.Alg
	}
	return j.Unprotected.Alg
}

// jwk returns the embedded key: the protected one, else the unprotected.
func (j *JWS) jwk() json.RawMessage {
	if j.Protected.JWK != nil || j.Unprotected == nil {
		return j.Protected.JWK
	}
	return j.Unprotected.JWK
}

// Header is a decoded JOSE header with the members ACME uses
// (RFC 8555 §6.2) and the names of all members present.
type Header struct {
	// Alg is the signature algorithm. RFC 7515 §4.1.1
	Alg string `json:"alg,omitempty"`
	// JWK is the embedded public key, as received. RFC 7515 §4.1.3
	JWK json.RawMessage `json:"jwk,omitempty"`
	// KID is the key id; in ACME the account URL. RFC 8555 §6.2
	KID string `json:"kid,omitempty"`
	// Nonce is the anti-replay nonce. RFC 8555 §6.5.2
	Nonce string `json:"nonce,omitempty"`
	// URL is the URL the client meant to send the request to.
	// RFC 8555 §6.4.1
	URL string `json:"url,omitempty"`
	// B64 is the RFC 7797 unencoded-payload switch, nil when absent.
	B64 *bool `json:"b64,omitempty"`
	// Members lists the names of every member present, sorted.
	Members []string `json:"members"`
}

// Has reports whether the header has a member called name.
func (h *Header) Has(name string) bool {
	return h != nil && slices.Contains(h.Members, name)
}

// parseJWS reads body as a JWS. It returns nil when body is not JSON (the
// caller reports that, knowing whether a JWS was expected).
func parseJWS(body []byte) (*JWS, []Issue) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] != '{' {
		return parseCompact(trimmed)
	}
	var env map[string]json.RawMessage
	if err := json.Unmarshal(body, &env); err != nil || env == nil {
		return nil, nil
	}
	j := &JWS{Serialization: SerializationFlattened}
	var issues []Issue
	sig := env
	if raw, ok := env["signatures"]; ok {
		j.Serialization = SerializationGeneral
		var arr []map[string]json.RawMessage
		_ = json.Unmarshal(raw, &arr) // a wrong type leaves arr empty, reported below
		issues = append(issues, issuef(IssueJWSGeneral, "general JSON serialization with %d signature(s); ACME allows only flattened", len(arr)))
		if len(arr) > 0 && arr[0] != nil {
			sig = arr[0]
		}
	}
	var ok [3]bool
	j.RawProtected, ok[0], issues = envelopeString(sig, "protected", issues)
	j.RawPayload, ok[1], issues = envelopeString(env, "payload", issues)
	j.RawSignature, ok[2], issues = envelopeString(sig, "signature", issues)
	if raw, present := sig["header"]; present {
		h, hi := parseHeaderJSON(raw, "unprotected header")
		j.Unprotected = &h
		issues = append(issues, hi...)
	}
	issues = append(issues, j.decodeParts(ok)...)
	return j, issues
}

// envelopeString reads a string member of the JWS JSON object.
func envelopeString(obj map[string]json.RawMessage, name string, issues []Issue) (string, bool, []Issue) {
	raw, ok := obj[name]
	if !ok {
		return "", false, append(issues, issuef(IssueJWSMissingMember, "JWS has no %q member", name))
	}
	s, ok := jsonString(raw)
	if !ok {
		return "", false, append(issues, issuef(IssueJWSMissingMember, "JWS %q is not a string", name))
	}
	return s, true, issues
}

// parseCompact reads a compact serialization (three dot-separated parts).
func parseCompact(body []byte) (*JWS, []Issue) {
	parts := strings.Split(string(body), ".")
	if len(parts) != 3 {
		return nil, nil
	}
	j := &JWS{Serialization: SerializationCompact,
		RawProtected: parts[0], RawPayload: parts[1], RawSignature: parts[2]}
	issues := []Issue{issuef(IssueJWSCompact, "compact serialization; ACME requires flattened JSON")}
	return j, append(issues, j.decodeParts([3]bool{true, true, true})...)
}

// decodeParts decodes the three base64url parts and the protected header.
func (j *JWS) decodeParts(present [3]bool) []Issue {
	var issues []Issue
	var res [3]b64Result
	var prot []byte
	if present[0] {
		prot, res[0] = decodeB64u(j.RawProtected)
		if res[0] != b64Bad {
			var hi []Issue
			j.Protected, hi = parseHeaderJSON(prot, "protected header")
			issues = append(issues, hi...)
		}
	}
	unencoded := j.Protected.B64 != nil && !*j.Protected.B64
	switch {
	case unencoded:
		// RFC 7797 §3: the payload is used as is, not base64url-decoded.
		issues = append(issues, issuef(IssueJWSUnencoded, `"b64": false (unencoded payload) is not allowed in ACME`))
		j.Payload = []byte(j.RawPayload)
	case present[1]:
		j.Payload, res[1] = decodeB64u(j.RawPayload)
	}
	if present[2] {
		j.Signature, res[2] = decodeB64u(j.RawSignature)
	}
	for i, name := range [3]string{"protected", "payload", "signature"} {
		switch res[i] {
		case b64Padded:
			issues = append(issues, issuef(IssueJWSPaddedBase64, "%s has trailing '=' padding", name))
		case b64Loose:
			issues = append(issues, issuef(IssueJWSBadBase64, "%s has non-zero trailing bits (not canonical base64url)", name))
		case b64Bad:
			issues = append(issues, issuef(IssueJWSBadBase64, "%s is not base64url", name))
		}
	}
	j.decoded = present == [3]bool{true, true, true} &&
		res[0] != b64Bad && res[1] != b64Bad && res[2] != b64Bad
	return issues
}

// parseHeaderJSON reads a JOSE header object.
func parseHeaderJSON(b []byte, what string) (Header, []Issue) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(b, &members); err != nil || members == nil {
		return Header{}, []Issue{issuef(IssueJWSBadHeader, "%s is not a JSON object", what)}
	}
	h := Header{Members: make([]string, 0, len(members))}
	for name := range members {
		h.Members = append(h.Members, name)
	}
	slices.Sort(h.Members)
	var issues []Issue
	str := func(name string, dst *string) {
		raw, ok := members[name]
		if !ok {
			return
		}
		if s, isString := jsonString(raw); isString {
			*dst = s
		} else {
			issues = append(issues, issuef(IssueJWSBadHeader, "%s %q is not a string", what, name))
		}
	}
	str("alg", &h.Alg)
	str("kid", &h.KID)
	str("nonce", &h.Nonce)
	str("url", &h.URL)
	if raw, ok := members["jwk"]; ok {
		h.JWK = raw
	}
	if raw, ok := members["b64"]; ok {
		var v bool
		if json.Unmarshal(raw, &v) != nil {
			issues = append(issues, issuef(IssueJWSBadHeader, "%s \"b64\" is not a boolean", what))
		} else {
			h.B64 = &v
		}
	}
	return h, issues
}

// ParseJWS reads a request body on its own, without the exchange around
// it: the JWS structure, its headers, the embedded "jwk" and the signature
// checked with it. A "kid"-signed body comes back VerifyUnknownKey; only a
// Decoder knows account keys. It returns nil and an IssueBodyNotJSON when
// body is not a JWS at all.
func ParseJWS(body []byte) (*JWS, []Issue) {
	j, issues := parseJWS(body)
	if j == nil {
		return nil, []Issue{issuef(IssueBodyNotJSON, "body is not a JWS JSON object")}
	}
	if raw := j.jwk(); raw != nil {
		key, ki := parseJWK(raw)
		issues = append(issues, ki...)
		j.Key, j.KeySource = key, KeyFromJWK
	} else if j.Protected.KID != "" {
		j.KeySource = KeyFromKid
	}
	if j.Protected.Members != nil || j.Unprotected != nil {
		issues = append(issues, outerAlgIssues(j.Alg())...)
	}
	return j, append(issues, j.verify()...)
}
