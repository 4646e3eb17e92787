package decode

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/asn1"
	"math/big"
	"strings"

	_ "crypto/sha256" // RS256, ES256, PS256
	_ "crypto/sha512" // RS384/512, ES384/512, PS384/512
)

// algClass sorts "alg" values the way RFC 8555 §6.2 and the CAs do.
type algClass uint8

const (
	algACME        algClass = iota // RS256, ES256, ES384, ES512: what Boulder and Pebble accept
	algMissing                     // no alg at all
	algNone                        // "none"
	algMAC                         // HS256/384/512: only inside externalAccountBinding
	algUnsupported                 // a signature alg no ACME CA accepts (PS256, EdDSA, RS384, …)
)

// classifyAlg sorts alg. "none" is matched without regard to case, as
// implementations that special-case it have been fooled by "None".
func classifyAlg(alg string) algClass {
	switch alg {
	case "RS256", "ES256", "ES384", "ES512":
		return algACME
	case "":
		return algMissing
	case "HS256", "HS384", "HS512":
		return algMAC
	}
	if strings.EqualFold(alg, "none") {
		return algNone
	}
	return algUnsupported
}

// outerAlgIssues reports an "alg" that RFC 8555 §6.2 forbids on a request
// JWS: missing, "none", a MAC, or one the CAs do not implement.
func outerAlgIssues(alg string) []Issue {
	switch classifyAlg(alg) {
	case algMissing:
		return []Issue{issuef(IssueJWSMissingAlg, "no \"alg\" in the JWS header")}
	case algNone:
		return []Issue{issuef(IssueJWSAlgNone, "alg %q: an unsigned JWS", alg)}
	case algMAC:
		return []Issue{issuef(IssueJWSAlgMAC, "alg %q is a MAC; allowed only inside externalAccountBinding", alg)}
	case algUnsupported:
		return []Issue{issuef(IssueJWSAlgUnsupported, "alg %q is not one of RS256, ES256, ES384, ES512", alg)}
	}
	return nil
}

// sigScheme is how one "alg" verifies (RFC 7518 §3.1, RFC 8037 §3.1).
type sigScheme struct {
	kty   string // key type it needs
	hash  crypto.Hash
	curve elliptic.Curve // for ES*
	pss   bool
}

func schemeFor(alg string) (sigScheme, bool) {
	switch alg {
	case "RS256":
		return sigScheme{kty: "RSA", hash: crypto.SHA256}, true
	case "RS384":
		return sigScheme{kty: "RSA", hash: crypto.SHA384}, true
	case "RS512":
		return sigScheme{kty: "RSA", hash: crypto.SHA512}, true
	case "PS256":
		return sigScheme{kty: "RSA", hash: crypto.SHA256, pss: true}, true
	case "PS384":
		return sigScheme{kty: "RSA", hash: crypto.SHA384, pss: true}, true
	case "PS512":
		return sigScheme{kty: "RSA", hash: crypto.SHA512, pss: true}, true
	case "ES256":
		return sigScheme{kty: "EC", hash: crypto.SHA256, curve: elliptic.P256()}, true
	case "ES384":
		return sigScheme{kty: "EC", hash: crypto.SHA384, curve: elliptic.P384()}, true
	case "ES512":
		return sigScheme{kty: "EC", hash: crypto.SHA512, curve: elliptic.P521()}, true
	case "EdDSA", "Ed25519":
		return sigScheme{kty: "OKP"}, true
	}
	return sigScheme{}, false
}

// verifyResult is the outcome of verifySignature.
type verifyResult struct {
	outcome Verification
	detail  string
	issues  []Issue
}

// verifySignature checks sig over input (the received
// protected "." payload strings) with key under alg. It verifies with the
// standard library directly rather than go-jose's JSONWebSignature.Verify,
// because go-jose re-encodes the decoded parts before verifying and would
// therefore check a different string than the one a padded or otherwise
// non-canonical JWS was signed over (RFC 7515 §5.2 step 8 uses the
// received encoded values).
func verifySignature(alg string, key *Key, input, sig []byte) verifyResult {
	sch, ok := schemeFor(alg)
	if !ok {
		return verifyResult{outcome: VerifyNotChecked, detail: "alg " + quote(alg) + " cannot be verified"}
	}
	if key.Type != sch.kty || (sch.curve != nil && key.Curve != sch.curve.Params().Name) {
		d := "alg " + alg + " does not match the " + key.Type + " " + key.Curve + " key"
		return verifyResult{outcome: VerifyNotChecked, detail: d,
			issues: []Issue{issuef(IssueJWSAlgKeyMismatch, "%s", d)}}
	}
	switch pub := key.Public.(type) {
	case *rsa.PublicKey:
		return verifyRSA(sch, pub, input, sig)
	case *ecdsa.PublicKey:
		return verifyECDSA(sch, pub, input, sig)
	case ed25519.PublicKey:
		return boolResult(ed25519.Verify(pub, input, sig))
	}
	return verifyResult{outcome: VerifyNotChecked, detail: "unsupported key type"}
}

