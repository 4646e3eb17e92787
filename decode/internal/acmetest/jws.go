package acmetest

import (
	"encoding/asn1"
	"encoding/json"
	"math/big"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
)

func asn1Marshal(r, s *big.Int) ([]byte, error) {
	return asn1.Marshal(struct{ R, S *big.Int }{r, s})
}

// Header is a protected header under construction. Values are JSON-encoded
// in key order as given by the map; use Raw for exact bytes.
type Header map[string]any

// JWS is a JWS body under construction, for building broken ones by hand.
type JWS struct {
	Protected    Header
	RawProtected string // used instead of Protected when set (already base64url)
	Payload      []byte
	RawPayload   *string // used instead of Payload when set
	Unprotected  Header
	Signer       *Signer // signs; nil leaves the signature "c2ln"
	SignAlg      string  // alg to sign with, when it differs from the header's
	PadProtected bool    // append "=" padding where base64 would have it
	PadPayload   bool
	PadSignature bool
	BadSignature bool // flip a bit of the signature
	DER          bool // ECDSA signature in DER
	General      bool // "signatures" array
}

// Body returns the JWS as a JSON body.
func (j JWS) Body() []byte {
	prot := j.RawProtected
	if prot == "" {
		b, err := json.Marshal(j.Protected)
		must(err)
		prot = pad(B64(b), j.PadProtected)
	}
	payload := pad(B64(j.Payload), j.PadPayload)
	if j.RawPayload != nil {
		payload = *j.RawPayload
	}
	sigB64 := "c2ln"
	if j.Signer != nil {
		alg := j.SignAlg
		if alg == "" {
			alg = j.Signer.Alg
		}
		sig := SignWith(alg, j.Signer.Key, []byte(prot+"."+payload))
		if j.DER {
			sig = DERSignature(sig)
		}
		if j.BadSignature {
			sig[len(sig)/2] ^= 0x01
		}
		sigB64 = pad(B64(sig), j.PadSignature)
	}
	obj := map[string]any{"payload": payload}
	one := map[string]any{"protected": prot, "signature": sigB64}
	if j.Unprotected != nil {
		one["header"] = j.Unprotected
	}
	if j.General {
		obj["signatures"] = []any{one}
	} else {
		for k, v := range one {
			obj[k] = v
		}
	}
	out, err := json.Marshal(obj)
	must(err)
	return out
}

func pad(s string, on bool) string {
	if !on {
		return s
	}
	if n := len(s) % 4; n != 0 {
		return s + strings.Repeat("=", 4-n)
	}
	return s
}

// V2 builds a well-formed RFC 8555 request body: protected
// {alg, jwk|kid, nonce, url}, signed by s. kid "" embeds the jwk.
func (s *Signer) V2(url, kid, nonce string, payload []byte) []byte {
	h := Header{"alg": s.Alg, "nonce": nonce, "url": url}
	if kid == "" {
		h["jwk"] = s.JWK
	} else {
		h["kid"] = kid
	}
	return JWS{Protected: h, Payload: payload, Signer: s}.Body()
}

// V1 builds a Boulder v1 request body: protected {alg, jwk, nonce} plus
// an unprotected header {alg, jwk} as acme-tiny sent it, signed by s.
func (s *Signer) V1(nonce string, payload []byte, unprotected bool) []byte {
	j := JWS{Protected: Header{"alg": s.Alg, "jwk": s.JWK, "nonce": nonce}, Payload: payload, Signer: s}
	if unprotected {
		j.Unprotected = Header{"alg": s.Alg, "jwk": s.JWK}
	}
	return j.Body()
}

// GoJose signs payload with go-jose (the way lego and most Go clients do)
// and returns the flattened JSON.
func (s *Signer) GoJose(url, kid, nonce string, payload []byte) []byte {
	var key any = s.Key
	if kid != "" {
		key = jose.JSONWebKey{Key: s.Key, KeyID: kid}
	}
	opts := &jose.SignerOptions{EmbedJWK: kid == "", NonceSource: fixedNonce(nonce)}
	opts.WithHeader("url", url)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(s.Alg), Key: key}, opts)
	must(err)
	if payload == nil {
		payload = []byte{} // go-jose omits a nil payload, which is no POST-as-GET
	}
	obj, err := signer.Sign(payload)
	must(err)
	return []byte(obj.FullSerialize())
}

type fixedNonce string

func (n fixedNonce) Nonce() (string, error) { return string(n), nil }

// HMAC signs an externalAccountBinding the RFC 8555 §7.3.4 way: protected
// {alg HS256, kid, url}, payload the account JWK.
func HMAC(macKey []byte, kid, url string, accountJWK json.RawMessage, extra Header) json.RawMessage {
	h := Header{"alg": "HS256", "kid": kid, "url": url}
	for k, v := range extra {
		h[k] = v
	}
	b, err := json.Marshal(h)
	must(err)
	prot := B64(b)
	payload := B64(accountJWK)
	mac := hmacSHA256(macKey, []byte(prot+"."+payload))
	out, err := json.Marshal(map[string]string{"protected": prot, "payload": payload, "signature": B64(mac)})
	must(err)
	return out
}
