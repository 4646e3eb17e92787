package legacyca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	jose "github.com/go-jose/go-jose/v4"
)

// maxBodySize bounds a POST body; v1 requests are a few kilobytes.
const maxBodySize = 1 << 20

// supportedAlgs are the JWS algorithms Boulder accepted (§2.1).
var supportedAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.ES384, jose.ES512}

// signedRequest is a verified v1 POST.
type signedRequest struct {
	payload    []byte           // verified JWS payload, JSON
	key        *jose.JSONWebKey // the embedded jwk
	thumbprint string           // RFC 7638 SHA-256 thumbprint of key, b64u
	reg        *registration    // registration of key, nil if none
}

// flattenedJWS is the RFC 7515 §7.2.2 envelope. Header (the unprotected
// header) is tolerated, as acme-tiny sent alg and jwk there too, but never
// read: only protected members count. Signatures marks the general syntax.
type flattenedJWS struct {
	Protected  string          `json:"protected"`
	Payload    string          `json:"payload"`
	Signature  string          `json:"signature"`
	Header     json.RawMessage `json:"header,omitempty"`
	Signatures json.RawMessage `json:"signatures,omitempty"`
}

// verifyPOST authenticates r the way Boulder's v1 wfe.verifyPOST did:
// parse, check the algorithm and key, verify the signature, redeem the
// nonce, then match the payload's "resource" against resource. The url
// header is not checked. On success the request's registration, if any, is
// looked up and named in a Boulder-Requester header.
func (ca *CA) verifyPOST(w http.ResponseWriter, r *http.Request, resource string) (*signedRequest, *problem) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodySize+1))
	if err != nil || len(body) > maxBodySize {
		return nil, malformed("Unable to read/verify body")
	}
	jws, key, prob := parseJWS(body)
	if prob != nil {
		return nil, prob
	}
	payload, err := jws.Verify(key)
	if err != nil {
		return nil, malformed("JWS verification error")
	}
	nonce := jws.Signatures[0].Protected.Nonce
	if nonce == "" {
		return nil, newProblem(probBadNonce, http.StatusBadRequest, "JWS has no anti-replay nonce")
	}
	if !ca.nonces.redeem(nonce) {
		return nil, newProblem(probBadNonce, http.StatusBadRequest,
			fmt.Sprintf("JWS has invalid anti-replay nonce %s", nonce))
	}
	if prob := checkResource(payload, resource); prob != nil {
		return nil, prob
	}
	tp, err := thumbprint(key)
	if err != nil {
		return nil, malformed("Unable to compute JWK thumbprint")
	}
	req := &signedRequest{payload: payload, key: key, thumbprint: tp}
	ca.mu.Lock()
	req.reg = ca.state.regsByKey[req.thumbprint]
	var regID int64
	if req.reg != nil {
		regID = req.reg.id
	}
	ca.mu.Unlock()
	if regID != 0 {
		w.Header().Set("Boulder-Requester", strconv.FormatInt(regID, 10))
	}
	return req, nil
}

// parseJWS parses a flattened JWS body and returns it with its protected
// jwk, after the structural, algorithm and key checks.
func parseJWS(body []byte) (*jose.JSONWebSignature, *jose.JSONWebKey, *problem) {
	var env flattenedJWS
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, nil, malformed("Parse error reading JWS")
	}
	if len(env.Signatures) > 0 {
		return nil, nil, malformed("JWS must use the flattened JSON serialization")
	}
	if env.Protected == "" || env.Signature == "" {
		return nil, nil, malformed("JWS missing protected header or signature")
	}
	// Re-serialise without the unprotected header so that only signed
	// members are trusted; the signing input stays the received strings.
	clean, err := json.Marshal(flattenedJWS{Protected: env.Protected, Payload: env.Payload, Signature: env.Signature})
	if err != nil {
		return nil, nil, malformed("Parse error reading JWS")
	}
	jws, err := jose.ParseSignedJSON(string(clean), supportedAlgs)
	if _, ok := errors.AsType[*jose.ErrUnexpectedSignatureAlgorithm](err); ok {
		return nil, nil, newProblem(probBadSignatureAlgorithm, http.StatusBadRequest,
			"JWS signature algorithm not supported; use RS256, ES256, ES384 or ES512")
	}
	if err != nil || len(jws.Signatures) != 1 {
		return nil, nil, malformed("Parse error reading JWS")
	}
	hdr := jws.Signatures[0].Protected
	if hdr.KeyID != "" {
		return nil, nil, malformed("JWS \"kid\" header is not supported; embed the account key as \"jwk\"")
	}
	key := hdr.JSONWebKey
	if key == nil {
		return nil, nil, malformed("No JWK in JWS header")
	}
	if prob := checkKeyAlg(key.Key, jose.SignatureAlgorithm(hdr.Algorithm)); prob != nil {
		return nil, nil, prob
	}
	return jws, key, nil
}

// checkKeyAlg enforces the account key policy (RSA 2048–4096 bits, ECDSA
// P-256/P-384/P-521) and that alg fits the key.
func checkKeyAlg(key any, alg jose.SignatureAlgorithm) *problem {
	var want jose.SignatureAlgorithm
	switch k := key.(type) {
	case *rsa.PublicKey:
		if n := k.N.BitLen(); n < 2048 || n > 4096 {
			return malformed(fmt.Sprintf("Invalid key in JWS header: RSA key of %d bits, want 2048 to 4096", n))
		}
		want = jose.RS256
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			want = jose.ES256
		case elliptic.P384():
			want = jose.ES384
		case elliptic.P521():
			want = jose.ES512
		default:
			return malformed("Invalid key in JWS header: unsupported elliptic curve")
		}
	default:
		return malformed(fmt.Sprintf("Invalid key in JWS header: unsupported key type %T", key))
	}
	if alg != want {
		return malformed(fmt.Sprintf("JWS signature algorithm %q does not match the key, want %q", alg, want))
	}
	return nil
}

// checkResource enforces v1's "resource" payload member (§2.1).
func checkResource(payload []byte, resource string) *problem {
	var p struct {
		Resource string `json:"resource"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return malformed("Request payload did not parse as JSON")
	}
	if p.Resource == "" {
		return malformed("Request payload does not specify a resource")
	}
	if p.Resource != resource {
		return malformed("JWS resource payload does not match the HTTP resource")
	}
	return nil
}

// requireReg returns the signer's registration if it may act: it exists,
// is valid and, unless agreementOptional, has agreed to the terms (B20).
func (ca *CA) requireReg(req *signedRequest, agreementOptional bool) (*registration, *problem) {
	reg := req.reg
	if reg == nil {
		return nil, unauthorized("No registration exists matching provided key")
	}
	ca.mu.Lock()
	st, agreed := reg.status, reg.agreement != ""
	ca.mu.Unlock()
	if st != statusValid {
		return nil, unauthorized(fmt.Sprintf("Registration is not valid, has status '%s'", st))
	}
	if !agreementOptional && !agreed {
		return nil, unauthorized("Must agree to subscriber agreement before any further actions")
	}
	return reg, nil
}

// decodePayload unmarshals a verified payload into v.
func decodePayload(req *signedRequest, v any) *problem {
	if err := json.Unmarshal(req.payload, v); err != nil {
		return malformed("Request payload did not parse as JSON")
	}
	return nil
}