// verifyRSA checks RSASSA-PKCS1-v1_5 (RS*, RFC 7518 §3.3) or RSASSA-PSS
// with a salt as long as the hash (PS*, RFC 7518 §3.5).
func verifyRSA(sch sigScheme, pub *rsa.PublicKey, input, sig []byte) verifyResult {
	if pub.N.BitLen() < 1024 {
		return verifyResult{outcome: VerifyNotChecked, detail: "RSA key below 1024 bits; Go refuses to verify with it"}
	}
	h := sch.hash.New()
	h.Write(input)
	digest := h.Sum(nil)
	if sch.pss {
		opts := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: sch.hash}
		return boolResult(rsa.VerifyPSS(pub, sch.hash, digest, sig, opts) == nil)
	}
	return boolResult(rsa.VerifyPKCS1v15(pub, sch.hash, digest, sig) == nil)
}

// verifyECDSA checks a JWS ECDSA signature, which is the raw R||S
// concatenation, each half the curve's byte size (RFC 7518 §3.4).
func verifyECDSA(sch sigScheme, pub *ecdsa.PublicKey, input, sig []byte) verifyResult {
	size := (sch.curve.Params().BitSize + 7) / 8
	if len(sig) != 2*size {
		var der struct{ R, S *big.Int }
		if rest, err := asn1.Unmarshal(sig, &der); err == nil && len(rest) == 0 {
			d := "ECDSA signature is ASN.1 DER, not the raw R||S of RFC 7518 §3.4"
			return verifyResult{outcome: VerifyInvalid, detail: d,
				issues: []Issue{issuef(IssueJWSDERSignature, "%s", d)}}
		}
		return verifyResult{outcome: VerifyInvalid, detail: "ECDSA signature has the wrong length",
			issues: []Issue{issuef(IssueJWSBadSignature, "ECDSA signature is %d bytes, want %d", len(sig), 2*size)}}
	}
	h := sch.hash.New()
	h.Write(input)
	r := new(big.Int).SetBytes(sig[:size])
	s := new(big.Int).SetBytes(sig[size:])
	return boolResult(ecdsa.Verify(pub, h.Sum(nil), r, s))
}

func boolResult(ok bool) verifyResult {
	if ok {
		return verifyResult{outcome: VerifyValid}
	}
	return verifyResult{outcome: VerifyInvalid, detail: "signature does not verify",
		issues: []Issue{issuef(IssueJWSBadSignature, "signature does not verify over the received protected header and payload")}}
}

func quote(s string) string { return `"` + s + `"` }

// signingInput returns the JWS signing input built from the received
// strings: ASCII(BASE64URL(protected) || '.' || BASE64URL(payload)) as
// they arrived (RFC 7515 §5.2).
func (j *JWS) signingInput() []byte {
	b := make([]byte, 0, len(j.RawProtected)+1+len(j.RawPayload))
	b = append(b, j.RawProtected...)
	b = append(b, '.')
	return append(b, j.RawPayload...)
}

// verify checks j's signature with j.Key and records the outcome. It
// returns issues to add to the message.
func (j *JWS) verify() []Issue {
	alg := j.Alg()
	switch {
	case !j.decoded:
		j.Verification, j.VerificationDetail = VerifyNotChecked, "JWS parts missing or not base64url"
		return nil
	case j.Key == nil && j.KeySource == KeyFromKid:
		j.Verification, j.VerificationDetail = VerifyUnknownKey, "no key known for kid "+j.Protected.KID
		return nil
	case j.Key == nil:
		j.Verification, j.VerificationDetail = VerifyNotChecked, "no usable key"
		return nil
	}
	switch classifyAlg(alg) {
	case algMissing, algNone:
		j.Verification, j.VerificationDetail = VerifyNotChecked, "no signature algorithm"
		return nil
	case algMAC:
		j.Verification, j.VerificationDetail = VerifyNotChecked, "MAC algorithm "+alg+": the MAC key is not known"
		return nil
	}
	res := verifySignature(alg, j.Key, j.signingInput(), j.Signature)
	j.Verification, j.VerificationDetail = res.outcome, res.detail
	return res.issues
}
