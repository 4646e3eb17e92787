package decode

import (
	"github.com/acmeproxy/acmeproxy/acme"
)

// check records the protocol faults that depend on the dialect and the
// operation (acme-reference.md §2, §11 B9–B13, B18).
func (s *state) check() {
	m := s.m
	if m.Operation.ACME() {
		s.checkHTTP()
	}
	if m.JWS != nil && m.JWS.Verification != VerifyTruncated {
		s.checkJWS()
		s.checkPayload()
	}
}

// checkHTTP applies the HTTP-layer rules of RFC 8555 §6.1, §6.2 and §6.5.1.
func (s *state) checkHTTP() {
	m := s.m
	if m.Request.UserAgent == "" {
		m.add(issuef(IssueHTTPNoUserAgent, "request has no User-Agent; RFC 8555 §6.1 makes it a MUST"))
	}
	if s.e.Request.Headers.Get("Replay-Nonce") != "" {
		m.add(issuef(IssueHTTPReplayNonce, "the client sent a Replay-Nonce request header"))
	}
	if m.Method != "POST" {
		if m.Dialect == DialectV2 && m.Operation.postAsGetRequired() {
			m.add(issuef(IssueHTTPPlainGET, "%s by %s; RFC 8555 §6.3 wants POST-as-GET", m.Operation, m.Method))
		}
		return
	}
	if m.Request.BodySize == 0 && m.JWS == nil {
		m.add(issuef(IssueBodyMissing, "POST without a body"))
	}
	if m.Dialect == DialectV2 {
		if mt := mediaType(m.Request.ContentType); mt != "application/jose+json" {
			m.add(issuef(IssueHTTPContentType, "Content-Type %q, want application/jose+json", m.Request.ContentType))
		}
	}
}

// checkJWS applies RFC 8555 §6.2 and §6.4–§6.5 (v2) or Boulder's v1 rules
// to the JWS header.
func (s *state) checkJWS() {
	m, j := s.m, s.m.JWS
	if j.Protected.Members != nil || j.Unprotected != nil {
		m.add(outerAlgIssues(j.Alg())...)
		s.checkNonce()
	}
	hasJWK, hasKid := j.jwk() != nil, j.Protected.KID != ""
	if hasJWK && hasKid {
		m.add(issuef(IssueJWSJWKAndKid, "both \"jwk\" and \"kid\"; they are mutually exclusive"))
	}
	switch m.Dialect {
	case DialectV2:
		s.checkJWSv2(hasJWK, hasKid)
	case DialectV1:
		if hasKid {
			m.add(issuef(IssueJWSKidInV1, "\"kid\" in a v1 request; v1 identifies the account by \"jwk\" only"))
		}
		if !hasJWK {
			m.add(issuef(IssueJWSMissingKey, "no \"jwk\"; v1 requires the account key in every request"))
		}
	}
}

// checkNonce requires a protected "nonce" (RFC 8555 §6.5.2; Boulder v1
// verifyPOST too). In v2 the value must be base64url; v1 servers were
// never held to that, so v1 nonces are taken as they come.
func (s *state) checkNonce() {
	m, j := s.m, s.m.JWS
	if !j.Protected.Has("nonce") {
		if j.Unprotected.Has("nonce") {
			m.add(issuef(IssueJWSNonceUnprotected, "\"nonce\" only in the unprotected header"))
		} else {
			m.add(issuef(IssueJWSMissingNonce, "no \"nonce\" in the protected header"))
		}
		return
	}
	if _, res := decodeB64u(j.Protected.Nonce); m.Dialect == DialectV2 && (res != b64OK || j.Protected.Nonce == "") {
		m.add(issuef(IssueJWSBadNonce, "nonce %q is not base64url", j.Protected.Nonce))
	}
}

// checkJWSv2 applies RFC 8555 §6.2 (no unprotected header; exactly one of
// "jwk" and "kid", "jwk" only for newAccount and certificate-key
// revocation) and §6.4 ("url" equal to the request URL, byte for byte: a
// proxy that rewrote the URL would cause this, reference B11).
func (s *state) checkJWSv2(hasJWK, hasKid bool) {
	m, j := s.m, s.m.JWS
	if j.Unprotected != nil {
		m.add(issuef(IssueJWSUnprotected, "unprotected \"header\" member %v; RFC 8555 §6.2 forbids it", j.Unprotected.Members))
	}
	switch {
	case !j.Protected.Has("url"):
		m.add(issuef(IssueJWSMissingURL, "no \"url\" in the protected header"))
	case j.Protected.URL != m.URL:
		m.add(issuef(IssueJWSURLMismatch, "url %q differs from the request URL %q", j.Protected.URL, m.URL))
	}
	switch {
	case !hasJWK && !hasKid:
		m.add(issuef(IssueJWSMissingKey, "neither \"jwk\" nor \"kid\""))
	case hasJWK && hasKid:
		// reported already
	case m.Operation.needsJWK() && hasKid:
		m.add(issuef(IssueJWSKidNotJWK, "\"kid\" on %s; newAccount needs the \"jwk\"", m.Operation))
	case !m.Operation.needsJWK() && m.Operation != OpRevoke && m.Operation.ACME() && hasJWK:
		m.add(issuef(IssueJWSJWKNotKid, "\"jwk\" on %s; only newAccount and revokeCert take one, others need \"kid\"", m.Operation))
	}
}

// checkPayload applies the payload rules: v1 "resource" (Boulder
// verifyPOST), v2 POST-as-GET (RFC 8555 §6.3), authorization and challenge
// payloads (§7.5.1, §7.5.2; reference B10, B18), and the CSR key
// (§11.1).
func (s *state) checkPayload() {
	m, p := s.m, s.m.Payload
	if p == nil {
		return
	}
	switch m.Dialect {
	case DialectV1:
		s.checkResource()
	case DialectV2:
		if p.Resource != "" || s.payload["resource"] != nil {
			m.add(issuef(IssuePayloadResourceInV2, "v1 \"resource\" member %q in a v2 request", p.Resource))
		}
		if m.Operation.postAsGetOnly() && p.Kind != PayloadEmpty {
			m.add(issuef(IssuePayloadNotEmpty, "POST-as-GET to %s with a non-empty payload", m.Operation))
		}
		if c := p.Challenge; c != nil && c.KeyAuthorization != "" {
			m.add(issuef(IssuePayloadKeyAuthzV2, "v2 challenge response carries \"keyAuthorization\""))
		}
	}
	s.checkAuthzPayload()
	s.checkKeyAuthorization()
	if c := p.CSR; c != nil && c.Key != nil && c.Key.Equal(m.Account) {
		m.add(issuef(IssueCSRAccountKey, "the CSR's public key is the account key %s", c.Key.Short()))
	}
	if p.EAB != nil {
		s.checkEAB(p.EAB)
	}
	if p.KeyChange != nil {
		s.checkKeyChange(p.KeyChange)
	}
}

// v1Resource is the "resource" Boulder's v1 API required at each endpoint.
func v1Resource(ep endpoint) acme.Resource {
	switch ep {
	case epNewAccount:
		return acme.ResourceNewReg
	case epAccount:
		return acme.ResourceReg
	case epNewAuthz:
		return acme.ResourceNewAuthz
	case epAuthz:
		return acme.ResourceAuthz
	case epChallenge:
		return acme.ResourceChallenge
	case epNewCert:
		return acme.ResourceNewCert
	case epRevoke:
		return acme.ResourceRevokeCert
	case epKeyChange:
		return acme.ResourceKeyChange
	}
	return ""
}

// checkResource applies Boulder's v1 rule: the payload's "resource" must
// name the endpoint it is posted to ("JWS resource payload does not match
// the HTTP resource", acme-reference.md §2.1). GETs carry no payload.
func (s *state) checkResource() {
	m, p := s.m, s.m.Payload
	want := v1Resource(s.ep)
	if want == "" || m.Method != "POST" {
		return
	}
	switch {
	case p.Resource == "":
		m.add(issuef(IssuePayloadResourceMissing, "v1 payload without \"resource\"; %s expects %q", m.Operation, want))
	case p.Resource != want:
		m.add(issuef(IssuePayloadResourceMismatch, "resource %q sent to the %q endpoint", p.Resource, want))
	}
}

// checkAuthzPayload flags a non-empty payload to an authorization that is
// not a deactivation (reference B10).
func (s *state) checkAuthzPayload() {
	m, p := s.m, s.m.Payload
	if s.ep != epAuthz || p.Kind == PayloadEmpty || p.Authz == nil {
		return
	}
	switch {
	case p.Authz.Status == acme.StatusDeactivated:
	case p.Authz.Status != "":
		m.add(issuef(IssuePayloadBadAuthzStatus, "status %q posted to an authorization; only \"deactivated\" is allowed", p.Authz.Status))
	case m.Dialect != DialectV1 && len(p.Members) == 0:
		m.add(issuef(IssuePayloadEmptyObjectAuthz, "\"{}\" posted to an authorization: a poll needs \"\" (POST-as-GET); servers read \"{}\" as a deactivation attempt"))
	default:
		m.add(issuef(IssuePayloadBadAuthzStatus, "payload %v posted to an authorization without \"status\"", p.Members))
	}
}

// checkKeyAuthorization compares a posted keyAuthorization with token +
// "." + thumbprint when the challenge's token was learned (RFC 8555 §8.1).
func (s *state) checkKeyAuthorization() {
	m, p := s.m, s.m.Payload
	if p.Challenge == nil || p.Challenge.KeyAuthorization == "" || s.fact.token == "" || m.Account == nil {
		return
	}
	if want := m.Account.KeyAuthorization(s.fact.token); p.Challenge.KeyAuthorization != want {
		m.add(issuef(IssuePayloadKeyAuthzWrong, "keyAuthorization %q, want %q", p.Challenge.KeyAuthorization, want))
	}
}
